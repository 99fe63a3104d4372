/**
 * One suite of batch lifecycle scenarios, run against both drivers of the lifecycle: `Batch.run`
 * (in one process) and `BatchWorkflow` (journaled activities and durable sleeps on the in-memory
 * engine), over the same simulated `BatchModel` under the TestClock. Each scenario must pass on
 * both: split, queue limits, `token_limit_exceeded`, resubmission rounds, expiry, cancel on
 * interrupt, and the order of results.
 */
import { WorkflowEngine } from "@effect/workflow"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Option, Schedule, Stream, TestClock } from "effect"
import { BatchErrorItem } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import { outcomes, reqs } from "./batch-helpers.js"

/** The options a scenario sets, in the form both drivers take (the backoff as a list of waits). */
interface Options {
  readonly pollInterval?: Duration.DurationInput
  readonly maxRequestsPerBatch?: number
  readonly maxConcurrentBatches?: number
  readonly maxEnqueuedTokens?: number
  readonly resubmit?: Batch.ResubmitOptions
  readonly queueBackoff?: ReadonlyArray<Duration.DurationInput>
}

/** A driver of the lifecycle: runs a list to its results, or starts it and interrupts it after a while. */
interface Driver {
  readonly name: string
  readonly run: (sim: SimulatedBatch.Simulation, ids: ReadonlyArray<string>, options: Options) => Effect.Effect<ReadonlyArray<Batch.BatchResult>, unknown>
  readonly interruptAfter: (sim: SimulatedBatch.Simulation, ids: ReadonlyArray<string>, options: Options, after: Duration.DurationInput) => Effect.Effect<void, unknown>
}

/** Moves the TestClock by `by`, a minute at a time, letting the engine's fibers run in between. */
const advance = (by: Duration.DurationInput) =>
  Effect.gen(function* () {
    for (let minutes = 0; minutes < Duration.toMinutes(by); minutes++) {
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      yield* TestClock.adjust("1 minute")
    }
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
  })

/** Runs `self` while the TestClock moves a minute at a time, until it is done. */
const withClock = <A, E, R>(self: Effect.Effect<A, E, R>, limit: Duration.DurationInput = "1 day"): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let minutes = 0; minutes < Duration.toMinutes(limit); minutes++) {
      yield* advance("1 minute")
      if (Option.isSome(yield* Fiber.poll(fiber))) break
    }
    return yield* Fiber.join(fiber)
  })

const runOptions = (options: Options): Batch.RunOptions & { readonly resumeKey?: undefined } => {
  const { queueBackoff, ...rest } = options
  return {
    ...rest,
    pollInterval: options.pollInterval ?? "1 minute",
    ...(queueBackoff !== undefined ? { queueBackoff: Schedule.fromDelays(queueBackoff[0]!, ...queueBackoff.slice(1)) } : {})
  }
}

const inProcess: Driver = {
  name: "Batch.run",
  run: (sim, ids, options) => withClock(Batch.run(reqs(...ids), runOptions(options)).pipe(Effect.provide(sim.layer))),
  interruptAfter: (sim, ids, options, after) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Batch.run(reqs(...ids), runOptions(options)).pipe(Effect.provide(sim.layer)))
      yield* advance(after)
      yield* Fiber.interrupt(fiber)
    })
}

const engine = (sim: SimulatedBatch.Simulation) =>
  BatchWorkflow.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory), Layer.provideMerge(sim.layer))

const input = (ids: ReadonlyArray<string>, options: Options): BatchWorkflow.RunInput => ({
  runId: "scenario",
  requests: reqs(...ids),
  ...options,
  pollInterval: options.pollInterval ?? "1 minute"
})

const durable: Driver = {
  name: "BatchWorkflow",
  run: (sim, ids, options) =>
    Effect.gen(function* () {
      const result = yield* withClock(BatchWorkflow.run(input(ids, options)))
      return Chunk.toReadonlyArray(yield* Stream.runCollect(BatchWorkflow.results(result)))
    }).pipe(Effect.provide(engine(sim))),
  interruptAfter: (sim, ids, options, after) =>
    Effect.gen(function* () {
      const executionId = yield* BatchWorkflow.start(input(ids, options))
      yield* advance(after)
      yield* BatchWorkflow.interrupt(executionId)
      yield* advance("1 minute")
    }).pipe(Effect.provide(engine(sim)))
}

/** Outcomes with attempts: "id:ok×1". */
const tried = (results: ReadonlyArray<Batch.BatchResult>) => outcomes(results).map((o, i) => `${o}×${results[i]!.attempts}`)

/** The most batches live at once: each is live from its creation until it became final. */
const peakLive = (batches: ReadonlyArray<Batch.Batch>) =>
  Math.max(...batches.map((b) => {
    const t = b.createdAt.getTime()
    return batches.filter((o) => o.createdAt.getTime() <= t && (o.completedAt === undefined || o.completedAt.getTime() > t)).length
  }))

const queueFull = [new BatchErrorItem({ code: "token_limit_exceeded", message: "Enqueued token limit reached for test-model." })]

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

const sorted = (lists: ReadonlyArray<ReadonlyArray<string>>) => lists.map((l) => l.join()).sort()

describe.each([inProcess, durable])("the batch lifecycle, driven by $name", (driver) => {
  it.effect("split: parts within maxRequestsPerBatch, consecutive slices, every result back", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 2 } })
      const results = yield* driver.run(sim, ["a", "b", "c", "d", "e"], { maxRequestsPerBatch: 2 })
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×1", "c:ok×1", "d:ok×1", "e:ok×1"])
      expect(sorted((yield* sim.batches).map((b) => b.customIds))).toEqual(["a,b", "c,d", "e"])
    }))

  it.effect("queue limit: maxConcurrentBatches holds later parts until earlier ones finish", () =>
    Effect.gen(function* () {
      const ids = ["q1", "q2", "q3", "q4", "q5", "q6"]
      const sim = yield* SimulatedBatch.make({ lifecycle: (index) => ({ statusCalls: 2 + (index % 2) }) })
      const results = yield* driver.run(sim, ids, { maxRequestsPerBatch: 1, maxConcurrentBatches: 2 })
      expect(tried(results)).toEqual(ids.map((id) => `${id}:ok×1`))
      const created = yield* sim.batches
      expect(created).toHaveLength(6)
      expect(peakLive(created)).toBe(2)
    }))

  it.effect("queue limit: maxEnqueuedTokens splits the parts to fit and runs them one budget at a time", () =>
    Effect.gen(function* () {
      const ids = ["q1", "q2", "q3", "q4", "q5", "q6"]
      // 40 encoded bytes a request: the default estimate is 10 tokens
      const sim = yield* SimulatedBatch.make({ encodedSize: () => 40, lifecycle: { statusCalls: 2 } })
      const results = yield* driver.run(sim, ids, { maxEnqueuedTokens: 20 })
      expect(tried(results)).toEqual(ids.map((id) => `${id}:ok×1`))
      const created = yield* sim.batches
      expect(created.map((b) => b.customIds)).toEqual([["q1", "q2"], ["q3", "q4"], ["q5", "q6"]])
      expect(peakLive(created)).toBe(1)
    }))

  it.effect("token_limit_exceeded: the refused part is submitted again once another finishes, never a result failure", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 0 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 3 })
      })
      const results = yield* driver.run(sim, ["a", "b"], { maxRequestsPerBatch: 1 })
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×1"])
      const created = yield* sim.batches
      expect(created.map((b) => [b.customIds, b.status])).toEqual([[["a"], "failed"], [["b"], "completed"], [["a"], "completed"]])
      // submitted again after b's batch ended, not before: never two live batches for a
      expect(created[2]!.createdAt.getTime()).toBeGreaterThanOrEqual(created[1]!.completedAt!.getTime())
      expect(yield* sim.callCount("cancel")).toBe(0)
    }))

  it.effect("token_limit_exceeded with nothing else live: the part waits out queueBackoff, then goes again", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index < 2 ? { statusCalls: 1, outcome: "failed", errors: queueFull } : { statusCalls: 1 })
      })
      const results = yield* driver.run(sim, ["a"], { queueBackoff: ["5 minutes", "10 minutes"] })
      expect(tried(results)).toEqual(["a:ok×1"])
      const created = yield* sim.batches
      expect(created.map((b) => b.createdAt.getTime() - created[0]!.createdAt.getTime())).toEqual([0, 300_000, 900_000])
    }))

  it.effect("resubmission rounds: transient failures go again, each id keeps its last outcome with its attempts", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 2 },
        answer: scripted({ b: ["server_error"], c: ["server_error", "rate_limit_exceeded"], d: ["invalid_request_error"] })
      })
      const results = yield* driver.run(sim, ["a", "b", "c", "d", "e"], { maxRequestsPerBatch: 2, resubmit: { times: 3 } })
      expect(tried(results)).toEqual(["a:ok×1", "b:ok×2", "c:ok×3", "d:invalid_request_error×1", "e:ok×1"])
      const created = (yield* sim.batches).map((b) => b.customIds)
      expect(sorted(created.slice(0, 3))).toEqual(["a,b", "c,d", "e"])
      expect(created.slice(3)).toEqual([["b", "c"], ["c"]])
    }))

  it.effect("expiry: ids an expired batch never processed fail with code expired; with resubmit they go again", () =>
    Effect.gen(function* () {
      const expiring = { statusCalls: 2, outcome: "expired", processed: 1, unprocessedLines: false } as const
      const sim = yield* SimulatedBatch.make({ lifecycle: expiring })
      expect(tried(yield* driver.run(sim, ["a", "b", "c"], {}))).toEqual(["a:ok×1", "b:expired×1", "c:expired×1"])

      const again = yield* SimulatedBatch.make({ lifecycle: (index) => (index === 0 ? expiring : { statusCalls: 1 }) })
      expect(tried(yield* driver.run(again, ["a", "b", "c"], { resubmit: { times: 1 } }))).toEqual(["a:ok×1", "b:ok×2", "c:ok×2"])
      expect((yield* again.batches).map((b) => b.customIds)).toEqual([["a", "b", "c"], ["b", "c"]])
    }))

  it.effect("cancel on interrupt: the remote batches that are not final are cancelled", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      yield* driver.interruptAfter(sim, ["a", "b", "c"], { maxRequestsPerBatch: 2, pollInterval: "1 hour" }, "90 minutes")
      const calls = yield* sim.calls
      expect(calls.filter((c) => c.op === "cancel").map((c) => c.batchId).sort()).toEqual(["batch_test_1", "batch_test_2"])
      expect((yield* sim.batches).map((b) => b.status)).toEqual(["cancelling", "cancelling"])
    }))

  it.effect("order of results: submission order, whatever order the provider writes, with left-out ids in their place", () =>
    Effect.gen(function* () {
      const ids = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => ({
          statusCalls: 1 + index,
          order: index === 0 ? "reversed" : (customIds) => [...customIds.slice(1), customIds[0]!],
          duplicate: index === 1 ? ["q4"] : [],
          omit: index === 1 ? ["q6"] : []
        })
      })
      const results = yield* driver.run(sim, ids, { maxRequestsPerBatch: 3 })
      expect(outcomes(results)).toEqual(["q1:ok", "q2:ok", "q3:ok", "q4:ok", "q5:ok", "q6:missing", "q7:ok"])
    }))
})
