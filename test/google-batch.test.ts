/**
 * Gemini batch mode through the real `@google/genai` SDK against the emulator: `Batch.run` inline
 * and through an uploaded JSONL file, one result per custom id in submission order, the state
 * mapping, cancellation on interruption, resume, splitting, list and validation. Polls run on the
 * real clock at a few milliseconds (the emulator advances a batch per status call, not per second).
 */
import { KeyValueStore } from "@effect/platform"
import { beforeEach, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Option, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import { statusFromGoogle } from "../src/providers/google/batchCodec.js"
import { type GoogleBatchLifecycle, googleBatchLifecycleHeader } from "../src/testing/Emulator.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { apiKey, batchLayer, modelName, useEmulator } from "./helpers/google.js"

const emulator = useEmulator()
beforeEach(() => emulator().googleBatches.reset())
const batches = () => emulator().googleBatches.batches()
const fast = { pollInterval: "5 millis" } as const

// the batch model, and a memory store for the runs that keep no resume record
const layerWith = (lifecycle: GoogleBatchLifecycle, options?: { readonly inlineLimitBytes?: number }) =>
  Layer.merge(batchLayer(emulator(), { defaultHeaders: googleBatchLifecycleHeader(lifecycle), ...options }), KeyValueStore.layerMemory)

const run = (lifecycle: GoogleBatchLifecycle, ids: ReadonlyArray<string>, options?: { readonly inlineLimitBytes?: number } & Batch.RunOptions) =>
  Batch.run(reqs(...ids), { ...fast, ...options }).pipe(Effect.provide(layerWith(lifecycle, options)))

const waitUntil = (check: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  })

const count = (suffix: string, method?: string) =>
  emulator().requests.filter((r) => r.path.endsWith(suffix) && (method === undefined || r.method === method)).length

describe("Gemini batch states", () => {
  it("maps JOB_STATE_* and BATCH_STATE_* to BatchStatus", () => {
    const cases: ReadonlyArray<readonly [string | undefined, Batch.BatchStatus]> = [
      ["JOB_STATE_QUEUED", "validating"],
      ["JOB_STATE_PENDING", "validating"],
      ["BATCH_STATE_PENDING", "validating"],
      ["JOB_STATE_RUNNING", "in_progress"],
      ["BATCH_STATE_RUNNING", "in_progress"],
      ["JOB_STATE_SUCCEEDED", "completed"],
      ["BATCH_STATE_SUCCEEDED", "completed"],
      ["JOB_STATE_FAILED", "failed"],
      ["JOB_STATE_CANCELLING", "cancelling"],
      ["JOB_STATE_CANCELLED", "cancelled"],
      ["BATCH_STATE_CANCELLED", "cancelled"],
      ["JOB_STATE_EXPIRED", "expired"],
      ["BATCH_STATE_EXPIRED", "expired"],
      ["JOB_STATE_SOMETHING_NEW", "in_progress"],
      [undefined, "in_progress"]
    ]
    for (const [state, status] of cases) expect([state, statusFromGoogle(state)]).toEqual([state, status])
  })
})

describe("Gemini Batch.run inline", () => {
  it.live("one result per custom id in submission order, failed requests with their status", () =>
    Effect.gen(function*() {
      const results = yield* run({ statusCalls: 2, errors: { b: 429 } }, ["a", "b", "c"])
      expect(outcomes(results)).toEqual(["a:ok", "b:RESOURCE_EXHAUSTED", "c:ok"])
      const a = results[0]!
      expect(a.isSuccessful && a.response.text).toBe("You said: question a")
      expect(a.isSuccessful && a.response.providerName).toBe("google")
      expect(a.isSuccessful && a.response.usage.inputTokens).toBeGreaterThan(0)
      // one inline create, the keys in metadata, the requests as generateContent would send them
      expect(count(":batchGenerateContent")).toBe(1)
      expect(count("/upload/v1beta/files")).toBe(0)
      const create = emulator().requests.find((r) => r.path.endsWith(":batchGenerateContent"))!
      expect(create.path).toBe(`/v1beta/models/${modelName}:batchGenerateContent`)
      expect(create.apiKey).toBe(apiKey)
      const items = (create.body as { batch: { inputConfig: { requests: { requests: ReadonlyArray<Record<string, unknown>> } } } }).batch.inputConfig.requests.requests
      expect(items.map((i) => i.metadata)).toEqual([{ key: "a" }, { key: "b" }, { key: "c" }])
      expect(items[0]!.request).toMatchObject({ contents: [{ role: "user", parts: [{ text: "question a" }] }] })
      expect(batches()[0]!.state).toBe("BATCH_STATE_SUCCEEDED")
    }))

  it.live("an expired batch returns what finished and 'expired' for the rest", () =>
    Effect.gen(function*() {
      expect(outcomes(yield* run({ outcome: "expired", processed: 1 }, ["a", "b", "c"]))).toEqual(["a:ok", "b:expired", "c:expired"])
    }))

  it.live("settings and tools travel in each inline request (system instruction, generationConfig, tools)", () =>
    Effect.gen(function*() {
      const results = yield* Batch.run([
        { customId: "s", messages: reqs("s")[0]!.messages, settings: { maxTokens: 50, temperature: 0 } }
      ], fast).pipe(Effect.provide(layerWith({})))
      expect(outcomes(results)).toEqual(["s:ok"])
      const received = batches()[0]!.requests[0]!
      expect(received.generationConfig).toEqual({ maxOutputTokens: 50, temperature: 0 })
    }))
})

describe("Gemini Batch.run through a JSONL file", () => {
  it.live("above the inline limit: uploaded JSONL, results file read line by line, one per id in order", () =>
    Effect.gen(function*() {
      const results = yield* run({ statusCalls: 1, omit: ["c"], duplicate: ["a"], errors: { d: 400 } }, ["a", "b", "c", "d", "e"], { inlineLimitBytes: 1 })
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:missing", "d:INVALID_ARGUMENT", "e:ok"])
      expect(results[4]!.isSuccessful && results[4]!.response.text).toBe("You said: question e")
      // a resumable upload (start, then upload + finalize), then a create naming the file
      expect(emulator().requests.filter((r) => r.path === "/upload/v1beta/files").map((r) => r.headers["x-goog-upload-command"])).toEqual(["start", "upload, finalize"])
      const batch = batches()[0]!
      expect(batch.source).toBe("file")
      expect(batch.keys).toEqual(["a", "b", "c", "d", "e"])
      expect(batch.requests[0]).toEqual({ contents: [{ role: "user", parts: [{ text: "question a" }] }] })
      expect(count(":download", "GET")).toBe(1)
    }))

  it.live("JSONL lines carry the wire request: systemInstruction and generationConfig beside contents", () =>
    Effect.gen(function*() {
      yield* Batch.run([
        { customId: "x", messages: reqs("x")[0]!.messages, settings: { maxTokens: 20, extraBody: { thinkingConfig: { thinkingBudget: 0 } } } }
      ], fast).pipe(Effect.provide(layerWith({}, { inlineLimitBytes: 1 })))
      expect(batches()[0]!.requests[0]).toEqual({
        contents: [{ role: "user", parts: [{ text: "question x" }] }],
        generationConfig: { maxOutputTokens: 20, thinkingConfig: { thinkingBudget: 0 } }
      })
    }))
})

describe("Gemini Batch lifecycle calls", () => {
  it.live("interrupting a run cancels the remote batch", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(run({ statusCalls: 1000 }, ["a", "b"]))
      yield* waitUntil(() => batches().length > 0 && batches()[0]!.statusCalls >= 1)
      yield* Fiber.interrupt(fiber)
      expect(batches()[0]!.cancelCalls).toBe(1)
      expect(batches()[0]!.state).toBe("BATCH_STATE_CANCELLED")
      expect(count(":cancel", "POST")).toBe(1)
    }))

  it.live("a run stopped after submission resumes the same batch", () =>
    Effect.gen(function*() {
      const kv = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      const resumable = Batch.run(reqs("a", "b", "c"), { ...fast, resumeKey: "nightly" }).pipe(
        Effect.provide(batchLayer(emulator(), { defaultHeaders: googleBatchLifecycleHeader({ statusCalls: 30 }) })),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      const first = yield* Effect.fork(resumable)
      yield* waitUntil(() => batches().length > 0 && batches()[0]!.statusCalls >= 2)
      yield* Fiber.interrupt(first)
      expect(batches()[0]!.cancelCalls).toBe(0)
      const record = yield* kv.get("nightly")
      expect(Option.isSome(record) && record.value).toContain(batches()[0]!.id)
      const results = yield* resumable
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      expect(batches()).toHaveLength(1)
    }))

  it.live("splits by maxRequestsPerBatch and keeps submission order across batches", () =>
    Effect.gen(function*() {
      const results = yield* run({}, ["a", "b", "c", "d", "e"], { maxRequestsPerBatch: 2 })
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok", "e:ok"])
      expect(batches().map((b) => b.keys)).toEqual([["a", "b"], ["c", "d"], ["e"]])
    }))

  it.live("create, status, cancel and list as single calls; list is newest first, page by page", () =>
    Effect.gen(function*() {
      const layer = layerWith({ statusCalls: 1000 })
      const created = yield* Effect.forEach(["x", "y", "z"], (id) => Batch.create(reqs(id))).pipe(Effect.provide(layer))
      expect(created.map((b) => b.status)).toEqual(["validating", "validating", "validating"])
      expect(created[0]!.id).toMatch(/^batches\//)
      expect(created[0]!.customIds).toEqual(["x"])
      const seen = yield* Batch.status(created[0]!).pipe(Effect.provide(layer))
      expect(seen.status).toBe("in_progress")
      expect(seen.customIds).toEqual(["x"])
      const cancelled = yield* Batch.cancel(created[1]!).pipe(Effect.provide(layer))
      expect(cancelled.status).toBe("cancelled")
      const listed = yield* Stream.runCollect(Batch.list()).pipe(Effect.provide(layer))
      expect(Chunk.toArray(listed).map((b) => b.id)).toEqual([...created].reverse().map((b) => b.id))
      const two = yield* Stream.runCollect(Batch.list({ limit: 2 })).pipe(Effect.provide(layer))
      expect(Chunk.size(two)).toBe(2)
    }))

  it.live("metadata and requests for another model fail validation before any network call", () =>
    Effect.gen(function*() {
      const reason = (effect: Effect.Effect<unknown, unknown, BatchModel>) =>
        effect.pipe(
          Effect.provide(layerWith({})),
          Effect.flip,
          Effect.map((e) => ((e as { _tag?: string })._tag === "InvalidInputError" ? (e as { reason: string }).reason : `unexpected ${String(e)}`))
        )
      expect(yield* reason(Batch.run(reqs("a"), { metadata: { team: "evals" } }))).toContain("carry no metadata")
      expect(yield* reason(Batch.run([{ ...reqs("a")[0]!, model: "gemini-2.5-pro" }]))).toContain("runs on one model")
      expect(emulator().requests).toHaveLength(0)
    }))
})
