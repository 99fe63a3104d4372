/**
 * `Batch.run`'s `resubmit`: requests that failed with a transient code go into follow-up
 * batches after the first ones end, up to `times` rounds; one result per custom id in
 * submission order, the last attempt's outcome, with `attempts`. Through the real SDKs against
 * the emulators (OpenAI and Anthropic result codes), and on SimulatedBatch under the TestClock
 * for resumeKey (every round recorded; version 1 records still read) and interruption.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Schema, TestClock } from "effect"
import * as Batch from "../src/Batch.js"
import { mergeRounds, resubmitPolicy, selectResubmit } from "../src/internal/batch/lifecycle.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import { anthropicBatchEmulator, batchRouteKeys as anthropicKeys } from "../src/testing/emulator/anthropic.js"
import type { OpenAiBatchLifecycle } from "../src/testing/emulator/openai.js"
import type { Emulator } from "../src/testing/Emulator.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { outcomes, reqs, withClock } from "./batch-helpers.js"
import { harness, routes, useBatchEmulator as useAnthropicBatchEmulator } from "./helpers/anthropic-batch.js"
import { batchModel, callsTo, driven, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

const openai = useBatchEmulator()
const anthropicEmulator = useAnthropicBatchEmulator()

/** Outcomes with attempts: "id:ok×1". */
const tried = (results: ReadonlyArray<Batch.BatchResult>) => outcomes(results).map((o, i) => `${o}×${results[i]!.attempts}`)

/** The next `n` OpenAI batch creates get `failing`; later ones the default lifecycle `clean`. */
const openAiFirstCreates = (n: number, failing: OpenAiBatchLifecycle, clean: OpenAiBatchLifecycle) => {
  const control = openai.batches()
  control.lifecycle = clean
  const handler = control.handler(KEYS.createBatch)
  const once = async (request: Parameters<typeof handler>[0]) => {
    control.lifecycle = failing
    try {
      return await handler(request)
    } finally {
      control.lifecycle = clean
    }
  }
  openai.emulator().script(KEYS.createBatch, ...Array.from({ length: n }, () => once))
}

const memoryStore = Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)

describe("the resubmission pieces", () => {
  it.effect("selects failed ids with the policy's codes in submission order; merges rounds keeping the last outcome", () =>
    Effect.gen(function* () {
      const policy = yield* resubmitPolicy("test", { times: 1 })
      const ok = (id: string) => new Batch.BatchResultSuccess({ customId: id, response: new ModelResponse({ parts: [new TextPart({ content: id })], modelName: "test-model", providerName: "test" }) })
      const bad = (id: string, code: string) => new Batch.BatchResultFailure({ customId: id, error: new Batch.ResultError({ code, message: code }) })
      const first = [bad("c", "server_error"), ok("a"), bad("b", "invalid_request_error"), bad("d", "expired")]
      expect(selectResubmit(["a", "b", "c", "d"], first, policy, 0)).toEqual(["c", "d"])
      expect(selectResubmit(["a", "b", "c", "d"], first, policy, 1)).toEqual([]) // rounds used up
      const merged = mergeRounds(["a", "b", "c", "d"], [first, [ok("d"), bad("c", "server_error")]])
      expect(tried(merged)).toEqual(["a:ok×1", "b:invalid_request_error×1", "c:server_error×2", "d:ok×2"])
      expect(merged[3]).toBeInstanceOf(Batch.BatchResultSuccess)
      // the copy with attempts encodes and decodes like a constructed result
      const encoded = Schema.encodeSync(Batch.BatchResult)(merged[3]!)
      expect(encoded).toMatchObject({ customId: "d", attempts: 2 })
      expect(Schema.decodeUnknownSync(Batch.BatchResult)(encoded)).toEqual(merged[3])
      // results stored before attempts existed read as one attempt; constructors default it
      expect(Schema.decodeUnknownSync(Batch.BatchResult)({ ...encoded, attempts: undefined }).attempts).toBe(1)
      expect(ok("x").attempts).toBe(1)
      expect((yield* Effect.flip(resubmitPolicy("test", { times: -1 })))._tag).toBe("InvalidInputError")
    }))
})

describe("resubmit through the openai SDK on the emulator", () => {
  it.effect("a split run's 5xx and 429 failures go into a follow-up batch; one result per id in order, with attempts", () =>
    Effect.gen(function* () {
      // the three parts of the first round fail some requests; the follow-up batch is clean
      openAiFirstCreates(3, { statusCalls: 2, errors: { q2: 500, q3: 429, q5: 400 } }, { statusCalls: 2 })
      const model = batchModel(openai.emulator())
      const results = yield* driven(
        Batch.run(reqs("q1", "q2", "q3", "q4", "q5", "q6"), { maxRequestsPerBatch: 2, resubmit: { times: 2 } }).pipe(Effect.provide(model.layer)),
        model.traffic
      )
      expect(tried(results)).toEqual(["q1:ok×1", "q2:ok×2", "q3:ok×2", "q4:ok×1", "q5:invalid_request_error×1", "q6:ok×1"])
      // the first round's parts are created concurrently (any order), the follow-up after them
      const created = openai.batches().batches().map((b) => b.customIds.join())
      expect(created.slice(0, 3).sort()).toEqual(["q1,q2", "q3,q4", "q5,q6"])
      expect(created[3]).toBe("q2,q3")
      expect(callsTo(openai.emulator(), KEYS.cancelBatch)).toBe(0)
    }))

  it.effect("rounds stop after `times`: the last attempt's failure is the result", () =>
    Effect.gen(function* () {
      openai.batches().lifecycle = { statusCalls: 1, errors: { b: 500 } }
      const model = batchModel(openai.emulator())
      const results = yield* driven(Batch.run(reqs("a", "b"), { resubmit: { times: 2 } }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(tried(results)).toEqual(["a:ok×1", "b:server_error×3"])
      expect(openai.batches().batches().map((b) => b.customIds)).toEqual([["a", "b"], ["b"], ["b"]])
    }))

  it.effect("expired requests are resubmitted by default; `codes` replaces the default set", () =>
    Effect.gen(function* () {
      openAiFirstCreates(1, { statusCalls: 2, outcome: "expired", processed: 1, order: "submission" }, { statusCalls: 1 })
      const model = batchModel(openai.emulator())
      const results = yield* driven(Batch.run(reqs("a", "b", "c"), { resubmit: { times: 1 } }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×2", "c:ok×2"])

      openai.batches().reset()
      openai.batches().lifecycle = { statusCalls: 1, errors: { a: 500, b: 400 } }
      const only400 = yield* driven(
        Batch.run(reqs("a", "b"), { resubmit: { times: 1, codes: ["invalid_request_error"] } }).pipe(Effect.provide(model.layer)),
        model.traffic
      )
      expect(tried(only400)).toEqual(["a:server_error×1", "b:invalid_request_error×2"])
    }))

  it.effect("without resubmit, nothing is submitted again", () =>
    Effect.gen(function* () {
      openai.batches().lifecycle = { statusCalls: 1, errors: { b: 500 } }
      const model = batchModel(openai.emulator())
      const results = yield* driven(Batch.run(reqs("a", "b")).pipe(Effect.provide(model.layer)), model.traffic)
      expect(tried(results)).toEqual(["a:ok×1", "b:server_error×1"])
      expect(callsTo(openai.emulator(), KEYS.createBatch)).toBe(1)
    }))
})

describe("resubmit through the anthropic SDK on the emulator", () => {
  it.effect("errored results of type overloaded_error and api_error are resubmitted; invalid_request_error is not", () =>
    Effect.gen(function* () {
      const e: Emulator = anthropicEmulator()
      const control = anthropicBatchEmulator(e)
      const clean = { statusCalls: 1 }
      control.lifecycle = clean
      const handler = control.handler(anthropicKeys.createBatch)
      e.script(anthropicKeys.createBatch, async (request) => {
        control.lifecycle = { statusCalls: 1, errors: { b: 529, c: 500, d: 400 } }
        try {
          return await handler(request)
        } finally {
          control.lifecycle = clean
        }
      })
      const h = harness(e)
      const results = yield* h.drive(Batch.run(reqs("a", "b", "c", "d"), { resubmit: { times: 1 } }).pipe(Effect.provide(h.layer)))
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×2", "c:ok×2", "d:invalid_request_error×1"])
      expect(h.count(routes.create)).toBe(2)
    }))
})

describe("resubmit with resumeKey and interruption (SimulatedBatch, TestClock)", () => {
  /** Answers fail with server_error the first `failures` times a custom id is asked. */
  const flaky = (failures: Readonly<Record<string, number>>) => {
    const seen = new Map<string, number>()
    return (request: Batch.BatchRequest) => {
      const n = (seen.get(request.customId) ?? 0) + 1
      seen.set(request.customId, n)
      return n <= (failures[request.customId] ?? 0)
        ? new Batch.ResultError({ code: "server_error", message: "try again" })
        : new ModelResponse({ parts: [new TextPart({ content: `answer ${request.customId}` })], modelName: "test-model", providerName: "test" })
    }
  }

  it.effect("a run stopped during the follow-up round resumes both rounds: nothing submitted twice, attempts kept", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ answer: flaky({ b: 1 }), lifecycle: { statusCalls: 3 } })
      const run = Batch.run(reqs("a", "b", "c"), { resumeKey: "eval", resubmit: { times: 2 } }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      // round 0 ends at 2 minutes (status at 0, 60, 120 s); round 1 is created then
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("150 seconds")
      yield* Fiber.interrupt(fiber)
      expect((yield* sim.batches).map((b) => [b.customIds, b.status])).toEqual([[["a", "b", "c"], "completed"], [["b"], "in_progress"]])
      expect(yield* sim.callCount("cancel")).toBe(0) // left running for the next run
      const stored = yield* kv.get("eval")
      const record = JSON.parse(Option.getOrThrow(stored)) as { version: number; rounds: ReadonlyArray<ReadonlyArray<{ id: string }>> }
      expect(record.version).toBe(2)
      expect(record.rounds.map((r) => r.map((b) => b.id))).toEqual([["batch_test_1"], ["batch_test_2"]])

      const results = yield* withClock(run)
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×2", "c:ok×1"])
      expect(yield* sim.callCount("create")).toBe(2)
      expect(yield* kv.has("eval")).toBe(false)
    }))

  it.effect("a version 1 record (one round) is still read", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 2 } })
      const batch = yield* Batch.create(reqs("a", "b")).pipe(Effect.provide(sim.layer))
      yield* kv.set("old", JSON.stringify({ version: 1, batches: [Schema.encodeSync(Batch.Batch)(batch)] }))
      const results = yield* withClock(Batch.run(reqs("a", "b"), { resumeKey: "old", resubmit: { times: 1 } }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      ))
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×1"])
      expect(yield* sim.callCount("create")).toBe(1)
    }))

  it.effect("without resumeKey, interruption during a follow-up round cancels its live batch", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ answer: flaky({ b: 1, c: 1 }), lifecycle: { statusCalls: 3 } })
      const fiber = yield* Effect.fork(Batch.run(reqs("a", "b", "c", "d"), { maxRequestsPerBatch: 1, resubmit: { times: 1 } }).pipe(Effect.provide(sim.layer)))
      yield* TestClock.adjust("150 seconds")
      expect(yield* sim.callCount("create")).toBe(6) // four parts, then b and c again
      yield* Fiber.interrupt(fiber)
      const statuses = (yield* sim.batches).map((b) => [b.customIds.join(), b.status])
      expect(statuses.slice(0, 4).every(([, s]) => s === "completed")).toBe(true)
      expect(statuses.slice(4)).toEqual([["b", "cancelling"], ["c", "cancelling"]])
      expect(yield* sim.callCount("cancel")).toBe(2)
    }))
})
