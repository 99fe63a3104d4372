/**
 * Queue limits and resubmission inside BatchWorkflow (issue #11): `maxConcurrentBatches` /
 * `maxEnqueuedTokens` admit parts as earlier ones finish, a batch the provider failed with
 * `token_limit_exceeded` is submitted again as a new labelled part (never a result failure),
 * `resubmit` rounds converge to one result per id with `attempts`, and bad options fail before
 * any activity. On the in-memory engine over SimulatedBatch under the TestClock, and through the
 * real openai SDK against the emulator's enqueued-token limit.
 */
import { WorkflowEngine } from "@effect/workflow"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Option, Schema, Stream, TestClock } from "effect"
import { BatchErrorItem } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { batchModel, callsTo, driven, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

/** The workflow registered on a fresh in-memory engine, over this BatchModel layer. */
const engine = (model: Layer.Layer<BatchModel>) =>
  BatchWorkflow.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory), Layer.provideMerge(model))

/** Moves the TestClock a minute at a time (letting the engine's fibers run) until the run is done. */
const withClock = <A, E, R>(self: Effect.Effect<A, E, R>, limit: Duration.DurationInput = "1 day"): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let minutes = 0; minutes < Duration.toMinutes(limit); minutes++) {
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      yield* TestClock.adjust("1 minute")
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      if (Option.isSome(yield* Fiber.poll(fiber))) break
    }
    return yield* Fiber.join(fiber)
  })

const collect = (result: BatchWorkflow.RunResult) => Effect.map(Stream.runCollect(BatchWorkflow.results(result)), Chunk.toReadonlyArray)

/** Outcomes with attempts: "id:ok×1". */
const tried = (results: ReadonlyArray<Batch.BatchResult>) => outcomes(results).map((o, i) => `${o}×${results[i]!.attempts}`)

/** The label part (`<index>`) of each created batch, in creation order. */
const labels = (batches: ReadonlyArray<Batch.Batch>) =>
  batches.map((b) => (b.details.metadata as Record<string, string>)[BatchWorkflow.runLabelKey]!.split("/")[1])

/** The most batches live at once: each is live from its creation until it became final. */
const peakLive = (batches: ReadonlyArray<Batch.Batch>) =>
  Math.max(...batches.map((b) => {
    const t = b.createdAt.getTime()
    return batches.filter((o) => o.createdAt.getTime() <= t && (o.completedAt === undefined || o.completedAt.getTime() > t)).length
  }))

const queueFull = [new BatchErrorItem({ code: "token_limit_exceeded", message: "Enqueued token limit reached for test-model. Please try again once some in_progress batches have been completed." })]

/** Each request is 40 encoded bytes: the default estimate is 10 tokens. */
const TEN_TOKENS = { encodedSize: () => 40 } as const

describe("BatchWorkflow under queue limits", () => {
  it.effect("a split run under maxEnqueuedTokens and maxConcurrentBatches finishes with every result, each part created once, never over budget", () =>
    Effect.gen(function* () {
      const ids = ["q1", "q2", "q3", "q4", "q5", "q6"]
      const sim = yield* SimulatedBatch.make({ ...TEN_TOKENS, lifecycle: (index) => ({ statusCalls: 2 + (index % 2) }) })
      const result = yield* withClock(BatchWorkflow.run({
        runId: "budget",
        requests: reqs(...ids),
        maxRequestsPerBatch: 1,
        maxEnqueuedTokens: 40, // four parts of 10 tokens
        maxConcurrentBatches: 3, // but three at a time
        pollInterval: "1 minute"
      })).pipe(Effect.provide(engine(sim.layer)))
      const created = yield* sim.batches
      expect(created).toHaveLength(6)
      expect(labels(created)).toEqual(["0", "1", "2", "3", "4", "5"]) // one create per part, each its own label
      expect(peakLive(created)).toBe(3)
      // the first three were created at once, the rest only after earlier ones ended
      const start = created[0]!.createdAt.getTime()
      expect(created.slice(0, 3).every((b) => b.createdAt.getTime() === start)).toBe(true)
      expect(created[3]!.createdAt.getTime()).toBeGreaterThan(start)
      expect(result.batches.map((b) => b.customIds)).toEqual(ids.map((id) => [id]))
      expect([result.requestCount, result.completedCount, result.failedCount]).toEqual([6, 6, 0])
      expect(result.rounds).toHaveLength(1)
      expect(result.refused).toEqual([])
      const results = yield* collect(result).pipe(Effect.provide(sim.layer))
      expect(tried(results)).toEqual(ids.map((id) => `${id}:ok×1`))
    }))

  it.effect("estimateTokens is called once per request at start and journaled: parts split by it, one live at a time", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 2 } })
      let calls = 0
      const estimate = () => {
        calls += 1
        return 10
      }
      const result = yield* withClock(BatchWorkflow.run({
        runId: "estimate",
        requests: reqs("q1", "q2", "q3", "q4", "q5", "q6"),
        estimateTokens: estimate,
        maxEnqueuedTokens: 30,
        maxConcurrentBatches: 1,
        pollInterval: "1 minute"
      })).pipe(Effect.provide(engine(sim.layer)))
      expect(calls).toBe(6)
      expect(result.batches.map((b) => b.customIds)).toEqual([["q1", "q2", "q3"], ["q4", "q5", "q6"]])
      expect(peakLive(yield* sim.batches)).toBe(1)
      expect(yield* sim.callCount("create")).toBe(2)
    }))

  it.effect("a part failed with token_limit_exceeded is submitted again (new index, new label) once another part finishes, never a result failure", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 0 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 3 })
      })
      const result = yield* withClock(BatchWorkflow.run({ runId: "refused", requests: reqs("a", "b"), maxRequestsPerBatch: 1, pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(sim.layer))
      )
      const created = yield* sim.batches
      expect(created.map((b) => [b.id, b.customIds, b.status])).toEqual([
        ["batch_test_1", ["a"], "failed"],
        ["batch_test_2", ["b"], "completed"],
        ["batch_test_3", ["a"], "completed"]
      ])
      expect(labels(created)).toEqual(["0", "1", "2"])
      // resubmitted after b's batch ended, not before
      expect(created[2]!.createdAt.getTime()).toBeGreaterThanOrEqual(created[1]!.completedAt!.getTime())
      // the resubmission takes the refused part's place; the refused batch is reported apart
      expect(result.batches.map((b) => b.id)).toEqual(["batch_test_3", "batch_test_2"])
      expect(result.refused.map((b) => [b.id, b.errors[0]?.code])).toEqual([["batch_test_1", "token_limit_exceeded"]])
      expect([result.completedCount, result.failedCount]).toEqual([2, 0])
      expect(tried(yield* collect(result).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok×1", "b:ok×1"])
      expect(yield* sim.callCount("cancel")).toBe(0)
    }))

  it.effect("with nothing else live, a refused part waits out queueBackoff (durable sleeps); when the waits run out the run fails with BatchFailedError", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index < 2 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 1 })
      })
      const result = yield* withClock(
        BatchWorkflow.run({ runId: "backoff", requests: reqs("a"), queueBackoff: ["5 minutes", "10 minutes"], pollInterval: "1 minute" })
      ).pipe(Effect.provide(engine(sim.layer)))
      const created = yield* sim.batches
      const at = created.map((b) => b.createdAt.getTime() - created[0]!.createdAt.getTime())
      expect(at).toEqual([0, 300_000, 900_000])
      expect(tried(yield* collect(result).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok×1"])
      expect(result.refused).toHaveLength(2)

      const full = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1, outcome: "failed", errors: queueFull } })
      const error = yield* withClock(
        BatchWorkflow.run({ runId: "always-full", requests: reqs("a"), queueBackoff: ["1 minute"], pollInterval: "1 minute" })
      ).pipe(Effect.provide(engine(full.layer)), Effect.flip)
      expect(error._tag).toBe("BatchFailedError")
      if (error._tag === "BatchFailedError") {
        expect(error.batchId).toBe("batch_test_2")
        expect(error.errors.map((e) => e.code)).toEqual(["token_limit_exceeded"])
      }
      expect(yield* full.callCount("create")).toBe(2)
    }))

  it.effect("a batch failed for another reason still fails the run; the part waiting for room is never created", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 2, outcome: "failed", errors: [new BatchErrorItem({ code: "invalid_request", message: "bad line", line: 1 })] }
      })
      const error = yield* withClock(
        BatchWorkflow.run({ runId: "bad-line", requests: reqs("a", "b"), maxRequestsPerBatch: 1, maxConcurrentBatches: 1, pollInterval: "1 minute" })
      ).pipe(Effect.provide(engine(sim.layer)), Effect.flip)
      expect(error._tag).toBe("BatchFailedError")
      expect(error._tag === "BatchFailedError" && error.errors.map((e) => e.code)).toEqual(["invalid_request"])
      expect(yield* sim.callCount("create")).toBe(1)
    }))
})

/** Answers that fail a request's n-th attempt (0-based) with `plan[id][n]`, and succeed otherwise. */
const scripted = (plan: Readonly<Record<string, ReadonlyArray<string>>>) => {
  const seen = new Map<string, number>()
  return (request: Batch.BatchRequest): SimulatedBatch.Answer => {
    const n = seen.get(request.customId) ?? 0
    seen.set(request.customId, n + 1)
    const code = plan[request.customId]?.[n]
    return code === undefined
      ? new ModelResponse({ parts: [new TextPart({ content: `answer ${request.customId}` })], modelName: "test-model", providerName: "test" })
      : new Batch.ResultError({ code, message: code })
  }
}

describe("BatchWorkflow with resubmit", () => {
  it.effect("rounds converge: one result per id in submission order, the last attempt's outcome, with attempts; each create labelled", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 2 },
        answer: scripted({ b: ["server_error"], c: ["server_error", "rate_limit_exceeded"], d: ["invalid_request_error"] })
      })
      const result = yield* withClock(BatchWorkflow.run({
        runId: "rounds",
        requests: reqs("a", "b", "c", "d", "e"),
        maxRequestsPerBatch: 2,
        resubmit: { times: 3 },
        pollInterval: "1 minute"
      })).pipe(Effect.provide(engine(sim.layer)))
      expect(result.rounds.map((round) => round.map((b) => b.customIds))).toEqual([[["a", "b"], ["c", "d"], ["e"]], [["b", "c"]], [["c"]]])
      expect(result.roundSizes).toEqual([3, 1, 1])
      expect(labels(yield* sim.batches)).toEqual(["0", "1", "2", "3", "4"])
      // a, b, c, e succeeded; d failed with a code not resubmitted
      expect([result.requestCount, result.completedCount, result.failedCount]).toEqual([5, 4, 1])
      const results = yield* collect(result).pipe(Effect.provide(sim.layer))
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×2", "c:ok×3", "d:invalid_request_error×1", "e:ok×1"])
      // a fourth round was allowed, but nothing was left to resubmit
      expect(yield* sim.callCount("create")).toBe(5)
    }))

  it.effect("rounds stop after `times`: the last attempt's failure is the result; `codes` replaces the default set", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1 }, answer: scripted({ b: ["server_error", "server_error", "server_error"] }) })
      const result = yield* withClock(BatchWorkflow.run({ runId: "stops", requests: reqs("a", "b"), resubmit: { times: 2 }, pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(sim.layer))
      )
      expect((yield* sim.batches).map((b) => b.customIds)).toEqual([["a", "b"], ["b"], ["b"]])
      expect(tried(yield* collect(result).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok×1", "b:server_error×3"])
      expect([result.completedCount, result.failedCount]).toEqual([1, 1])

      const only400 = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1 }, answer: scripted({ a: ["server_error"], b: ["invalid_request_error"] }) })
      const custom = yield* withClock(BatchWorkflow.run({
        runId: "codes",
        requests: reqs("a", "b"),
        resubmit: { times: 1, codes: ["invalid_request_error"] },
        pollInterval: "1 minute"
      })).pipe(Effect.provide(engine(only400.layer)))
      expect(tried(yield* collect(custom).pipe(Effect.provide(only400.layer)))).toEqual(["a:server_error×1", "b:ok×2"])
    }))

  it.effect("a RunResult journaled before rounds existed still decodes, as one round", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1 } })
      const result = yield* withClock(BatchWorkflow.run({ runId: "old", requests: reqs("a", "b"), pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(sim.layer))
      )
      const { refused: _refused, roundSizes: _sizes, ...old } = Schema.encodeSync(BatchWorkflow.RunResult)(result) as Record<string, unknown>
      const decoded = Schema.decodeUnknownSync(BatchWorkflow.RunResult)(old)
      expect(decoded.roundSizes).toEqual([])
      expect(decoded.refused).toEqual([])
      expect(decoded.rounds.map((round) => round.map((b) => b.id))).toEqual([["batch_test_1"]])
      expect(tried(yield* collect(decoded).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok×1", "b:ok×1"])
    }))
})

describe("BatchWorkflow: re-queued and resubmitted parts go through the labelled lookup", () => {
  it.effect("a batch an earlier attempt created for a re-queued part, or for a resubmitted part, is adopted, not created again", () =>
    Effect.gen(function* () {
      // what a crash between the provider's answer and the journal write leaves behind, for part 2:
      // the part that submits the refused part 0 again
      const requeued = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 1 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 2 })
      })
      const refusedRun = yield* BatchWorkflow.executionId("adopt-requeued")
      yield* requeued.service.create(reqs("a").map(Batch.BatchRequest.from), { metadata: { [BatchWorkflow.runLabelKey]: `${refusedRun}/2` } })
      const first = yield* withClock(
        BatchWorkflow.run({ runId: "adopt-requeued", requests: reqs("a", "b"), maxRequestsPerBatch: 1, pollInterval: "1 minute" }),
        "5 minutes"
      ).pipe(Effect.provide(engine(requeued.layer)))
      expect(yield* requeued.callCount("create")).toBe(3) // the planted one, part 0 (refused), part 1
      expect(first.batches.map((b) => b.id)).toEqual(["batch_test_1", "batch_test_3"])
      expect(tried(yield* collect(first).pipe(Effect.provide(requeued.layer)))).toEqual(["a:ok×1", "b:ok×1"])

      // and for part 1: the first resubmit round, holding b
      let bAnswers = 0
      const resubmitted = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 1 },
        answer: (request) => {
          const failing = request.customId === "b" && bAnswers++ === 1 // the run's first attempt at b
          return failing
            ? new Batch.ResultError({ code: "server_error", message: "server_error" })
            : new ModelResponse({ parts: [new TextPart({ content: request.customId })], modelName: "test-model", providerName: "test" })
        }
      })
      const roundRun = yield* BatchWorkflow.executionId("adopt-round")
      yield* resubmitted.service.create(reqs("b").map(Batch.BatchRequest.from), { metadata: { [BatchWorkflow.runLabelKey]: `${roundRun}/1` } })
      const second = yield* withClock(
        BatchWorkflow.run({ runId: "adopt-round", requests: reqs("a", "b"), resubmit: { times: 1 }, pollInterval: "1 minute" }),
        "5 minutes"
      ).pipe(Effect.provide(engine(resubmitted.layer)))
      expect(yield* resubmitted.callCount("create")).toBe(2) // the planted one and part 0
      expect(second.rounds.map((round) => round.map((b) => b.id))).toEqual([["batch_test_2"], ["batch_test_1"]])
      expect(tried(yield* collect(second).pipe(Effect.provide(resubmitted.layer)))).toEqual(["a:ok×1", "b:ok×2"])
    }))
})

describe("BatchWorkflow's new options, checked before any activity", () => {
  it.effect("a request over maxEnqueuedTokens, a bad resubmit, limit, estimate or backoff: InvalidInputError, nothing started or sent", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make(TEN_TOKENS)
      const layer = engine(sim.layer)
      const fail = (input: Omit<BatchWorkflow.RunInput, "runId" | "requests">) =>
        BatchWorkflow.start({ runId: "bad", requests: reqs("a", "b"), ...input }).pipe(Effect.provide(layer), Effect.flip)
      const over = yield* fail({ maxEnqueuedTokens: 9 })
      expect(over._tag).toBe("InvalidInputError")
      expect(over.message).toContain(`"a" is estimated at 10 tokens, more than maxEnqueuedTokens (9)`)
      expect((yield* fail({ resubmit: { times: -1 } })).message).toContain("resubmit.times must be a whole number")
      expect((yield* fail({ resubmit: { times: 1.5 } })).message).toContain("resubmit.times")
      expect((yield* fail({ maxConcurrentBatches: 0 })).message).toContain("maxConcurrentBatches must be a whole number")
      expect((yield* fail({ maxEnqueuedTokens: 2.5 })).message).toContain("maxEnqueuedTokens must be a whole number")
      expect((yield* fail({ maxEnqueuedTokens: 100, estimateTokens: () => -1 })).message).toContain("estimateTokens returned -1")
      const thrown = yield* fail({ maxEnqueuedTokens: 100, estimateTokens: () => { throw new Error("no tokenizer") } })
      expect(thrown.message).toContain("no tokenizer")
      expect((yield* fail({ queueBackoff: [Duration.infinity] })).message).toContain("queueBackoff")
      expect(yield* sim.calls).toEqual([])
      const executionId = yield* BatchWorkflow.executionId("bad")
      expect(yield* BatchWorkflow.poll(executionId).pipe(Effect.provide(layer))).toBeUndefined()
    }))
})

describe("BatchWorkflow under the emulator's enqueued-token limit (openai SDK)", () => {
  const { emulator, batches } = useBatchEmulator()

  it.effect("a provider limit below the run's parts: refused parts are submitted again, every request runs once", () =>
    Effect.gen(function* () {
      const model = batchModel(emulator())
      const ids = ["q1", "q2", "q3", "q4"]
      const requests = reqs(...ids)
      const each = yield* Effect.provide(
        Effect.map(BatchModel, (service) => requests.map((r) => {
          const request = Batch.BatchRequest.from(r)
          return Batch.estimateTokens(request, service.encodedSize(request))
        })),
        model.layer
      )
      // room for one part of two requests at a time; the run sets no budget of its own
      batches().enqueuedTokenLimits = { "gpt-4o-mini": each[0]! + each[1]! + 1 }
      const result = yield* driven(
        BatchWorkflow.run({ runId: "emulated", requests, maxRequestsPerBatch: 2, pollInterval: "1 minute" }).pipe(Effect.provide(engine(model.layer))),
        model.traffic
      )
      const all = batches().batches()
      expect(all.filter((b) => b.status === "failed").length).toBe(result.refused.length)
      expect(result.refused.length).toBeGreaterThan(0)
      expect(result.refused.every((b) => b.errors[0]?.code === "token_limit_exceeded")).toBe(true)
      expect(all.filter((b) => b.status === "completed").map((b) => b.customIds.join()).sort()).toEqual(["q1,q2", "q3,q4"])
      expect(result.batches.map((b) => b.customIds)).toEqual([["q1", "q2"], ["q3", "q4"]])
      // batch by batch in submission order; within a batch, in the order the provider's file holds them
      const results = tried(yield* driven(collect(result).pipe(Effect.provide(model.layer)), model.traffic))
      expect([results.slice(0, 2).sort(), results.slice(2).sort()]).toEqual([["q1:ok×1", "q2:ok×1"], ["q3:ok×1", "q4:ok×1"]])
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
    }))
})
