/**
 * Reading OpenAI batch results: the output and error files are streams of lines (a large file is
 * consumed as it arrives, never held whole), every line maps to one result with the provider's
 * codes, an unreadable line is a typed error naming its line, and the pure wire functions.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import { ModelRequest } from "../src/Message.js"
import { BatchCodec } from "../src/providers/openai/index.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { failureOf } from "./helpers/openai.js"
import { batchModel, callsTo, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

const completion = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_750_000_000,
  model: "gpt-4o-mini-2024-07-18",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }
})
const source = { file: "output", fileId: "file-out", line: 7 } as const
const decode = (line: unknown) => BatchCodec.decodeResultLine(typeof line === "string" ? line : JSON.stringify(line), source, "gpt-4o-mini")
const code = (line: unknown) => {
  const result = Either.getOrThrow(decode(line))
  return result.isSuccessful ? "ok" : `${result.error.code}: ${result.error.message}`
}

describe("OpenAI batch results: streaming", () => {
  it.effect("a 20,000-line output file is consumed as it arrives: the first results come before the download is done", () =>
    Effect.gen(function* () {
      const n = 20_000
      batches().lifecycle = { statusCalls: 0, order: "reversed", linesPerChunk: 500 }
      const model = batchModel(emulator())
      yield* Effect.gen(function* () {
        // one shared message list, built unvalidated: the test is about reading, not constructing
        const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]
        const requests = Array.from({ length: n }, (_, i) => new Batch.BatchRequest({ customId: `r${i}`, messages }, true))
        const batch = yield* Batch.create(requests)
        expect(batch.status).toBe("completed")
        const total = Buffer.byteLength(batches().fileText(batches().batches()[0]!.outputFileId!)!)
        expect(total).toBeGreaterThan(10_000_000)

        const before = model.traffic.bytesRead()
        const seen: Array<number> = []
        let count = 0
        let ok = 0
        yield* Batch.results(batch).pipe(
          Stream.runForEach((r) =>
            Effect.sync(() => {
              count++
              if (r.isSuccessful) ok++
              if (count === 1 || count === n / 2) seen.push(model.traffic.bytesRead() - before)
            }))
        )
        expect(count).toBe(n)
        expect(ok).toBe(n)
        // pulled on demand: one network chunk or so per step, never the whole file up front
        expect(seen[0]!).toBeLessThan(total / 20)
        expect(seen[1]!).toBeLessThan(total * 0.75)
        expect(model.traffic.bytesRead() - before).toBe(total)
      }).pipe(Effect.provide(model.layer))
    }), 30_000)

  it.live("stopping early aborts the download", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0, linesPerChunk: 1, chunkDelayMs: 5 }
      const model = batchModel(emulator())
      yield* Effect.gen(function* () {
        const batch = yield* Batch.create(reqs(...Array.from({ length: 200 }, (_, i) => `q${i}`)))
        const aborted = emulator().waitForAbort(3_000)
        const first = yield* Stream.runCollect(Stream.take(Batch.results(batch), 3))
        expect(Chunk.size(first)).toBe(3)
        const request = yield* Effect.promise(() => aborted)
        expect(request.path).toMatch(/^\/v1\/files\/.+\/content$/)
      }).pipe(Effect.provide(model.layer))
    }))

  it.effect("the output file, then the error file, in provider order, one line each", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0, order: "reversed", errors: { b: 400, d: 500 }, duplicate: ["c"] }
      const model = batchModel(emulator())
      const raw = yield* Effect.gen(function* () {
        const batch = yield* Batch.create(reqs("a", "b", "c", "d"))
        const service = yield* BatchModel
        return Chunk.toArray(yield* Stream.runCollect(service.results(batch)))
      }).pipe(Effect.provide(model.layer))
      // raw lines: duplicates kept (Batch.results drops them)
      expect(outcomes(raw)).toEqual(["c:ok", "a:ok", "c:ok", "d:server_error", "b:invalid_request_error"])
    }))

  it.effect("results by id alone, or of a Batch without OpenAI's file ids, look the batch up first", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0, order: "submission" }
      const model = batchModel(emulator())
      yield* Effect.gen(function* () {
        const batch = yield* Batch.create(reqs("a", "b"))
        expect(outcomes(Chunk.toArray(yield* Stream.runCollect(Batch.results(batch.id))))).toEqual(["a:ok", "b:ok"])
        const service = yield* BatchModel
        const bare = new Batch.Batch({ ...batch, details: {} })
        expect(outcomes(Chunk.toArray(yield* Stream.runCollect(service.results(bare))))).toEqual(["a:ok", "b:ok"])
        expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(2)
      }).pipe(Effect.provide(model.layer))
    }))

  it.effect("a line that is not JSON fails the stream with a ResponseDecodeError naming the file and line", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0, order: "submission" }
      const model = batchModel(emulator())
      yield* Effect.gen(function* () {
        const batch = yield* Batch.create(reqs("a", "b"))
        const good = batches().fileText(batch.details.outputFileId as string)!.split("\n")[0]!
        emulator().script(KEYS.fileContent, { headers: { "content-type": "application/octet-stream" }, text: `${good}\n{"custom_id": "b", oops\n` })
        const seen: Array<string> = []
        const exit = yield* Effect.exit(Batch.results(batch).pipe(Stream.runForEach((r) => Effect.sync(() => void seen.push(r.customId)))))
        const error = failureOf(exit)
        expect(error._tag).toBe("ResponseDecodeError")
        expect(error._tag === "ResponseDecodeError" && error.path).toBe(`output file ${batch.details.outputFileId as string} line 2`)
        expect(seen).toEqual(["a"]) // the good line before it was delivered
        expect(callsTo(emulator(), KEYS.fileContent)).toBe(1) // not retried: re-reading would not help
      }).pipe(Effect.provide(model.layer))
    }))
})

describe("OpenAI batch results: line decoding", () => {
  it("a 200 line is the decoded chat completion", () => {
    const result = Either.getOrThrow(decode({ id: "batch_req_1", custom_id: "q1", response: { status_code: 200, request_id: "req_1", body: completion("4") }, error: null }))
    expect(result.customId).toBe("q1")
    expect(result.isSuccessful && result.response.text).toBe("4")
    expect(result.isSuccessful && result.response.modelName).toBe("gpt-4o-mini-2024-07-18")
    expect(result.isSuccessful && result.response.usage.outputTokens).toBe(2)
  })

  it("status ≥ 400 carries the provider's code (else its type, else the status) and message", () => {
    const line = (status: number, error: unknown) => ({ custom_id: "q", response: { status_code: status, request_id: "r", body: { error } }, error: null })
    expect(code(line(400, { message: "Invalid 'max_tokens'.", type: "invalid_request_error", code: "integer_below_min_value" }))).toBe("integer_below_min_value: Invalid 'max_tokens'.")
    expect(code(line(500, { message: "Server error.", type: "server_error", code: null }))).toBe("server_error: Server error.")
    expect(code({ custom_id: "q", response: { status_code: 503, body: "not json" }, error: null })).toBe("http_503: the request failed with status 503")
  })

  it("a line without a response: batch_expired → expired, batch_cancelled → cancelled, others as given", () => {
    expect(code({ custom_id: "q", response: null, error: { code: "batch_expired", message: "Not run before the window expired." } })).toBe("expired: Not run before the window expired.")
    expect(code({ custom_id: "q", response: null, error: { code: "batch_cancelled", message: "Cancelled." } })).toBe("cancelled: Cancelled.")
    expect(code({ custom_id: "q", response: null, error: { code: "content_policy", message: "No." } })).toBe("content_policy: No.")
  })

  it("a body that is not a chat completion fails that request only; a line without custom_id fails the read", () => {
    expect(code({ custom_id: "q", response: { status_code: 200, body: { choices: "nope" } }, error: null })).toMatch(/^response_decode_error: output file file-out line 7: /)
    expect(code({ custom_id: "q", response: null, error: null })).toContain("neither a response nor an error")
    const missing = decode({ response: null, error: { code: "x" } })
    expect(Either.isLeft(missing) && missing.left.path).toBe("output file file-out line 7")
    const notJson = decode("{nope")
    expect(Either.isLeft(notJson) && notJson.left.detail).toContain("not valid JSON")
  })
})

describe("OpenAI batch object", () => {
  const wire = {
    id: "batch_1",
    object: "batch",
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    input_file_id: "file-in",
    output_file_id: "file-out",
    error_file_id: "file-err",
    created_at: 1_750_000_000,
    in_progress_at: 1_750_000_010,
    expired_at: 1_750_086_400,
    metadata: { project: "x" },
    errors: null
  }

  it("counts: completed = succeeded, failed = failed; once over, every request that did not succeed", () => {
    const running = BatchCodec.batchFromWire({ ...wire, status: "in_progress", request_counts: { total: 10, completed: 4, failed: 1 } })
    expect([running.status, running.requestCount, running.completedCount, running.failedCount]).toEqual(["in_progress", 10, 4, 1])
    const expired = BatchCodec.batchFromWire({ ...wire, status: "expired", request_counts: { total: 10, completed: 6, failed: 1 } })
    expect([expired.status, expired.completedCount, expired.failedCount, expired.isComplete]).toEqual(["expired", 6, 4, true])
    expect(expired.completedAt?.toISOString()).toBe("2025-06-16T15:06:40.000Z")
    expect(expired.details).toEqual({
      inputFileId: "file-in",
      outputFileId: "file-out",
      errorFileId: "file-err",
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      metadata: { project: "x" },
      requestCounts: { total: 10, completed: 6, failed: 1 },
      inProgressAt: "2025-06-15T15:06:50.000Z",
      expiredAt: "2025-06-16T15:06:40.000Z"
    })
    // OpenAI reports no requests while validating: the known count wins
    expect(BatchCodec.batchFromWire({ ...wire, status: "validating", request_counts: { total: 0, completed: 0, failed: 0 } }, 3).requestCount).toBe(3)
    // a status this library does not know yet keeps the batch polled
    expect(BatchCodec.batchFromWire({ ...wire, status: "paused" }).status).toBe("in_progress")
  })

  it("errors.data become the batch's errors", () => {
    const failed = BatchCodec.batchFromWire({
      ...wire,
      status: "failed",
      errors: { data: [{ code: "invalid_url", message: "Bad URL.", line: 3, param: "url" }, { code: null, message: null, line: null, param: null }] }
    })
    expect(failed.errors.map((e) => [e.code, e.message, e.line, e.param])).toEqual([["invalid_url", "Bad URL.", 3, "url"], ["unknown", "", undefined, undefined]])
  })
})
