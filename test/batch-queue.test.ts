/**
 * Queue-aware submission of split runs: `maxConcurrentBatches`, `maxEnqueuedTokens` and
 * `estimateTokens`, and batches the provider failed with `token_limit_exceeded` submitted again.
 * Through the real openai SDK against the emulator's per-model enqueued-token limit (which fails
 * batches as OpenAI does: status failed, errors.data[0].code "token_limit_exceeded"), and on
 * SimulatedBatch under the TestClock for the backoff when nothing else of the run is live.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, Exit, Fiber, Schedule, TestClock } from "effect"
import { BatchErrorItem } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import { makeGate } from "../src/internal/batch/gate.js"
import { admits } from "../src/internal/batch/lifecycle.js"
import { splitByTokens } from "../src/internal/batch/plan.js"
import { ModelRequest } from "../src/Message.js"
import { enqueuedTokensOf } from "../src/testing/emulator/openai.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { outcomes, reqs, withClock } from "./batch-helpers.js"
import { batchModel, callsTo, driven, KEYS, useBatchEmulator, waitFor } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()
const MODEL = "gpt-4o-mini"
const ids = ["q1", "q2", "q3", "q4", "q5", "q6"] as const

/** The default estimate of each request, as the OpenAI BatchModel encodes it. */
const estimates = (model: ReturnType<typeof batchModel>, requests: ReadonlyArray<Batch.BatchRequestInput>) =>
  Effect.provide(
    Effect.map(BatchModel, (service) => requests.map((r) => {
      const request = Batch.BatchRequest.from(r)
      return Batch.estimateTokens(request, service.encodedSize(request))
    })),
    model.layer
  )

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

/** Per custom id: how many of the emulator's batches held it and did not fail (ran, so billed). */
const billedPerId = () => {
  const count = new Map<string, number>()
  for (const b of batches().batches()) if (b.status !== "failed") for (const id of b.customIds) count.set(id, (count.get(id) ?? 0) + 1)
  return count
}

describe("Batch.estimateTokens", () => {
  it("is the encoded bytes / 4, rounded up, plus the request's own maxTokens", () => {
    const plain = Batch.BatchRequest.from({ customId: "a", messages: [ModelRequest.userTextPrompt("hi")] })
    const capped = Batch.BatchRequest.from({ customId: "b", messages: [ModelRequest.userTextPrompt("hi")], settings: { maxTokens: 100 } })
    expect(Batch.estimateTokens(plain, 40)).toBe(10)
    expect(Batch.estimateTokens(plain, 41)).toBe(11)
    expect(Batch.estimateTokens(capped, 41)).toBe(111)
  })

  it.effect("equals the emulator's count of the uploaded lines (so budgets are checked exactly)", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0 }
      const model = batchModel(emulator())
      const requests = [
        ...reqs("a", "b"),
        { customId: "c", messages: [ModelRequest.userTextPrompt("a longer question, with ünïcödé")], settings: { maxTokens: 64 } }
      ]
      yield* driven(Batch.run(requests).pipe(Effect.provide(model.layer)), model.traffic)
      const [batch] = batches().batches()
      expect(batch!.tokens).toBe(sum(yield* estimates(model, requests)))
      const lines = (batches().fileText(batch!.inputFileId) ?? "").split("\n").filter((l) => l !== "")
      expect(batch!.tokens).toBe(sum(lines.map((l) => enqueuedTokensOf(l, (JSON.parse(l) as { body: Record<string, unknown> }).body))))
    }))
})

describe("the planning pieces", () => {
  it("admits a part while the budget of live batches and tokens holds", () => {
    const limits = { maxConcurrentBatches: 2, maxEnqueuedTokens: 100 }
    expect(admits({ running: 0, enqueuedTokens: 0 }, 100, limits)).toBe(true)
    expect(admits({ running: 1, enqueuedTokens: 60 }, 40, limits)).toBe(true)
    expect(admits({ running: 1, enqueuedTokens: 60 }, 41, limits)).toBe(false)
    expect(admits({ running: 2, enqueuedTokens: 0 }, 1, limits)).toBe(false)
  })

  it.effect("splits chunks further by tokens, in order; a request over the budget alone is an InvalidInputError", () =>
    Effect.gen(function* () {
      const rs = ["a", "b", "c", "d", "e"].map((customId) => ({ customId }))
      const tokens: Record<string, number> = { a: 30, b: 30, c: 50, d: 10, e: 90 }
      const chunks = yield* splitByTokens("test", [rs.slice(0, 4), rs.slice(4)], (r) => tokens[r.customId]!, 90)
      expect(chunks.map((c) => c.map((r) => r.customId))).toEqual([["a", "b"], ["c", "d"], ["e"]])
      const error = yield* Effect.flip(splitByTokens("test", [rs], (r) => tokens[r.customId]!, 80))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain(`"e" is estimated at 90 tokens, more than maxEnqueuedTokens (80)`)
    }))

  it.effect("the gate admits first come first served and frees the budget when a part ends", () =>
    Effect.gen(function* () {
      const gate = makeGate({ maxConcurrentBatches: 2, maxEnqueuedTokens: 100 })
      const order: Array<string> = []
      const part = (name: string, tokens: number, hold: Duration.DurationInput) =>
        gate.admitted(tokens, Effect.zipRight(Effect.sync(() => order.push(name)), Effect.sleep(hold)))
      const fiber = yield* Effect.fork(Effect.all([part("a", 60, "1 minute"), part("b", 60, "1 minute"), part("c", 10, "1 minute")], { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 second")
      // c would fit beside a, but b asked first
      expect(order).toEqual(["a"])
      expect(gate.state()).toEqual({ running: 1, enqueuedTokens: 60 })
      yield* TestClock.adjust("1 minute")
      expect(order).toEqual(["a", "b", "c"])
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(gate.state()).toEqual({ running: 0, enqueuedTokens: 0 })
    }))
})

describe("Batch.run under an enqueued-token limit (OpenAI SDK on the emulator)", () => {
  it.effect("maxEnqueuedTokens at the provider's limit: every part runs, none fails, never more than the budget enqueued", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const requests = reqs(...ids)
      const perPart = sum((yield* estimates(model, requests)).slice(0, 2))
      const budget = perPart * 2
      batches().enqueuedTokenLimits = { [MODEL]: budget }
      const results = yield* driven(
        Batch.run(requests, { maxRequestsPerBatch: 2, maxEnqueuedTokens: budget }).pipe(Effect.provide(model.layer)),
        model.traffic
      )
      expect(outcomes(results)).toEqual(ids.map((id) => `${id}:ok`))
      expect(results.every((r) => r.attempts === 1)).toBe(true)
      // three parts, three batches: none was refused, none paid twice
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(3)
      expect(batches().batches().map((b) => b.status)).toEqual(["completed", "completed", "completed"])
      expect(batches().peakEnqueuedTokens(MODEL)).toBe(budget) // two parts at once, never three
    }))

  it.effect("a provider limit below the run's parts: parts failed with token_limit_exceeded are submitted again after another finishes", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const requests = reqs(...ids)
      const perPart = sum((yield* estimates(model, requests)).slice(0, 2))
      // room for one part at a time; the run itself sets no budget
      batches().enqueuedTokenLimits = { [MODEL]: perPart + 1 }
      const results = yield* driven(Batch.run(requests, { maxRequestsPerBatch: 2 }).pipe(Effect.provide(model.layer)), model.traffic)
      expect(outcomes(results)).toEqual(ids.map((id) => `${id}:ok`))
      expect(results.every((r) => r.attempts === 1)).toBe(true) // a refused batch is not an attempt

      const all = batches().batches()
      const refused = all.filter((b) => b.status === "failed")
      expect(refused.length).toBeGreaterThan(0)
      expect(all.filter((b) => b.status === "completed")).toHaveLength(3)
      expect(all.length).toBe(3 + refused.length)
      // each request ran in exactly one batch: never paid twice
      expect([...billedPerId().entries()].sort()).toEqual(ids.map((id) => [id, 1]))
      expect(batches().peakEnqueuedTokens(MODEL)).toBeLessThanOrEqual(perPart + 1)
      // the refused batches carry OpenAI's code, and were never cancelled (they were final)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
      const refusedBatch = yield* Batch.status(refused[0]!.id).pipe(Effect.provide(model.layer))
      expect(refusedBatch.errors[0]?.code).toBe("token_limit_exceeded")
      expect(refusedBatch.errors[0]?.message).toContain(`Enqueued token limit reached for ${MODEL}`)
    }))

  it.effect("a batch failed for another reason still fails the run with BatchFailedError, and is not submitted again", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 2, outcome: "failed", batchErrors: [{ code: "invalid_request", message: "bad line", line: 1 }] }
      const model = batchModel(emulator())
      const error = yield* Effect.flip(driven(
        Batch.run(reqs(...ids), { maxRequestsPerBatch: 3, maxEnqueuedTokens: 1_000_000, maxConcurrentBatches: 1 }).pipe(Effect.provide(model.layer)),
        model.traffic
      ))
      expect(error._tag).toBe("BatchFailedError")
      expect(error._tag === "BatchFailedError" && error.errors.map((e) => e.code)).toEqual(["invalid_request"])
      // the second part waited for the first, which failed the run: it was never created
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
    }))

  it.effect("a queue that stays full: once queueBackoff ends the run fails with BatchFailedError carrying OpenAI's errors, nothing cancelled or downloaded", () =>
    Effect.gen(function* () {
      batches().lifecycle = {
        statusCalls: 2,
        outcome: "failed",
        batchErrors: [{ code: "token_limit_exceeded", message: "Enqueued token limit reached for gpt-4o-mini.", line: 1 }]
      }
      const model = batchModel(emulator())
      const error = yield* Effect.flip(driven(
        Batch.run(reqs("a", "b"), { queueBackoff: Schedule.spaced("1 minute").pipe(Schedule.intersect(Schedule.recurs(1))) }).pipe(Effect.provide(model.layer)),
        model.traffic
      ))
      expect(error._tag).toBe("BatchFailedError")
      if (error._tag === "BatchFailedError") {
        expect(error.batchId).toBe(batches().batches()[1]!.id) // the second submission's batch
        expect(error.errors.map((e) => [e.code, e.line, e.message])).toEqual([["token_limit_exceeded", 1, "Enqueued token limit reached for gpt-4o-mini."]])
        expect(error.message).toContain("token_limit_exceeded (line 1)")
      }
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(2)
      expect(callsTo(emulator(), KEYS.fileContent)).toBe(0)
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
    }))

  it.effect("a request estimated above maxEnqueuedTokens fails with InvalidInputError before any network call; larger parts split further", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const requests = reqs(...ids)
      const each = yield* estimates(model, requests)
      const error = yield* Effect.flip(Batch.run(requests, { maxEnqueuedTokens: Math.max(...each) - 1 }).pipe(Effect.provide(model.layer)))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain("raise maxEnqueuedTokens")
      expect(emulator().requests).toHaveLength(0)

      batches().lifecycle = { statusCalls: 0 }
      const results = yield* driven(
        Batch.run(requests, { maxEnqueuedTokens: sum(each.slice(0, 2)) }).pipe(Effect.provide(model.layer)),
        model.traffic
      )
      expect(outcomes(results)).toEqual(ids.map((id) => `${id}:ok`))
      expect(batches().batches().map((b) => b.customIds)).toEqual([["q1", "q2"], ["q3", "q4"], ["q5", "q6"]])
    }))

  it.effect("estimateTokens replaces the default estimate; maxConcurrentBatches alone limits live batches", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const results = yield* driven(
        Batch.run(reqs(...ids), { estimateTokens: () => 10, maxEnqueuedTokens: 30, maxConcurrentBatches: 1 }).pipe(Effect.provide(model.layer)),
        model.traffic
      )
      expect(outcomes(results)).toEqual(ids.map((id) => `${id}:ok`))
      expect(batches().batches().map((b) => b.customIds)).toEqual([["q1", "q2", "q3"], ["q4", "q5", "q6"]])
      expect(batches().peakEnqueuedTokens(MODEL)).toBe(batches().batches()[0]!.tokens) // one at a time
    }))

  it.effect("interruption cancels every live batch and creates none of the waiting parts", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 100 }
      const model = batchModel(emulator())
      const fiber = yield* Effect.fork(Batch.run(reqs(...ids), { maxRequestsPerBatch: 2, maxConcurrentBatches: 2 }).pipe(Effect.provide(model.layer)))
      yield* waitFor(() => batches().batches().filter((b) => b.statusCalls >= 1).length === 2 && model.traffic.inFlight() === 0, "two batches polled")
      yield* Fiber.interrupt(fiber)
      expect(batches().batches().map((b) => [b.customIds, b.status, b.cancelCalls])).toEqual([
        [["q1", "q2"], "cancelling", 1],
        [["q3", "q4"], "cancelling", 1]
      ])
    }))
})

describe("Batch.run with a full provider queue and nothing else live (SimulatedBatch, TestClock)", () => {
  const queueFull = [new BatchErrorItem({ code: "token_limit_exceeded", message: "Enqueued token limit reached for test-model. Please try again once some in_progress batches have been completed." })]

  it.effect("waits on queueBackoff, then submits again; the result is not a failure", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index < 2 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 1 })
      })
      const fiber = yield* Effect.fork(Batch.run(reqs("a", "b"), { pollInterval: "10 seconds" }).pipe(Effect.provide(sim.layer)))
      yield* TestClock.adjust("30 seconds")
      expect(yield* sim.callCount("create")).toBe(1) // the default backoff starts at 1 minute
      yield* TestClock.adjust("1 minute")
      expect(yield* sim.callCount("create")).toBe(2)
      yield* TestClock.adjust("2 minutes")
      const results = yield* Fiber.join(fiber)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok"])
      expect(yield* sim.callCount("create")).toBe(3)
      expect(yield* sim.callCount("cancel")).toBe(0)
    }))

  it.effect("with resumeKey, a recorded batch the provider refused is submitted again in its place on resume", () =>
    Effect.gen(function* () {
      const kv = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 0 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 1 })
      })
      const run = Batch.run(reqs("a", "b"), { resumeKey: "queued" }).pipe(Effect.provide(sim.layer), Effect.provideService(KeyValueStore.KeyValueStore, kv))
      const first = yield* Effect.fork(run)
      yield* TestClock.adjust("30 seconds") // refused, waiting on the backoff
      yield* Fiber.interrupt(first)
      expect(yield* sim.callCount("create")).toBe(1)
      const results = yield* withClock(run)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok"])
      expect((yield* sim.batches).map((b) => b.status)).toEqual(["failed", "completed"])
      expect(yield* kv.has("queued")).toBe(false)
    }))

  it.effect("when queueBackoff ends, the run fails with BatchFailedError carrying token_limit_exceeded", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1, outcome: "failed", errors: queueFull } })
      const exit = yield* withClock(Effect.exit(
        Batch.run(reqs("a"), { queueBackoff: Schedule.spaced("1 minute").pipe(Schedule.intersect(Schedule.recurs(2))) }).pipe(Effect.provide(sim.layer))
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      expect(JSON.stringify(error)).toContain("token_limit_exceeded")
      expect(yield* sim.callCount("create")).toBe(3)
    }))
})
