/**
 * `Batch.run` on the Anthropic provider: every lifecycle guarantee of the batch issue, through
 * the real SDK against the emulator. Batches advance per status call; the TestClock is moved by
 * the harness's driver, so 60-second polls, retry-after waits and timeouts take milliseconds.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, ModelRequest, UserPromptPart } from "../src/Message.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as Retry from "../src/Retry.js"
import { anthropicBatchEmulator, anthropicError, batchRouteKeys } from "../src/testing/emulator/anthropic.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { harness, routes, useBatchEmulator } from "./helpers/anthropic-batch.js"
import { waitUntil } from "./helpers/anthropic.js"

const emulator = useBatchEmulator()
const batches = () => anthropicBatchEmulator(emulator()).batches()
const overloaded = () => anthropicError(529, "overloaded_error", "Overloaded")

describe("Anthropic Batch.run results", () => {
  it.effect("one result per custom id in submission order, despite shuffled, duplicated and left-out lines", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { order: "shuffled", duplicate: ["a", "d"], omit: ["c"], errors: { b: 400 } } })
      const results = yield* h.drive(Batch.run(reqs("a", "b", "c", "d", "e")).pipe(Effect.provide(h.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:invalid_request_error", "c:missing", "d:ok", "e:ok"])
      const a = results[0]!
      expect(a.isSuccessful && a.response.text).toBe("You said: question a")
      expect(a.isSuccessful && a.response.providerName).toBe("anthropic")
      const b = results[1]!
      expect(!b.isSuccessful && b.error.message).toContain("scripted to fail with 400")
      expect(h.count(routes.create)).toBe(1)
      // checked right after create, then every 60 seconds (the default) until it ended at the third;
      // the results are read from the results_url that look-up gave, without another retrieve
      expect(h.calls.filter((c) => c.method === "GET" && c.path.endsWith(batches()[0]!.id)).map((c) => c.at)).toEqual([0, 60, 120])
    }))

  it.effect("an expired batch returns what finished and 'expired' for the rest; all expired is status expired", () =>
    Effect.gen(function*() {
      const some = harness(emulator(), { lifecycle: { outcome: "expired", processed: 2, order: "reversed" } })
      expect(outcomes(yield* some.drive(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(some.layer)))))
        .toEqual(["a:ok", "b:ok", "c:expired", "d:expired"])

      const none = harness(emulator(), { lifecycle: { outcome: "expired", processed: 0, unprocessedLines: false } })
      const watched = yield* none.drive(Effect.gen(function*() {
        const batch = yield* Batch.create(reqs("x", "y"))
        return Array.from(yield* Stream.runCollect(Batch.watch(batch, "1 minute")))
      }).pipe(Effect.provide(none.layer)))
      const final = watched.at(-1)!
      expect(final.status).toBe("expired")
      expect(final.failedCount).toBe(2)
      // no lines at all: the library fills them in from the status
      expect(outcomes(Array.from(yield* Stream.runCollect(Batch.results(final)).pipe(Effect.provide(none.layer))))).toEqual(["x:expired", "y:expired"])
    }))

  it.effect("a batch cancelled by someone else returns what finished and 'cancelled' for the rest", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { outcome: "cancelled", processed: 1 } })
      const results = yield* h.drive(Batch.run(reqs("a", "b", "c")).pipe(Effect.provide(h.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:cancelled", "c:cancelled"])
      expect(h.count(routes.cancel)).toBe(0)
    }))

  it.effect("per-request models reach the wire and come back on the responses", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 1 } })
      const requests = [
        { customId: "default", messages: [ModelRequest.userTextPrompt("What is 2 + 2?")] },
        { customId: "opus", model: "claude-opus-4-1", messages: [ModelRequest.userTextPrompt("What is 2 + 2?")] }
      ]
      const results = yield* h.drive(Batch.run(requests).pipe(Effect.provide(h.layer)))
      expect(batches()[0]!.params.map((p) => p.model)).toEqual(["claude-haiku-4-5", "claude-opus-4-1"])
      expect(results.map((r) => r.isSuccessful && r.response.modelName)).toEqual(["claude-haiku-4-5", "claude-opus-4-1"])
    }))
})

describe("Anthropic Batch.run transient faults", () => {
  it.effect("429 with retry-after, 5xx, 529 and resets while polling and downloading are retried; the batch is never resubmitted", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 2, truncateDownloads: 1, linesPerChunk: 1, order: "submission" } })
      emulator().script(
        batchRouteKeys.retrieveBatch,
        anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "20" }),
        anthropicError(500, "api_error", "Internal server error"),
        { fault: "reset" }
      )
      // the first download is cut halfway (truncateDownloads), the second answers 529
      emulator().script(batchRouteKeys.batchResults, (request) => anthropicBatchEmulator(emulator()).handler(batchRouteKeys.batchResults)(request))
      emulator().script(batchRouteKeys.batchResults, overloaded())
      const results = yield* h.drive(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(h.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect(h.count(routes.create)).toBe(1)
      expect(h.count(routes.cancel)).toBe(0)
      expect(h.count(routes.results)).toBe(3)
      const polls = h.calls.filter((c) => c.method === "GET" && /msgbatch_[^/]+$/.test(c.path)).map((c) => c.at)
      // the 429 at 0 s asked for 20 s: the next attempt waited at least that long
      expect(polls[0]).toBe(0)
      expect(polls[1]!).toBeGreaterThanOrEqual(20)
    }))

  it.effect("a create the API rate-limited is retried; a create answered 529 is not (a batch may exist)", () =>
    Effect.gen(function*() {
      const limited = harness(emulator(), { lifecycle: { statusCalls: 0 } })
      emulator().script(batchRouteKeys.createBatch, anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "5" }))
      expect(outcomes(yield* limited.drive(Batch.run(reqs("a")).pipe(Effect.provide(limited.layer))))).toEqual(["a:ok"])
      expect(limited.count(routes.create)).toBe(2)
      expect(batches()).toHaveLength(1)

      const down = harness(emulator(), { lifecycle: { statusCalls: 0 } })
      emulator().script(batchRouteKeys.createBatch, overloaded())
      const error = yield* down.drive(Effect.flip(Batch.run(reqs("a")).pipe(Effect.provide(down.layer))))
      expect(error._tag).toBe("ProviderUnavailableError")
      expect(down.count(routes.create)).toBe(1)
    }))

  it.effect("a fault that is not transient fails the run and cancels the batch", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 10 } })
      emulator().script(batchRouteKeys.retrieveBatch, (r) => anthropicBatchEmulator(emulator()).handler(batchRouteKeys.retrieveBatch)(r), anthropicError(403, "permission_error", "no"))
      const error = yield* h.drive(Effect.flip(Batch.run(reqs("a")).pipe(Effect.provide(h.layer))))
      expect(error._tag).toBe("PermissionDeniedError")
      expect(h.count(routes.cancel)).toBe(1)
      expect(batches()[0]!.processingStatus).toBe("canceling")
    }))
})

describe("Anthropic Batch.run cancellation", () => {
  it.effect("timeout cancels the remote batch and fails with BatchTimeoutError carrying its id", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 1000 } })
      const error = yield* h.drive(Effect.flip(Batch.run(reqs("a", "b"), { timeout: "30 minutes" }).pipe(Effect.provide(h.layer))))
      expect(error._tag).toBe("BatchTimeoutError")
      const id = batches()[0]!.id
      if (error._tag === "BatchTimeoutError") {
        expect(error.batchId).toBe(id)
        expect(Duration.toMinutes(error.timeout)).toBe(30)
      }
      expect(h.count(routes.cancel)).toBe(1)
      expect(h.calls.find((c) => c.method === "POST" && c.path.endsWith("/cancel"))!.at).toBe(1800)
      expect(batches()[0]!.processingStatus).toBe("canceling")
    }))

  it.effect("interruption cancels the remote batch; its next status is cancelled", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 100 } })
      const fiber = yield* Effect.fork(h.drive(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(h.layer))))
      yield* waitUntil(() => h.count(routes.retrieve) >= 3)
      yield* Fiber.interrupt(fiber)
      expect(h.count(routes.create)).toBe(1)
      expect(h.count(routes.cancel)).toBe(1)
      const after = yield* h.drive(Batch.status(batches()[0]!.id).pipe(Effect.provide(h.layer)))
      expect(after.status).toBe("cancelled")
      expect(after.details.cancelInitiatedAt).toEqual(expect.any(String))
    }))

  it.effect("interruption that lands during create still ends with the created batch cancelled", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 100 } })
      const create = anthropicBatchEmulator(emulator()).handler(batchRouteKeys.createBatch)
      emulator().script(batchRouteKeys.createBatch, async (request) => ({ ...(await create(request)), delayMs: 150 }))
      const fiber = yield* Effect.fork(h.drive(Batch.run(reqs("a", "b")).pipe(Effect.provide(h.layer))))
      yield* waitUntil(() => emulator().requests.some((r) => r.method === "POST" && r.path === "/v1/messages/batches"))
      // the create is on the wire and not answered yet
      expect(h.busy()).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(emulator().aborted).toHaveLength(0) // the create was not aborted
      expect(batches()).toHaveLength(1)
      expect(h.count(routes.retrieve)).toBe(0)
      expect(h.count(routes.cancel)).toBe(1)
      expect(batches()[0]!.processingStatus).toBe("canceling")
      const after = yield* Batch.status(batches()[0]!.id).pipe(Effect.provide(h.layer))
      expect(after.status).toBe("cancelled")
      const results = yield* Stream.runCollect(Batch.results(after)).pipe(Effect.provide(h.layer))
      expect([...outcomes(Array.from(results))].sort()).toEqual(["a:cancelled", "b:cancelled"])
    }))

  it.effect("the cancel is retried on transient faults a bounded number of times", () =>
    Effect.gen(function*() {
      const flaky = harness(emulator(), { lifecycle: { statusCalls: 100 } })
      emulator().script(batchRouteKeys.cancelBatch, overloaded(), { fault: "reset" })
      const fiber = yield* Effect.fork(flaky.drive(Batch.run(reqs("a")).pipe(Effect.provide(flaky.layer))))
      yield* waitUntil(() => flaky.count(routes.retrieve) >= 1)
      yield* Fiber.interrupt(fiber)
      expect(flaky.count(routes.cancel)).toBe(3)
      expect(batches()[0]!.processingStatus).toBe("canceling")

      const down = harness(emulator(), { lifecycle: { statusCalls: 100 } })
      emulator().script(batchRouteKeys.cancelBatch, ...Array.from({ length: 10 }, overloaded))
      const stuck = yield* Effect.fork(down.drive(Batch.run(reqs("a"), { retry: Retry.policy({ times: 2 }) }).pipe(Effect.provide(down.layer))))
      yield* waitUntil(() => down.count(routes.retrieve) >= 1)
      yield* Fiber.interrupt(stuck)
      expect(down.count(routes.cancel)).toBe(3) // one attempt and two retries, then it gives up
      expect(batches()[1]!.processingStatus).toBe("in_progress")
    }))
})

describe("Anthropic Batch.run resume", () => {
  it.effect("a run stopped after submission resumes the same batch: one provider batch, every result", () =>
    Effect.gen(function*() {
      const kv = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      const h = harness(emulator(), { lifecycle: { statusCalls: 5 } })
      const run = Batch.run(reqs("a", "b", "c"), { resumeKey: "nightly" }).pipe(
        Effect.provide(h.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      const first = yield* Effect.fork(h.drive(run))
      yield* waitUntil(() => h.count(routes.retrieve) >= 2)
      yield* Fiber.interrupt(first)
      expect(h.count(routes.cancel)).toBe(0) // left running
      const record = yield* kv.get("nightly")
      expect(Option.isSome(record) && record.value).toContain(batches()[0]!.id)

      const results = yield* h.drive(run)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      expect(h.count(routes.create)).toBe(1)
      expect(batches()).toHaveLength(1)
      expect(batches()[0]!.processingStatus).toBe("ended")
      expect(yield* kv.has("nightly")).toBe(false)
    }))
})

describe("Anthropic Batch.run validation and splitting", () => {
  it.effect("bad custom ids, metadata and requests the codec cannot encode fail before any network call", () =>
    Effect.gen(function*() {
      const h = harness(emulator())
      const reason = (effect: Effect.Effect<unknown, unknown, BatchModel>) =>
        effect.pipe(
          Effect.provide(h.layer),
          Effect.flip,
          Effect.map((e) => ((e as { _tag?: string })._tag === "InvalidInputError" ? (e as { reason: string }).reason : `unexpected ${String(e)}`))
        )
      const badIds = yield* reason(Batch.run(reqs("ok-1", "has space", "dot.ted", "x".repeat(65))))
      expect(badIds).toContain("^[a-zA-Z0-9_-]{1,64}$")
      expect(badIds).toContain('"has space", "dot.ted"')
      expect(badIds).not.toContain("ok-1")
      const metadata = yield* reason(Batch.run(reqs("a"), { metadata: { team: "evals" } }))
      expect(metadata).toContain("carry no metadata")
      expect(metadata).toContain('"team"')
      // a request the codec cannot encode (here: inline audio) is refused with the codec's reason
      const audio = new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
      const unencodable = yield* reason(Batch.create([
        { customId: "fine", messages: [ModelRequest.userTextPrompt("hi")] },
        { customId: "n", messages: [new ModelRequest({ parts: [new UserPromptPart({ content: ["listen", audio] })] })] }
      ]))
      expect(unencodable).toContain('request "n"')
      expect(unencodable).toContain("audio/wav")
      expect(unencodable).not.toContain('"fine"')
      expect(yield* reason(Batch.run([{ customId: "empty", messages: [] }]))).toContain("no user or assistant message")
      expect(emulator().requests).toHaveLength(0)
    }))

  it.effect("maxRequestsPerBatch and maxBytesPerBatch split into provider batches merged in submission order", () =>
    Effect.gen(function*() {
      const h = harness(emulator(), { lifecycle: { statusCalls: 1, order: "reversed" } })
      const results = yield* h.drive(Batch.run(reqs("a", "b", "c", "d", "e"), { maxRequestsPerBatch: 2 }).pipe(Effect.provide(h.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok", "e:ok"])
      expect(batches().map((b) => b.customIds)).toEqual([["a", "b"], ["c", "d"], ["e"]])
      expect(h.count(routes.create)).toBe(3)

      anthropicBatchEmulator(emulator()).reset()
      const size = yield* Effect.map(BatchModel, (m) => m.encodedSize(Batch.BatchRequest.from(reqs("a")[0]!))).pipe(Effect.provide(h.layer))
      const bytes = yield* h.drive(Batch.run(reqs("a", "b", "c", "d"), { maxBytesPerBatch: size * 3 }).pipe(Effect.provide(h.layer)))
      expect(outcomes(bytes)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect(batches().map((b) => b.customIds)).toEqual([["a", "b", "c"], ["d"]])
    }))
})

describe("Anthropic.model", () => {
  it.effect("provides LanguageModel and BatchModel over one client", () =>
    Effect.gen(function*() {
      const layer = Anthropic.model("claude-haiku-4-5", {
        client: { apiKey: "test-anthropic-key-7f3a9c2e51", baseURL: emulator().anthropicBaseURL, defaultHeaders: { "x-emulator-batch": JSON.stringify({ statusCalls: 0 }) } }
      })
      const [response, results] = yield* Effect.all([
        LanguageModel.request([ModelRequest.userTextPrompt("What is 2 + 2?")]),
        Batch.run(reqs("a"))
      ]).pipe(Effect.provide(layer))
      expect(response.text).toBe("2 + 2 = 4.")
      expect(outcomes(results)).toEqual(["a:ok"])
      const _typed: Layer.Layer<LanguageModel.LanguageModel | BatchModel, unknown> = layer
      void _typed
    }))
})
