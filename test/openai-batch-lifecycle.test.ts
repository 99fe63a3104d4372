/**
 * The batch lifecycle guarantees on OpenAI, through the real SDK against the emulator: timeouts
 * and interruption cancel the remote batch (also when they land during upload or create), the
 * cancel is retried, transient faults while polling and downloading never resubmit, failed /
 * expired / cancelled outcomes, resume with a KeyValueStore, validation before any network call,
 * and splitting.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import { ImageUrl, ModelRequest, UserPromptPart } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { batchModel, callsTo, drive, driven, KEYS, useBatchEmulator, waitFor } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

/** Wraps a route's default behaviour with a delay before it answers (the work is done at once). */
const delayed = (key: Parameters<ReturnType<typeof batches>["handler"]>[0], delayMs: number) =>
  emulator().script(key, async (r) => ({ ...(await batches().handler(key)(r)), delayMs }))

describe("OpenAI batch: cancellation", () => {
  it.effect("timeout cancels the remote batch and fails with BatchTimeoutError carrying its id", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1000 }
      const model = batchModel(emulator())
      const run = Batch.run(reqs("a", "b"), { timeout: "30 minutes", pollInterval: "5 minutes" }).pipe(Effect.provide(model.layer))
      const error = yield* driven(Effect.flip(run), model.traffic, { maxStepMs: 5 * 60_000 })
      const [batch] = batches().batches()
      expect(error._tag).toBe("BatchTimeoutError")
      expect(error._tag === "BatchTimeoutError" && error.batchId).toBe(batch!.id)
      expect(error._tag === "BatchTimeoutError" && Duration.toMinutes(error.timeout)).toBe(30)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(1)
      expect(batch!.status).toBe("cancelling")
      // polled once right away, then every 5 minutes until the timeout
      // (the poll due at 30 minutes races the timeout)
      expect([6, 7]).toContain(batch!.statusCalls)
    }))

  it.effect("interruption while polling cancels the remote batch", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.run(reqs("a", "b")).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.retrieveBatch) >= 1 && model.traffic.inFlight() === 0, "the first status call")
      yield* Fiber.interrupt(fiber)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(1)
      expect(batches().batches().map((b) => b.status)).toEqual(["cancelling"])
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
    }))

  it.effect("interrupting a status call that hangs aborts its HTTP request, then cancels the batch", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      emulator().script(KEYS.retrieveBatch, { fault: "hang" })
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.run(reqs("a")).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.retrieveBatch) === 1, "the status call")
      const aborted = Effect.promise(() => emulator().waitForAbort(3_000))
      const [request] = yield* Effect.all([aborted, Fiber.interrupt(fiber)], { concurrency: "unbounded" })
      expect(request.path).toMatch(/^\/v1\/batches\/batch_/)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(1)
    }))

  it.effect("interruption that lands during the upload still ends with the created batch cancelled", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      delayed(KEYS.uploadFile, 150)
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.run(reqs("a", "b")).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.uploadFile) === 1, "the upload")
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(0)
      yield* Fiber.interrupt(fiber) // waits for upload and create, then cancels
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(0)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(1)
      expect(batches().batches().map((b) => b.status)).toEqual(["cancelling"])
      expect(emulator().aborted).toEqual([]) // neither call was aborted
    }))

  it.effect("interruption that lands during the create call still cancels the batch it created", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      delayed(KEYS.createBatch, 150)
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.create(reqs("a")).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.createBatch) === 1, "the create call")
      yield* Fiber.interrupt(fiber)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(1)
      expect(batches().batches().map((b) => b.status)).toEqual(["cancelling"])
    }))

  it.effect("the cancel is retried on transient faults, a bounded number of times", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      emulator().script(KEYS.cancelBatch, openAiError(503, "Overloaded."), { fault: "reset" })
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.run(reqs("a")).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.retrieveBatch) >= 1 && model.traffic.inFlight() === 0, "the first status call")
      yield* drive(yield* Effect.fork(Fiber.interrupt(fiber)), model.traffic)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(3)
      expect(batches().batches()[0]!.status).toBe("cancelling")

      // a cancel that keeps failing is given up after the policy's retries (logged, not raised)
      emulator().reset()
      batches().reset()
      batches().lifecycle = { statusCalls: 100 }
      emulator().script(KEYS.cancelBatch, ...Array.from({ length: 10 }, () => openAiError(500, "down")))
      const stuck = yield* Effect.fork(Batch.run(reqs("a"), { retry: Retry.policy({ times: 2 }) }).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => callsTo(emulator(), KEYS.retrieveBatch) >= 1 && model.traffic.inFlight() === 0, "the first status call")
      yield* drive(yield* Effect.fork(Fiber.interrupt(stuck)), model.traffic)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(3)
    }))
})

describe("OpenAI batch: transient faults", () => {
  it.effect("429 with retry-after, 5xx and resets while polling and downloading are retried; the batch is never resubmitted", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 2, linesPerChunk: 1, order: "submission" }
      const content = batches().handler(KEYS.fileContent)
      emulator().script(KEYS.retrieveBatch, openAiError(429, "Rate limit reached.", { headers: { "retry-after": "20" } }), openAiError(500, "oops"), { fault: "reset" })
      emulator().script(
        KEYS.fileContent,
        async (r) => ({ ...(await content(r)), fault: "truncate" }), // half the lines, then the connection breaks
        openAiError(503, "Overloaded.", { headers: { "retry-after": "1" } }),
        { fault: "reset" }
      )
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect(callsTo(emulator(), KEYS.uploadFile)).toBe(1)
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(5) // 3 faults + 2 answered
      expect(callsTo(emulator(), KEYS.fileContent)).toBe(4) // 3 faults + 1 complete read
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
    }))

  it.effect("a create the provider rate-limited is retried; one that failed otherwise is not retried", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      emulator().script(KEYS.createBatch, openAiError(429, "Too many batches.", { headers: { "retry-after": "2" } }))
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok"])
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(2)
      // the rejected attempt's upload was deleted; the second attempt uploaded again
      expect(callsTo(emulator(), KEYS.uploadFile)).toBe(2)
      expect(callsTo(emulator(), KEYS.deleteFile)).toBe(1)

      emulator().reset()
      emulator().script(KEYS.createBatch, openAiError(500, "The server had an error."))
      const error = yield* driven(Effect.flip(Batch.run(reqs("a")).pipe(Effect.provide(model.layer))), model.traffic)
      expect(error._tag).toBe("ProviderUnavailableError")
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      // after a 5xx a batch may exist: its input file is kept
      expect(callsTo(emulator(), KEYS.deleteFile)).toBe(0)
    }))
})

describe("OpenAI batch: errors", () => {
  it.effect("a rejected key fails with AuthenticationError whose message never holds the key, though OpenAI echoes it", () =>
    Effect.gen(function* () {
      const key = "emu-invalid-key-7d1e55"
      const model = batchModel(emulator(), { apiKey: key })
      const error = yield* Effect.flip(Batch.create(reqs("a")).pipe(Effect.provide(model.layer)))
      expect(error._tag).toBe("AuthenticationError")
      expect(emulator().requests[0]!.apiKey).toBe(key)
      expect(error.message).toContain("[redacted]")
      expect(error.message).not.toContain(key)
      expect(JSON.stringify(error)).not.toContain(key)
      expect(callsTo(emulator(), KEYS.uploadFile)).toBe(1) // a 401 is not retried
    }))

  it.effect("a batch id OpenAI does not know is a NotFoundError", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const error = yield* Effect.flip(Batch.status("batch_nope").pipe(Effect.provide(model.layer)))
      expect(error._tag).toBe("NotFoundError")
      expect(error.message).toContain("No batch found with id 'batch_nope'")
    }))
})

describe("OpenAI batch: outcomes", () => {
  it.effect("partly errored: 400 and 500 lines carry the provider's code and message, the rest succeed", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1, errors: { b: 400, c: 500 } }
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:invalid_request_error", "c:server_error"])
      const c = results[2]!
      expect(!c.isSuccessful && c.error.message).toBe("The server had an error while processing your request.")
      const [batch] = batches().batches()
      expect(batch!.errorFileId).toMatch(/^file-/)
    }))

  it.effect("expired: the finished requests' results and 'expired' for the rest (with or without error lines)", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      for (const unprocessedLines of [true, false]) {
        batches().lifecycle = { statusCalls: 2, outcome: "expired", processed: 2, unprocessedLines }
        const results = yield* driven(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(model.layer)), model.traffic)
        expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:expired", "d:expired"])
      }
      expect(batches().batches().map((b) => b.status)).toEqual(["expired", "expired"])
    }))

  it.effect("cancelled by someone else: what finished, and 'cancelled' for the rest", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 2, outcome: "cancelled", processed: 1 }
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:cancelled", "c:cancelled"])
    }))

  it.effect("a batch that failed validation fails the run with BatchFailedError carrying OpenAI's errors", () =>
    Effect.gen(function* () {
      batches().lifecycle = {
        statusCalls: 2,
        outcome: "failed",
        // (token_limit_exceeded is not such a failure: Batch.run submits it again, test/batch-queue.test.ts)
        batchErrors: [{ code: "mismatched_model", message: "The provided model 'gpt-4o' does not match the model of the other requests in this batch.", line: 1 }]
      }
      const model = batchModel(emulator())
      const error = yield* driven(Effect.flip(Batch.run(reqs("a", "b")).pipe(Effect.provide(model.layer))), model.traffic)
      expect(error._tag).toBe("BatchFailedError")
      if (error._tag === "BatchFailedError") {
        expect(error.batchId).toBe(batches().batches()[0]!.id)
        expect(error.errors.map((e) => [e.code, e.line, e.message])).toEqual([["mismatched_model", 1, "The provided model 'gpt-4o' does not match the model of the other requests in this batch."]])
        expect(error.message).toContain("mismatched_model (line 1)")
      }
      expect(callsTo(emulator(), KEYS.fileContent)).toBe(0)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
    }))
})

describe("OpenAI batch: resume", () => {
  it.effect("stopped after submission and started again with the same key: one provider batch, every result", () =>
    Effect.gen(function* () {
      const kv = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      batches().lifecycle = { statusCalls: 4 }
      const model = batchModel(emulator())
      const run = Batch.run(reqs("a", "b", "c"), { resumeKey: "nightly" }).pipe(
        Effect.provide(model.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      const first = yield* Effect.fork(run)
      yield* waitFor(() => callsTo(emulator(), KEYS.retrieveBatch) >= 1 && model.traffic.inFlight() === 0, "the first status call")
      yield* Fiber.interrupt(first)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0) // left running
      expect(yield* kv.has("nightly")).toBe(true)

      const results = yield* driven(run, model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), KEYS.uploadFile)).toBe(1)
      expect(batches().batches().map((b) => b.status)).toEqual(["completed"])
      expect(yield* kv.has("nightly")).toBe(false)
    }))
})

describe("OpenAI batch: validation before any network call", () => {
  it.effect("mixed models, metadata over OpenAI's limits, content the codec cannot send, empty messages", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const reason = (requests: ReadonlyArray<Batch.BatchRequestInput>, metadata?: Record<string, string>) =>
        Batch.run(requests, { metadata }).pipe(
          Effect.provide(model.layer),
          Effect.flip,
          Effect.map((e) => (e._tag === "InvalidInputError" ? e.reason : `unexpected ${e._tag}`))
        )
      const prompt = [ModelRequest.userTextPrompt("hi")]
      const mixed = yield* reason([{ customId: "a", messages: prompt }, { customId: "b", messages: prompt, model: "gpt-4.1" }])
      expect(mixed).toContain("OpenAI allows one model per batch")
      expect(mixed).toContain('"gpt-4.1" (requests "b")')
      expect(mixed).toContain("Anthropic")
      // a model sneaked in through extraBody counts too
      expect(yield* reason([{ customId: "a", messages: prompt, settings: { extraBody: { model: "o3" } } }])).toContain("one model per batch")
      // the batch's own model with the provider prefix is the same model
      expect(yield* Batch.run([{ customId: "a", messages: prompt, model: "openai:gpt-4o-mini" }], { maxRequestsPerBatch: 0 }).pipe(
        Effect.provide(model.layer), Effect.flip, Effect.map((e) => e._tag === "InvalidInputError" && e.reason)
      )).toContain("maxRequestsPerBatch")

      const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]))
      expect(yield* reason(reqs("a"), many)).toContain("at most 16 key/value pairs")
      expect(yield* reason(reqs("a"), { ["k".repeat(65)]: "v" })).toContain("at most 64 characters")
      expect(yield* reason(reqs("a"), { k: "v".repeat(513) })).toContain("at most 512 characters")
      // what the codec cannot send (Chat Completions fetches image URLs only) is refused per request
      const pdfUrl = [new ModelRequest({ parts: [new UserPromptPart({ content: [new ImageUrl({ url: "https://example.com/a.pdf", mediaType: "application/pdf" })] })] })]
      expect(yield* reason([{ customId: "a", messages: pdfUrl }])).toContain('request "a" cannot be sent in an OpenAI batch')
      expect(yield* reason([{ customId: "a", messages: [] }])).toContain("has no messages")
      expect(yield* reason([])).toContain("no requests")
      expect(yield* reason(reqs("a", "a"))).toContain("unique")
      expect(emulator().requests).toEqual([])
    }))

  it.effect("one request is enough (the seeds' minimum of 2 is not an OpenAI rule); the limits are OpenAI's", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0 }
      const model = batchModel(emulator())
      const results = yield* Batch.run(reqs("only")).pipe(Effect.provide(model.layer))
      expect(outcomes(results)).toEqual(["only:ok"])
      const service = yield* Effect.provide(BatchModel, model.layer)
      expect(service.limits).toEqual({ maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 })
      expect(service.provider).toBe("openai")
    }))
})

describe("OpenAI batch: splitting", () => {
  it.effect("by maxRequestsPerBatch and maxBytesPerBatch into provider batches merged in submission order", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 2, order: "reversed", errors: { c: 400 } }
      const model = batchModel(emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c", "d", "e"), { maxRequestsPerBatch: 2 }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:invalid_request_error", "d:ok", "e:ok"])
      // the provider batches run together, so they may reach the emulator in any order: the
      // partition is what is guaranteed, not which upload finishes first
      expect(batches().batches().map((b) => b.customIds.join()).sort()).toEqual(["a,b", "c,d", "e"])
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(3)

      batches().reset()
      const service = yield* Effect.provide(BatchModel, model.layer)
      const size = service.encodedSize(Batch.BatchRequest.from(reqs("a")[0]!))
      const bySize = yield* driven(Batch.run(reqs("a", "b", "c", "d"), { maxBytesPerBatch: size * 3 }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(bySize)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect(batches().batches().map((b) => b.customIds.join()).sort()).toEqual(["a,b,c", "d"])
      // the size the splitter counts is the uploaded line with its newline
      const first = batches().batches().find((b) => b.customIds.length === 3)
      expect(Buffer.byteLength(batches().fileText(first!.inputFileId)!)).toBe(size * 3)
    }))
})
