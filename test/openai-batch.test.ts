/**
 * The OpenAI BatchModel end to end: `Batch.run` and the single calls through the real SDK
 * against the emulator's Files and Batch APIs. Lifecycles advance per status call; the TestClock
 * is moved by `drive` only while no HTTP is in flight, so no test sleeps through a poll interval.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as BatchModel from "../src/BatchModel.js"
import { ModelRequest } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { Codec } from "../src/providers/openai/index.js"
import * as Tool from "../src/Tool.js"
import { countingReads, outcomes, reqs } from "./batch-helpers.js"
import { batchModel, callsTo, driven, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})

/** The lines of the one uploaded input file, parsed. */
const uploadedLines = (): ReadonlyArray<Record<string, unknown>> => {
  const [batch] = batches().batches()
  const text = batches().fileText(batch!.inputFileId) ?? ""
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe("OpenAI Batch.run", () => {
  it.effect("one result per custom id in submission order despite shuffled, duplicated and left-out lines", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 3, order: "shuffled", duplicate: ["a", "c"], omit: ["d"], errors: { b: 400 } }
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c", "d", "e")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:invalid_request_error", "c:ok", "d:missing", "e:ok"])
      const a = results[0]!
      expect(a.isSuccessful && a.response.text).toBe("You said: question a")
      expect(a.isSuccessful && a.response.modelName).toBe("gpt-4o-mini")
      expect(a.isSuccessful && a.response.providerResponseId).toMatch(/^chatcmpl-/)
      const b = results[1]!
      expect(!b.isSuccessful && b.error.message).toContain("scripted to fail")
      expect(callsTo(emulator(), KEYS.uploadFile)).toBe(1)
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(3)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
      expect(batches().batches().map((x) => x.status)).toEqual(["completed"])
    }))

  it.effect("uploads JSONL built by the direct-request codec, on /v1/chat/completions, 24h, with metadata", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const model = batchModel(emulator(), { settings: { temperature: 0.5 } })
      const requests = [
        { customId: "plain", messages: [ModelRequest.userTextPrompt("What is 2 + 2?", { instructions: "Be brief." })], settings: { maxTokens: 50 } },
        { customId: "tools", messages: [ModelRequest.userTextPrompt("Divide 10 by 4")], parameters: { functionTools: [Divide] } }
      ]
      const results = yield* driven(Batch.run(requests, { metadata: { project: "eval", run: "7" } }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["plain:ok", "tools:ok"])
      const tools = results[1]!
      expect(tools.isSuccessful && tools.response.toolCalls.map((c) => [c.toolName, c.args])).toEqual([["divide", { numerator: 10, denominator: 4 }]])

      const upload = emulator().requests.find((r) => r.path === "/v1/files")!
      expect(upload.headers["content-type"]).toMatch(/^multipart\/form-data/)
      expect(upload.rawBody.toString()).toContain('name="purpose"\r\n\r\nbatch')
      expect(upload.rawBody.toString()).toMatch(/filename="batch-input\.jsonl"/)

      const create = emulator().requests.find((r) => r.path === "/v1/batches" && r.method === "POST")!
      expect(create.body).toMatchObject({ endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { project: "eval", run: "7" } })

      // each line's body is exactly what a direct request would send
      const lines = uploadedLines()
      expect(lines.map((l) => [l.custom_id, l.method, l.url])).toEqual([
        ["plain", "POST", "/v1/chat/completions"],
        ["tools", "POST", "/v1/chat/completions"]
      ])
      const direct = (i: number) => {
        const r = Batch.BatchRequest.from(requests[i]!)
        const encoded = Codec.encodeRequest("gpt-4o-mini", r.messages, r.parameters ?? ModelRequestParameters.from(undefined), { temperature: 0.5, ...r.settings })
        return Either.getOrThrow(encoded).body
      }
      expect(lines[0]!.body).toEqual(direct(0))
      expect(lines[1]!.body).toEqual(direct(1))
      expect(lines[0]!.body).toMatchObject({ max_completion_tokens: 50, temperature: 0.5 })
    }))

  it.effect("a validated list's lines are uploaded as validate encoded them, and kept for no other create", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const a = countingReads(50, "a")
      yield* Batch.create(a.list).pipe(Effect.provide(model.layer))
      const once = a.reads.count
      expect(once).toBeGreaterThan(0)
      const b = countingReads(50, "b")
      yield* Effect.gen(function* () {
        const service = yield* BatchModel.BatchModel
        // validate alone encodes as much as Batch.create of a list did: that create uploaded the
        // lines its validate encoded
        yield* service.validate(b.list, {})
        expect(b.reads.count).toBe(once)
        // another list's create drops b's lines, so b's own create encodes them again
        yield* service.create(a.list, {})
        yield* service.create(b.list, {})
        expect(b.reads.count).toBe(2 * once)
      }).pipe(Effect.provide(model.layer))
      const inputs = batches().batches().map((batch) => batches().fileText(batch.inputFileId)!.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { custom_id: string }).custom_id))
      expect(inputs).toEqual([a.list, a.list, b.list].map((list) => list.map((r) => r.customId)))
    }))

  it.effect("the single calls: create, watch, status details, results, list", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 4, order: "reversed" }
      const model = batchModel(emulator())
      yield* Effect.gen(function* () {
        const created = yield* Batch.create(reqs("x", "y"), { metadata: { owner: "tests" } })
        expect(created.status).toBe("validating")
        expect(created.requestCount).toBe(2)
        expect(created.customIds).toEqual(["x", "y"])
        expect(created.id).toMatch(/^batch_/)
        const snapshots = yield* driven(Stream.runCollect(Batch.watch(created, "10 seconds")), model.traffic)
        expect(Chunk.toArray(snapshots).map((b) => b.status)).toEqual(["in_progress", "in_progress", "finalizing", "completed"])
        expect(Chunk.toArray(snapshots).map((b) => b.completedCount)).toEqual([0, 1, 2, 2])
        const final = Chunk.toArray(snapshots).at(-1)!
        expect(final.customIds).toEqual(["x", "y"])
        expect(final.completedAt).toBeInstanceOf(Date)
        expect(final.details).toMatchObject({
          inputFileId: expect.stringMatching(/^file-/),
          outputFileId: expect.stringMatching(/^file-/),
          endpoint: "/v1/chat/completions",
          completionWindow: "24h",
          model: "gpt-4o-mini",
          metadata: { owner: "tests" },
          requestCounts: { total: 2, completed: 2, failed: 0 }
        })
        // a Batch encodes to JSON and back, details included
        expect(Schema.decodeUnknownSync(Batch.Batch)(Schema.encodeSync(Batch.Batch)(final))).toEqual(final)
        const results = yield* Stream.runCollect(Batch.results(final))
        // provider order (reversed here), not submission order
        expect(outcomes(Chunk.toArray(results))).toEqual(["y:ok", "x:ok"])
        const second = yield* Batch.create(reqs("z"))
        const listed = yield* Stream.runCollect(Batch.list())
        expect(Chunk.toArray(listed).map((b) => b.id)).toEqual([second.id, created.id])
      }).pipe(Effect.provide(model.layer))
    }))
})
