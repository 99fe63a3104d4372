/**
 * The emulator's OpenAI Files and Batch APIs at the wire, through the raw SDK (no library code):
 * uploads, validation like the real API (a batch that ends `failed` with `errors.data`), the
 * per-status-call lifecycle with growing counts, the result and error file lines, cancel,
 * pagination, and how a test chooses a lifecycle.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI, { toFile } from "openai"
import { answerChat, openAiBatchLifecycleHeader, type OpenAiBatchLifecycle, validateChat } from "../src/testing/emulator/openai.js"
import { TEST_KEY } from "./helpers/openai.js"
import { useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

const sdk = (headers?: Record<string, string>) =>
  new OpenAI({ apiKey: TEST_KEY, baseURL: emulator().openaiBaseURL, maxRetries: 0, ...(headers ? { defaultHeaders: headers } : {}) })

const body = (text: string, model = "gpt-4o-mini") => ({ model, messages: [{ role: "user", content: text }] })
const line = (customId: string, text: string, extra?: Record<string, unknown>) =>
  JSON.stringify({ custom_id: customId, method: "POST", url: "/v1/chat/completions", body: body(text), ...extra })

const upload = async (client: OpenAI, lines: ReadonlyArray<string>, name = "input.jsonl") =>
  client.files.create({ file: await toFile(Buffer.from(`${lines.join("\n")}\n`), name), purpose: "batch" })

const create = async (client: OpenAI, lines: ReadonlyArray<string>, metadata?: Record<string, string>) => {
  const file = await upload(client, lines)
  return client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", ...(metadata ? { metadata } : {}) })
}

const fileLines = async (client: OpenAI, fileId: string | null | undefined) => {
  if (!fileId) return []
  const text = await (await client.files.content(fileId)).text()
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: Record<string, unknown>; request_id: string } | null; error: { code: string; message: string } | null; id: string })
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>)

describe("emulator: OpenAI files", () => {
  it.live("uploads multipart files, retrieves, reads and deletes them; batch files must be .jsonl; a key is required", () =>
    Effect.promise(async () => {
      const client = sdk()
      const file = await upload(client, [line("a", "hi")])
      expect(file).toMatchObject({ object: "file", purpose: "batch", filename: "input.jsonl", status: "processed" })
      expect(file.bytes).toBe(Buffer.byteLength(`${line("a", "hi")}\n`))
      expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: file.bytes })
      expect(await (await client.files.content(file.id)).text()).toBe(`${line("a", "hi")}\n`)
      expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: "file", deleted: true })
      expect((await rejection(client.files.retrieve(file.id)))?.status).toBe(404)

      const wrongType = await rejection(upload(client, [line("a", "hi")], "input.txt"))
      expect(wrongType?.status).toBe(400)
      expect(wrongType?.message).toContain("Must be .jsonl")
      expect((await fetch(`${emulator().openaiBaseURL}/batches`)).status).toBe(401)
    }))
})

describe("emulator: OpenAI batches", () => {
  it.live("validating → in_progress → finalizing → completed, counts growing; output lines carry what the chat route answers", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 4 }
      const client = sdk()
      const texts = ["What is the capital of France?", "What is 2 + 2?", "hello", "gravity?"]
      const created = await create(client, texts.map((t, i) => line(`q${i}`, t)), { project: "wire" })
      expect(created).toMatchObject({ status: "validating", endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { project: "wire" }, request_counts: { total: 0, completed: 0, failed: 0 } })
      const seen = []
      for (let i = 0; i < 4; i++) {
        const b = await client.batches.retrieve(created.id)
        seen.push([b.status, b.request_counts?.completed, b.request_counts?.total])
      }
      expect(seen).toEqual([["in_progress", 1, 4], ["in_progress", 2, 4], ["finalizing", 4, 4], ["completed", 4, 4]])
      const done = await client.batches.retrieve(created.id)
      expect(done.status).toBe("completed") // final: stays so
      expect(done.error_file_id).toBeNull()
      const lines = await fileLines(client, done.output_file_id)
      expect(lines.map((l) => l.custom_id).sort()).toEqual(["q0", "q1", "q2", "q3"])
      expect(lines.map((l) => l.custom_id)).not.toEqual(["q0", "q1", "q2", "q3"]) // not in input order
      const q0 = lines.find((l) => l.custom_id === "q0")!
      expect(q0.id).toMatch(/^batch_req_/)
      expect(q0.error).toBeNull()
      expect(q0.response?.status_code).toBe(200)
      expect(q0.response?.request_id).toMatch(/^req_/)
      expect(q0.response?.body).toEqual(answerChat(body(texts[0]!)))
    }))

  it.live("an input the real API would reject fails the batch with errors.data naming the lines", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 3 }
      const client = sdk()
      const created = await create(client, [
        line("a", "one"),
        line("b", "two", { url: "/v1/embeddings" }),
        JSON.stringify({ method: "POST", url: "/v1/chat/completions", body: body("three") }),
        line("a", "four"),
        JSON.stringify({ custom_id: "e", method: "POST", url: "/v1/chat/completions", body: body("five", "gpt-4.1") }),
        "{not json"
      ])
      expect(created.status).toBe("validating")
      const failed = await client.batches.retrieve(created.id)
      expect(failed.status).toBe("failed")
      expect(failed.failed_at).toBeTypeOf("number")
      expect(failed.output_file_id).toBeNull()
      expect(failed.errors?.data?.map((e) => [e.line, e.code, e.param])).toEqual([
        [2, "invalid_url", "url"],
        [3, "missing_required_parameter", "custom_id"],
        [4, "duplicate_custom_id", "custom_id"],
        [5, "mismatched_model", "body.model"],
        [6, "invalid_json_line", null]
      ])
    }))

  it.live("a request body the chat route rejects, and scripted errors, become error-file lines with status ≥ 400", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 1, errors: { c: 500 } }
      const client = sdk()
      const bad = JSON.stringify({ custom_id: "b", method: "POST", url: "/v1/chat/completions", body: { ...body("x"), tool_choice: "auto" } })
      const done = await client.batches.retrieve((await create(client, [line("a", "hi"), bad, line("c", "hi")])).id)
      expect(done.status).toBe("completed")
      expect(done.request_counts).toEqual({ total: 3, completed: 1, failed: 2 })
      const errors = await fileLines(client, done.error_file_id)
      const b = errors.find((l) => l.custom_id === "b")!
      expect(b.response?.status_code).toBe(400)
      expect(b.response?.body).toEqual(validateChat({ ...body("x"), tool_choice: "auto" })!.json)
      expect(errors.find((l) => l.custom_id === "c")!.response).toMatchObject({ status_code: 500, body: { error: { type: "server_error" } } })
      expect((await fileLines(client, done.output_file_id)).map((l) => l.custom_id)).toEqual(["a"])
    }))

  it.live("expired: unfinished requests are batch_expired lines in the error file", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 2, outcome: "expired", processed: 1, order: "submission" }
      const client = sdk()
      const created = await create(client, ["a", "b", "c"].map((id) => line(id, id)))
      await client.batches.retrieve(created.id)
      const done = await client.batches.retrieve(created.id)
      expect(done.status).toBe("expired")
      expect(done.expired_at).toBeTypeOf("number")
      expect((await fileLines(client, done.output_file_id)).map((l) => l.custom_id)).toEqual(["a"])
      const errors = await fileLines(client, done.error_file_id)
      expect(errors.map((l) => [l.custom_id, l.response, l.error?.code])).toEqual([["b", null, "batch_expired"], ["c", null, "batch_expired"]])
    }))

  it.live("cancel: cancelling, then cancelled at the next status call; finished requests stay in the output file", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 4, order: "submission" }
      const client = sdk()
      const created = await create(client, ["a", "b", "c", "d"].map((id) => line(id, id)))
      await client.batches.retrieve(created.id)
      await client.batches.retrieve(created.id) // two of four done
      const cancelling = await client.batches.cancel(created.id)
      expect(cancelling.status).toBe("cancelling")
      expect(cancelling.cancelling_at).toBeTypeOf("number")
      const cancelled = await client.batches.retrieve(created.id)
      expect(cancelled.status).toBe("cancelled")
      expect((await fileLines(client, cancelled.output_file_id)).map((l) => l.custom_id)).toEqual(["a", "b"])
      expect((await fileLines(client, cancelled.error_file_id)).map((l) => [l.custom_id, l.error?.code])).toEqual([["c", "batch_cancelled"], ["d", "batch_cancelled"]])
      const again = await rejection(client.batches.cancel(created.id))
      expect(again?.status).toBe(400)
      expect(batches().batches()[0]!.cancelCalls).toBe(2)
    }))

  it.live("lists newest first, page by page with after / limit / has_more", () =>
    Effect.promise(async () => {
      batches().lifecycle = { statusCalls: 0 }
      const client = sdk()
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) ids.push((await create(client, [line("a", `n${i}`)])).id)
      const page = await client.batches.list({ limit: 2 })
      expect(page.data.map((b) => b.id)).toEqual([ids[4], ids[3]])
      expect(page.has_more).toBe(true)
      const next = await client.batches.list({ limit: 2, after: ids[3]! })
      expect(next.data.map((b) => b.id)).toEqual([ids[2], ids[1]])
      const all: Array<string> = []
      for await (const b of client.batches.list({ limit: 2 })) all.push(b.id)
      expect(all).toEqual([...ids].reverse())
    }))

  it.live("a lifecycle per batch (metadata), per client (header) or per emulator (in process, or over HTTP)", () =>
    Effect.promise(async () => {
      const client = sdk()
      const statusAt = async (b: { id: string }) => (await client.batches.retrieve(b.id)).status
      // the emulator's default (3 status calls)
      expect(await statusAt(await create(client, [line("a", "x")]))).toBe("in_progress")
      // per batch, through metadata
      const viaMetadata = await create(client, [line("a", "x")], { emulator_lifecycle: JSON.stringify({ statusCalls: 1, outcome: "expired", processed: 0 } satisfies OpenAiBatchLifecycle) })
      expect(await statusAt(viaMetadata)).toBe("expired")
      // per client, through a header
      expect((await create(sdk(openAiBatchLifecycleHeader({ statusCalls: 0 })), [line("a", "x")])).status).toBe("completed")
      // per emulator, over HTTP (another process would do this)
      const set = await fetch(`${emulator().url}/v1/emulator/batch-lifecycle`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ statusCalls: 1, outcome: "failed" }) })
      expect(set.status).toBe(200)
      expect(batches().lifecycle).toEqual({ statusCalls: 1, outcome: "failed" })
      const failing = await create(client, [line("a", "x")])
      const failed = await client.batches.retrieve(failing.id)
      expect(failed.status).toBe("failed")
      expect(failed.errors?.data?.[0]?.code).toBe("invalid_request")
      await fetch(`${emulator().url}/v1/emulator/batch-lifecycle`, { method: "POST", headers: { "content-type": "application/json" }, body: "null" })
      expect(batches().lifecycle).toBeUndefined()
    }))
})
