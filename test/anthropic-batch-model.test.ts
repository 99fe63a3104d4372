/**
 * The Anthropic `BatchModel` call by call: what goes over the wire (the same `params` as a
 * direct request), the status mapping, result lines, streaming downloads, paging, errors and
 * interruption; the emulator's batch endpoints as the real API would answer them; and the batch
 * codec on its own.
 */
import Anthropic from "@anthropic-ai/sdk"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as BatchModel from "../src/BatchModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse, ToolCallPart } from "../src/Message.js"
import { decodeBatch, decodeResultLine, undecodableCode } from "../src/providers/anthropic/batchCodec.js"
import { anthropicBatchEmulator, anthropicError, batchLifecycleHeader, batchRouteKeys } from "../src/testing/emulator/anthropic.js"
import * as Tool from "../src/Tool.js"
import { countingReads, outcomes, reqs } from "./batch-helpers.js"
import { captureLogs, type LogLine, modelLayer, waitUntil, wireBody } from "./helpers/anthropic.js"
import { apiKey, harness, routes, useBatchEmulator } from "./helpers/anthropic-batch.js"

const emulator = useBatchEmulator()
const batches = () => anthropicBatchEmulator(emulator()).batches()

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})

/** A response as JSON without the timestamp and ids, which differ between any two calls. */
const comparable = (response: ModelResponse) => {
  const { providerResponseId: _, timestamp: __, parts, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return { ...rest, parts: parts.map((p) => ("toolCallId" in p ? { ...p, toolCallId: "(id)" } : p)) }
}

const collect = <A, E>(stream: Stream.Stream<A, E, BatchModel.BatchModel>) => Effect.map(Stream.runCollect(stream), Chunk.toArray)

describe("Anthropic batch create", () => {
  it.effect("sends {custom_id, params} whose params are the direct request's body; answers match the direct request's", () =>
    Effect.gen(function*() {
      const messages = [ModelRequest.userTextPrompt("What is 144 divided by 12?", { instructions: "Be brief." })]
      const parameters = { functionTools: [Divide] }
      const settings = { temperature: 0.2, stopSequences: ["END"] }
      const direct = yield* LanguageModel.request(messages, { parameters, settings }).pipe(Effect.provide(modelLayer(emulator())))
      const directBody = wireBody(emulator())

      const h = harness(emulator(), { lifecycle: { statusCalls: 0 } })
      const results = yield* Batch.run([
        { customId: "divide", messages, parameters, settings },
        { customId: "plain", messages: [ModelRequest.userTextPrompt("What is the capital of France?")] }
      ]).pipe(Effect.provide(h.layer))
      const create = emulator().requests.find((r) => r.path === "/v1/messages/batches")!
      expect((create.body as { requests: ReadonlyArray<unknown> }).requests).toEqual([
        { custom_id: "divide", params: directBody },
        { custom_id: "plain", params: { model: "claude-haiku-4-5", max_tokens: 4096, messages: [{ role: "user", content: [{ type: "text", text: "What is the capital of France?" }] }] } }
      ])
      const divided = results[0]!
      expect(divided.isSuccessful && comparable(divided.response)).toEqual(comparable(direct))
      expect(divided.isSuccessful && divided.response.toolCalls[0]?.args).toEqual({ numerator: 144, denominator: 12 })
      const plain = results[1]!
      expect(plain.isSuccessful && plain.response.text).toBe("The capital of France is Paris.")
      // a batch result has no time of its own: it carries the batch's end
      const final = yield* Batch.status(batches()[0]!.id).pipe(Effect.provide(h.layer))
      expect(plain.isSuccessful && plain.response.timestamp).toEqual(final.completedAt)
    }))

  it.effect("model defaults merge under each request's settings; headers all requests share go with the create", () =>
    Effect.gen(function*() {
      const lines: Array<LogLine> = []
      const h = harness(emulator(), { lifecycle: { statusCalls: 0 }, settings: { temperature: 0.5, maxTokens: 100 } })
      const shared = { extraHeaders: { "x-emulator-stop-reason": "max_tokens" } }
      const results = yield* Batch.run([
        { customId: "a", messages: [ModelRequest.userTextPrompt("hi")], settings: { ...shared, temperature: 0.9 } },
        { customId: "b", messages: [ModelRequest.userTextPrompt("hi")], settings: shared }
      ]).pipe(Effect.provide(h.layer), Effect.provide(captureLogs(lines)))
      expect(batches()[0]!.params.map((p) => [p.temperature, p.max_tokens])).toEqual([[0.9, 100], [0.5, 100]])
      const create = emulator().requests.find((r) => r.path === "/v1/messages/batches")!
      expect(create.headers["x-emulator-stop-reason"]).toBe("max_tokens")
      // the emulator applied the header to every answer
      expect(results.map((r) => r.isSuccessful && r.response.finishReason)).toEqual(["length", "length"])
      expect(lines.filter((l) => l.level === "WARN")).toEqual([])
    }))

  it.effect("what a batch cannot carry (a per-request timeout, unsupported settings, differing headers) is logged, never silently dropped", () =>
    Effect.gen(function*() {
      const lines: Array<LogLine> = []
      const h = harness(emulator(), { lifecycle: { statusCalls: 0 } })
      yield* Batch.run([
        { customId: "a", messages: [ModelRequest.userTextPrompt("hi")], settings: { timeout: 30, seed: 7, extraHeaders: { "x-team": "a" } } },
        { customId: "b", messages: [ModelRequest.userTextPrompt("hi")], settings: { extraHeaders: { "x-team": "b" } } }
      ]).pipe(Effect.provide(h.layer), Effect.provide(captureLogs(lines)))
      const warnings = lines.filter((l) => l.level === "WARN").map((l) => l.message)
      expect(warnings).toEqual(expect.arrayContaining([
        expect.stringMatching(/seed.*ignored.*requests "a"/),
        expect.stringMatching(/timeout setting was ignored.*requests "a"/),
        expect.stringMatching(/extraHeaders "x-team" were not sent/)
      ]))
      const create = emulator().requests.find((r) => r.path === "/v1/messages/batches")!
      expect(create.headers["x-team"]).toBeUndefined()
    }))

  it.effect("a 400 from the API's own validation is an InvalidRequestError; a rejected key is redacted", () =>
    Effect.gen(function*() {
      const h = harness(emulator())
      // a tool call without its result passes our codec but not the API (checked per params)
      const messages = [
        ModelRequest.userTextPrompt("divide"),
        new ModelResponse({ parts: [new ToolCallPart({ toolName: "divide", args: {}, toolCallId: "t1" })], modelName: "m", providerName: "anthropic" }),
        ModelRequest.userTextPrompt("and now?")
      ]
      const rejected = yield* Effect.flip(BatchModel.create([Batch.BatchRequest.from({ customId: "x", messages })]).pipe(Effect.provide(h.layer)))
      expect(rejected._tag).toBe("InvalidRequestError")
      expect(rejected.message).toContain("requests.0.params.messages.2")

      const leaky = harness(emulator(), { apiKey: "sk-ant-invalid-93f1c2d7e8" })
      const denied = yield* Effect.flip(BatchModel.create([Batch.BatchRequest.from(reqs("a")[0]!)]).pipe(Effect.provide(leaky.layer)))
      expect(denied._tag).toBe("AuthenticationError")
      expect(JSON.stringify(denied) + denied.message).not.toContain("93f1c2d7e8")
    }))
})

  const sentIds = (emulator: ReturnType<typeof useBatchEmulator>, nth: number) =>
    (emulator().requests.filter((r) => r.path === "/v1/messages/batches")[nth]!.body as { requests: ReadonlyArray<{ custom_id: string }> })
      .requests.map((r) => r.custom_id)

  it.effect("a list that fits one batch is serialized once, for its size, and those bytes are what the create sends (Batch.create, Batch.run)", () =>
    Effect.gen(function*() {
      const { list, reads } = countingReads(600, "q")
      const h = harness(emulator())
      const batch = yield* Batch.create(list).pipe(Effect.provide(h.layer))
      expect(batch.requestCount).toBe(600)
      // validate encodes each request once (problems, shared headers, size); the split and the
      // create use what it kept
      expect(reads.count).toBe(list.length)
      expect(sentIds(emulator, 0)).toEqual(list.map((r) => r.customId))
      // so does a run of a list that fits one batch
      const run = countingReads(600, "r")
      const results = yield* Batch.run(run.list).pipe(Effect.provide(harness(emulator(), { lifecycle: { statusCalls: 0 } }).layer))
      expect(results.map((r) => r.customId)).toEqual(run.list.map((r) => r.customId))
      expect(run.reads.count).toBe(run.list.length)
      expect(sentIds(emulator, 1)).toEqual(run.list.map((r) => r.customId))
    }))

  it.effect("a kept body goes only with its own list, and only once: any other create encodes as it sends", () =>
    Effect.gen(function*() {
      const a = countingReads(300, "a")
      const b = countingReads(300, "b")
      const h = harness(emulator())
      yield* Effect.gen(function*() {
        const model = yield* BatchModel.BatchModel
        const perRequest = a.list.reduce((sum, r) => sum + model.encodedSize(r), 0)
        expect(model.encodedBytes!(a.list)).toBe(perRequest)
        const sizedReads = a.reads.count
        // another list's create: b, not planned yet, is planned and sent as that plan sized it;
        // a's kept body is dropped
        yield* model.create(b.list, {})
        expect(b.reads.count).toBe(b.list.length)
        // a's plan is kept, its body not: encoded again while sent
        yield* model.create(a.list, {})
        expect(a.reads.count).toBe(sizedReads + a.list.length)
        // sent once, its plan is gone too: sized again, then created from what that kept
        const before = a.reads.count
        model.encodedBytes!(a.list)
        yield* model.create(a.list, {})
        expect(a.reads.count).toBe(before + a.list.length)
      }).pipe(Effect.provide(h.layer))
      expect([0, 1, 2].map((n) => sentIds(emulator, n))).toEqual([b.list, a.list, a.list].map((list) => list.map((r) => r.customId)))
    }))

describe("Anthropic batch status", () => {
  it.effect("in_progress with growing counts, then ended → completed; completedCount = succeeded, failedCount = errored + expired + canceled", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 3, errors: { d: 500 } } })
      const snapshots = yield* h.drive(Effect.gen(function*() {
        const batch = yield* Batch.create(reqs("a", "b", "c", "d"))
        expect(batch.status).toBe("in_progress")
        expect(batch.requestCount).toBe(4)
        expect(batch.customIds).toEqual(["a", "b", "c", "d"])
        return Array.from(yield* Stream.runCollect(Batch.watch(batch, "10 seconds")))
      }).pipe(Effect.provide(h.layer)))
      expect(snapshots.map((b) => [b.status, b.completedCount, b.failedCount])).toEqual([
        ["in_progress", 1, 0],
        ["in_progress", 2, 0],
        ["completed", 3, 1]
      ])
      const final = snapshots.at(-1)!
      expect(final.customIds).toEqual(["a", "b", "c", "d"])
      expect(final.completedAt).toBeInstanceOf(Date)
      expect(final.details).toMatchObject({
        processingStatus: "ended",
        resultsUrl: `${emulator().anthropicBaseURL}/v1/messages/batches/${final.id}/results`,
        cancelInitiatedAt: null,
        requestCounts: { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 }
      })
      expect(Date.parse(final.details.expiresAt as string) - final.createdAt.getTime()).toBe(24 * 3600 * 1000)
      expect(snapshots[0]!.details.resultsUrl).toBeNull()
      // a Batch survives a round trip through JSON
      expect(Schema.decodeUnknownSync(Batch.Batch)(JSON.parse(JSON.stringify(Schema.encodeSync(Batch.Batch)(final))))).toEqual(final)
    }))

  it.effect("cancel → cancelling, then cancelled with the unfinished requests canceled", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 4, order: "submission" } })
      const [cancelling, cancelled, results] = yield* Effect.gen(function*() {
        const batch = yield* Batch.create(reqs("a", "b", "c", "d"))
        yield* Batch.status(batch) // one of four requests done
        yield* Batch.status(batch) // two
        const cancelling = yield* Batch.cancel(batch)
        const cancelled = yield* Batch.status(cancelling)
        return [cancelling, cancelled, yield* collect(Batch.results(cancelled))] as const
      }).pipe(Effect.provide(h.layer))
      expect(cancelling.status).toBe("cancelling")
      expect(cancelling.details.cancelInitiatedAt).toEqual(expect.any(String))
      expect(cancelled.status).toBe("cancelled")
      expect([cancelled.completedCount, cancelled.failedCount]).toEqual([2, 2])
      expect(cancelled.details.requestCounts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 0 })
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:cancelled", "d:cancelled"])
      const c = results[2]!
      expect(!c.isSuccessful && c.error.message).toBe(`batch ${cancelled.id} was cancelled before this request was processed`)
    }))

  it("decodeBatch maps every processing status as documented", () => {
    const wire = (overrides: Record<string, unknown>, counts: Partial<Record<string, number>> = {}) => ({
      id: "msgbatch_1",
      type: "message_batch",
      processing_status: "ended",
      request_counts: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, ...counts },
      created_at: "2025-01-01T00:00:00Z",
      ended_at: "2025-01-01T01:00:00Z",
      expires_at: "2025-01-02T00:00:00Z",
      cancel_initiated_at: null,
      archived_at: null,
      results_url: "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results",
      ...overrides
    })
    const status = (w: unknown) => Either.getOrThrow(decodeBatch(w)).status
    expect(status(wire({ processing_status: "in_progress", ended_at: null }, { processing: 3 }))).toBe("in_progress")
    expect(status(wire({ processing_status: "canceling", cancel_initiated_at: "2025-01-01T00:30:00Z" }, { processing: 3 }))).toBe("cancelling")
    expect(status(wire({ cancel_initiated_at: "2025-01-01T00:30:00Z" }, { succeeded: 3 }))).toBe("cancelled")
    expect(status(wire({}, { expired: 3 }))).toBe("expired")
    expect(status(wire({}, { expired: 2, succeeded: 1 }))).toBe("completed")
    expect(status(wire({}, { errored: 3 }))).toBe("completed")
    // an unknown future status keeps the batch polled (bounded by timeout) rather than failing it
    expect(status(wire({ processing_status: "paused" }))).toBe("in_progress")
    const mixed = Either.getOrThrow(decodeBatch(wire({}, { succeeded: 5, errored: 1, expired: 2, canceled: 3 })))
    expect([mixed.requestCount, mixed.completedCount, mixed.failedCount]).toEqual([11, 5, 6])
    const bad = decodeBatch(wire({ created_at: "yesterday" }))
    expect(Either.isLeft(bad) && [bad.left._tag, bad.left.path]).toEqual(["ResponseDecodeError", "created_at"])
    const missing = decodeBatch({ id: "x", processing_status: "ended", created_at: "2025-01-01T00:00:00Z" })
    expect(Either.isLeft(missing) && missing.left.path).toBe("request_counts")
  })
})

describe("Anthropic batch results", () => {
  it.effect("errored, canceled and expired lines become failures with the provider's type or our codes", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 0, outcome: "expired", processed: 2, errors: { a: 429 }, order: "submission" } })
      const results = yield* Effect.gen(function*() {
        const batch = yield* Batch.create(reqs("a", "b", "c"))
        return yield* collect(BatchModel.results(batch))
      }).pipe(Effect.provide(h.layer))
      expect(outcomes(results)).toEqual(["a:rate_limit_error", "b:ok", "c:expired"])
      const a = results[0]!
      expect(!a.isSuccessful && a.error.message).toBe("emulator: request a was scripted to fail with 429")
    }))

  it.effect("a line that is not JSON fails the download with a ResponseDecodeError naming the line (not retried)", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 0, malformed: ["b"], order: "submission" } })
      const error = yield* Effect.gen(function*() {
        const batch = yield* Batch.create(reqs("a", "b", "c"))
        return yield* Effect.flip(collect(Batch.results(batch)))
      }).pipe(Effect.provide(h.layer))
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error._tag === "ResponseDecodeError" && error.path).toBe("results line 2")
      expect(h.count(routes.results)).toBe(1)
    }))

  it.effect("results are read from the batch's results_url without a retrieve, unless that URL is on another origin or missing", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 0, order: "submission" } })
      const ended = yield* Batch.create(reqs("a", "b")).pipe(Effect.provide(h.layer))
      expect(typeof ended.details.resultsUrl).toBe("string")
      const read = (batch: Batch.Batch) => collect(BatchModel.results(batch)).pipe(Effect.provide(h.layer))
      expect(outcomes(yield* read(ended))).toEqual(["a:ok", "b:ok"])
      expect([h.count(routes.retrieve), h.count(routes.results)]).toEqual([0, 1])
      // a stored batch edited to point elsewhere: the key is not sent there, the URL is looked up again
      const elsewhere = new Batch.Batch({ ...ended, details: { ...ended.details, resultsUrl: "http://127.0.0.2:9/v1/messages/batches/x/results" } })
      expect(outcomes(yield* read(elsewhere))).toEqual(["a:ok", "b:ok"])
      expect([h.count(routes.retrieve), h.count(routes.results)]).toEqual([1, 2])
      const unknown = new Batch.Batch({ ...ended, details: {} })
      expect(outcomes(yield* read(unknown))).toEqual(["a:ok", "b:ok"])
      expect([h.count(routes.retrieve), h.count(routes.results)]).toEqual([2, 3])
    }))

  it.effect("results stream: 5,000 lines, the first arriving while the download is under way; stopping early aborts it", () =>
    Effect.gen(function*() {
      // submitted with the SDK directly: building thousands of ModelRequests would dominate the test
      const h = harness(emulator(), { lifecycle: { statusCalls: 0, linesPerChunk: 250, chunkDelayMs: 5 } })
      const sdk = new Anthropic({ apiKey, baseURL: emulator().anthropicBaseURL, maxRetries: 0, defaultHeaders: batchLifecycleHeader({ statusCalls: 0, linesPerChunk: 250, chunkDelayMs: 5 }) })
      const params = (i: number) => ({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user" as const, content: `question ${i}` }] })
      const created = yield* Effect.promise(() => sdk.messages.batches.create({ requests: Array.from({ length: 5_000 }, (_, i) => ({ custom_id: `r-${i}`, params: params(i) })) }))
      const batch = yield* Batch.status(created.id).pipe(Effect.provide(h.layer))
      let busyAtFirst: boolean | undefined
      let count = 0
      const seen = new Set<string>()
      yield* Batch.results(batch).pipe(
        Stream.runForEach((r) =>
          Effect.sync(() => {
            busyAtFirst ??= h.busy()
            count++
            if (r.isSuccessful) seen.add(r.customId)
          })
        ),
        Effect.provide(h.layer)
      )
      expect(busyAtFirst).toBe(true)
      expect(count).toBe(5_000)
      expect(seen.size).toBe(5_000)

      const first = yield* Batch.results(batch).pipe(Stream.take(3), Stream.runCollect, Effect.provide(h.layer))
      expect(Chunk.size(first)).toBe(3)
      const aborted = yield* Effect.promise(() => emulator().waitForAbort())
      expect(aborted.path).toBe(`/v1/messages/batches/${batch.id}/results`)
    }), 20_000)

  it("decodeResultLine: every result type, odd shapes, and a message that cannot be read fails only its request", () => {
    const context = { batchId: "msgbatch_1", line: 3, secrets: [apiKey] }
    const decode = (json: unknown) => decodeResultLine(json, context)
    const failureOf = (json: unknown) => {
      const r = Either.getOrThrow(decode(json))
      return r.isSuccessful ? undefined : [r.customId, r.error.code, r.error.message]
    }
    expect(failureOf({ custom_id: "a", result: { type: "errored", error: { type: "error", error: { type: "overloaded_error", message: `busy ${apiKey}` } } } }))
      .toEqual(["a", "overloaded_error", "busy [redacted]"])
    expect(failureOf({ custom_id: "a", result: { type: "errored", error: { type: "api_error", message: "flat" } } })).toEqual(["a", "api_error", "flat"])
    expect(failureOf({ custom_id: "a", result: { type: "errored" } })).toEqual(["a", "errored", "Anthropic reported an error for this request"])
    expect(failureOf({ custom_id: "a", result: { type: "canceled" } })?.[1]).toBe("cancelled")
    expect(failureOf({ custom_id: "a", result: { type: "expired" } })?.[2]).toBe("batch msgbatch_1 expired before this request was processed")
    expect(failureOf({ custom_id: "a", result: { type: "refused" } })?.[1]).toBe("refused")
    const unreadable = failureOf({ custom_id: "a", result: { type: "succeeded", message: { id: "m", model: "x", content: [{ type: "text" }], usage: {} } } })
    expect(unreadable?.[1]).toBe(undecodableCode)
    expect(unreadable?.[2]).toContain("results line 3")
    expect(unreadable?.[2]).toContain("message.content.0.text")
    const noId = decode({ result: { type: "succeeded" } })
    expect(Either.isLeft(noId) && noId.left.path).toBe("results line 3.custom_id")
    const ok = Either.getOrThrow(decode({
      custom_id: "a",
      result: { type: "succeeded", message: { id: "msg_1", model: "claude-x", content: [{ type: "text", text: "hi" }], stop_reason: "end_turn", usage: { input_tokens: 3, output_tokens: 1 } } }
    }))
    expect(ok.isSuccessful && [ok.response.text, ok.response.finishReason, ok.response.usage.totalTokens]).toEqual(["hi", "stop", 4])
  })
})

describe("Anthropic batch list", () => {
  it.effect("all batches newest first, fetched a page at a time as the stream is consumed", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 0 } })
      const created = yield* Effect.forEach(Array.from({ length: 105 }, (_, i) => i), (i) => BatchModel.create(reqs(`q${i}`).map(Batch.BatchRequest.from)), { concurrency: 8 }).pipe(Effect.provide(h.layer))
      const newestFirst = batches().map((b) => b.id).reverse()
      expect(new Set(created.map((b) => b.id))).toEqual(new Set(newestFirst))

      const all = yield* collect(Batch.list()).pipe(Effect.provide(h.layer))
      expect(all.map((b) => b.id)).toEqual(newestFirst)
      const pages = h.calls.filter((c) => c.method === "GET" && c.path === "/v1/messages/batches")
      expect(pages.map((c) => new URLSearchParams(c.query).get("after_id"))).toEqual([null, newestFirst[99]])

      h.calls.length = 0
      const three = yield* collect(Batch.list({ limit: 3 })).pipe(Effect.provide(h.layer))
      expect(three.map((b) => b.id)).toEqual(newestFirst.slice(0, 3))
      expect(h.calls.map((c) => c.query)).toEqual(["?limit=3"])

      const after = yield* collect(Batch.list({ after: newestFirst[1], limit: 2 })).pipe(Effect.provide(h.layer))
      expect(after.map((b) => b.id)).toEqual(newestFirst.slice(2, 4))
      expect(after[0]!.status).toBe("completed")
    }))
})

describe("Anthropic batch calls: errors and interruption", () => {
  it.effect("an unknown batch is a NotFoundError; 529 is a ProviderUnavailableError", () =>
    Effect.gen(function*() {
      const h = harness(emulator())
      const missing = yield* Effect.flip(BatchModel.status("msgbatch_nope")).pipe(Effect.provide(h.layer))
      expect(missing._tag).toBe("NotFoundError")
      emulator().script(batchRouteKeys.cancelBatch, anthropicError(529, "overloaded_error", "Overloaded"))
      const busy = yield* Effect.flip(BatchModel.cancel("msgbatch_any")).pipe(Effect.provide(h.layer))
      expect(busy._tag === "ProviderUnavailableError" && busy.status).toBe(529)
    }))

  it.effect("interrupting a status call aborts its HTTP request", () =>
    Effect.gen(function*() {
      const h = harness(emulator())
      emulator().script(batchRouteKeys.retrieveBatch, { fault: "hang" })
      const fiber = yield* Effect.fork(BatchModel.status("msgbatch_x").pipe(Effect.provide(h.layer)))
      yield* waitUntil(() => emulator().requests.length === 1)
      yield* Fiber.interrupt(fiber)
      const aborted = yield* Effect.promise(() => emulator().waitForAbort())
      expect(aborted.path).toBe("/v1/messages/batches/msgbatch_x")
    }))
})

describe("Anthropic emulator: message batch endpoints", () => {
  const post = (body: unknown) =>
    Effect.promise(async () => {
      const response = await fetch(`${emulator().anthropicBaseURL}/v1/messages/batches`, {
        method: "POST",
        headers: { "x-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify(body)
      })
      return { status: response.status, json: (await response.json()) as { error?: { type: string; message: string } } }
    })
  const params = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }

  it.effect("rejects what the real API rejects with 400", () =>
    Effect.gen(function*() {
      expect((yield* post({ requests: [] })).status).toBe(400)
      const pattern = yield* post({ requests: [{ custom_id: "a b", params }] })
      expect([pattern.status, pattern.json.error?.message]).toEqual([400, "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"])
      const twice = yield* post({ requests: [{ custom_id: "a", params }, { custom_id: "a", params }] })
      expect(twice.json.error?.message).toContain("unique")
      const noTokens = yield* post({ requests: [{ custom_id: "a", params: { ...params, max_tokens: undefined } }] })
      expect(noTokens.json.error?.message).toBe("requests.0.params.max_tokens: Field required")
      expect(batches()).toHaveLength(0)
      const fine = yield* post({ requests: [{ custom_id: "a", params }] })
      expect(fine.status).toBe(200)
    }))

  it.effect("pages with before_id as well as after_id", () =>
    Effect.gen(function*() {
      for (const id of ["a", "b", "c", "d"]) yield* post({ requests: [{ custom_id: id, params }] })
      const ids = batches().map((b) => b.id).reverse() // newest first
      const page = (query: string) =>
        Effect.promise(() => fetch(`${emulator().anthropicBaseURL}/v1/messages/batches?${query}`, { headers: { "x-api-key": apiKey } }).then((r) => r.json() as Promise<{ data: Array<{ id: string }>; has_more: boolean; first_id: string; last_id: string }>))
      const first = yield* page("limit=2")
      expect([first.data.map((b) => b.id), first.has_more, first.first_id, first.last_id]).toEqual([ids.slice(0, 2), true, ids[0], ids[1]])
      const next = yield* page(`limit=2&after_id=${ids[1]}`)
      expect([next.data.map((b) => b.id), next.has_more]).toEqual([ids.slice(2, 4), false])
      const back = yield* page(`limit=1&before_id=${ids[2]}`)
      expect([back.data.map((b) => b.id), back.has_more]).toEqual([[ids[1]], true])
    }))
})
