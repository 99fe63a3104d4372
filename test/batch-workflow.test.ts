/**
 * BatchWorkflow's logic on the in-memory workflow engine and the simulated provider, under the
 * TestClock: create once, poll with durable sleeps, results read as a stream, splitting, bad
 * input before any provider call, interruption and timeouts cancelling the remote batches, and
 * the label lookup that keeps a create from paying twice.
 */
import { WorkflowEngine } from "@effect/workflow"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Option, Stream, TestClock } from "effect"
import { AuthenticationError, ConnectionError, InvalidInputError } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import { outcomes, req, reqs } from "./batch-helpers.js"

/** The workflow registered on a fresh in-memory engine, over the simulation's BatchModel. */
const engine = (sim: SimulatedBatch.Simulation) =>
  BatchWorkflow.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory), Layer.provideMerge(sim.layer))

/**
 * Moves the TestClock a minute at a time until the run is done: the engine runs the workflow in
 * fibers of its own, so one big jump could pass before a sleep is even scheduled.
 */
const withClock = <A, E, R>(self: Effect.Effect<A, E, R>, limit: Duration.DurationInput = "1 day"): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let minutes = 0; minutes < Duration.toMinutes(limit); minutes++) {
      yield* advance("1 minute")
      if (Option.isSome(yield* Fiber.poll(fiber))) break
    }
    return yield* Fiber.join(fiber)
  })

/** Moves the TestClock by `by`, a minute at a time, letting the engine's fibers run in between. */
const advance = (by: Duration.DurationInput) =>
  Effect.gen(function* () {
    for (let minutes = 0; minutes < Duration.toMinutes(by); minutes++) {
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      yield* TestClock.adjust("1 minute")
    }
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
  })

const collect = (result: BatchWorkflow.RunResult) => Effect.map(Stream.runCollect(BatchWorkflow.results(result)), Chunk.toReadonlyArray)

describe("BatchWorkflow on the memory engine", () => {
  it.effect("creates one batch, polls it with durable sleeps, finishes with references and counts; results stream from the provider, in submission order", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 3, order: "reversed" } })
      const result = yield* withClock(BatchWorkflow.run({ runId: "r1", requests: reqs("a", "b", "c"), pollInterval: "10 minutes" })).pipe(
        Effect.provide(engine(sim))
      )
      expect(result.batches.map((b) => [b.id, b.status, b.customIds])).toEqual([["batch_test_1", "completed", ["a", "b", "c"]]])
      expect([result.requestCount, result.completedCount, result.failedCount]).toEqual([3, 3, 0])
      expect(yield* sim.callCount("create")).toBe(1)
      expect(yield* sim.callCount("status")).toBe(3)
      // the polls were spaced by the durable sleeps: 10 minutes apart on the clock
      const at = (yield* sim.calls).filter((c) => c.op === "status").map((c) => c.at)
      expect(at[1]! - at[0]!).toBe(600_000)
      expect(at[2]! - at[1]!).toBe(600_000)
      const results = yield* collect(result).pipe(Effect.provide(sim.layer))
      // the provider wrote them reversed; the run's results come back in submission order, as Batch.run's do
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      // the created batch carries the run's label, which the lookup before a create reads
      const [batch] = yield* sim.batches
      const executionId = yield* BatchWorkflow.executionId("r1")
      expect(batch!.details.metadata).toEqual({ [BatchWorkflow.runLabelKey]: `${executionId}/0` })
    }))

  it.effect("running the same runId again joins the finished execution: no second batch", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1 } })
      const input: BatchWorkflow.RunInput = { runId: "same", requests: reqs("a", "b"), pollInterval: "1 minute" }
      const [first, second] = yield* Effect.all([withClock(BatchWorkflow.run(input)), withClock(BatchWorkflow.run(input))]).pipe(
        Effect.provide(engine(sim))
      )
      expect(second.batches.map((b) => b.id)).toEqual(first.batches.map((b) => b.id))
      expect(yield* sim.callCount("create")).toBe(1)
    }))

  it.effect("splits by maxRequestsPerBatch: one labelled batch per part, every result back in the stream", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 2 } })
      const result = yield* withClock(
        BatchWorkflow.run({ runId: "split", requests: reqs("a", "b", "c", "d", "e"), maxRequestsPerBatch: 2, pollInterval: "1 minute" })
      ).pipe(Effect.provide(engine(sim)))
      expect(result.batches.map((b) => b.customIds)).toEqual([["a", "b"], ["c", "d"], ["e"]])
      expect(yield* sim.callCount("create")).toBe(3)
      const labels = (yield* sim.batches).map((b) => (b.details.metadata as Record<string, string>)[BatchWorkflow.runLabelKey]!.split("/")[1])
      expect(labels).toEqual(["0", "1", "2"])
      expect(outcomes(yield* collect(result).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok", "b:ok", "c:ok", "d:ok", "e:ok"])
    }))

  it.effect("bad input fails with InvalidInputError before any activity or provider call", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make()
      const layer = engine(sim)
      const duplicate = yield* BatchWorkflow.run({ runId: "bad", requests: [req("a"), req("a")] }).pipe(Effect.provide(layer), Effect.flip)
      expect(duplicate._tag).toBe("InvalidInputError")
      expect(duplicate.message).toContain("duplicated")
      const empty = yield* BatchWorkflow.start({ runId: "empty", requests: [] }).pipe(Effect.provide(layer), Effect.flip)
      expect(empty.message).toContain("no requests")
      const limit = yield* BatchWorkflow.start({ runId: "limit", requests: reqs("a"), maxRequestsPerBatch: 0 }).pipe(Effect.provide(layer), Effect.flip)
      expect(limit.message).toContain("maxRequestsPerBatch")
      const interval = yield* BatchWorkflow.start({ runId: "interval", requests: reqs("a"), pollInterval: 0 }).pipe(Effect.provide(layer), Effect.flip)
      expect(interval.message).toContain("pollInterval")
      expect(yield* sim.calls).toEqual([])
    }))

  it.effect("interrupting the workflow during a sleep cancels the remote batch (compensation)", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      yield* Effect.gen(function* () {
        const executionId = yield* BatchWorkflow.start({ runId: "stop", requests: reqs("a", "b"), pollInterval: "1 hour" })
        yield* advance("90 minutes") // created, two status rounds, now sleeping
        expect(yield* sim.callCount("create")).toBe(1)
        expect(yield* sim.callCount("cancel")).toBe(0)
        yield* BatchWorkflow.interrupt(executionId)
        yield* advance("1 minute")
        expect(yield* sim.callCount("cancel")).toBe(1)
        const polled = yield* BatchWorkflow.poll(executionId)
        expect(polled?._tag === "Complete" && Exit.isInterrupted(polled.exit)).toBe(true)
        // the next status check sees it cancelled
        const batch = yield* Batch.status("batch_test_1")
        expect(batch.status).toBe("cancelled")
      }).pipe(Effect.provide(engine(sim)))
    }))

  it.effect("a timeout cancels the unfinished batch and fails with BatchTimeoutError", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      const error = yield* withClock(BatchWorkflow.run({ runId: "late", requests: reqs("a"), pollInterval: "1 minute", timeout: "3 minutes" })).pipe(
        Effect.provide(engine(sim)),
        Effect.flip
      )
      expect(error._tag).toBe("BatchTimeoutError")
      expect(yield* sim.callCount("status")).toBe(4 + 1) // four rounds, then the compensation's check
      expect(yield* sim.callCount("cancel")).toBe(1)
    }))

  it.effect("a failed batch fails the run with BatchFailedError and cancels the other parts", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 0 ? { statusCalls: 1, outcome: "failed" } : { statusCalls: 100 })
      })
      const error = yield* withClock(
        BatchWorkflow.run({ runId: "failed", requests: reqs("a", "b"), maxRequestsPerBatch: 1, pollInterval: "1 minute" })
      ).pipe(Effect.provide(engine(sim)), Effect.flip)
      expect(error._tag).toBe("BatchFailedError")
      // the failed batch is final (no cancel); the other one is cancelled
      expect((yield* sim.calls).filter((c) => c.op === "cancel").map((c) => c.batchId)).toEqual(["batch_test_2"])
    }))

  it.effect("a status outage that outlasts the retries costs a round, not the run; an authentication failure ends it", () =>
    Effect.gen(function* () {
      const outage = Array.from({ length: 5 }, () => new ConnectionError({ provider: "test", detail: "reset" }))
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 2 }, faults: { status: outage } })
      const result = yield* withClock(BatchWorkflow.run({ runId: "outage", requests: reqs("a"), pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(sim))
      )
      expect(result.completedCount).toBe(1)
      expect(yield* sim.callCount("status")).toBe(5 + 2) // the five failed attempts of round 0, then two checks
      expect(yield* sim.callCount("create")).toBe(1)

      const denied = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 5 }, faults: { status: [new AuthenticationError({ provider: "test" })] } })
      const error = yield* withClock(BatchWorkflow.run({ runId: "denied", requests: reqs("a"), pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(denied)),
        Effect.flip
      )
      expect(error._tag).toBe("AuthenticationError")
      expect(yield* denied.callCount("cancel")).toBe(1)
    }))

  it.effect("a batch an earlier attempt created (found by its label) is adopted, not created again", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1 } })
      // what a crash between the provider's answer and the journal write leaves behind
      const executionId = yield* BatchWorkflow.executionId("adopt")
      const requests = reqs("a", "b")
      yield* sim.service.create(requests.map(Batch.BatchRequest.from), { metadata: { [BatchWorkflow.runLabelKey]: `${executionId}/0` } })
      // the clock moves less than the lookup's slack, wherever the run's start falls
      const result = yield* withClock(BatchWorkflow.run({ runId: "adopt", requests, pollInterval: "1 minute" }), "5 minutes").pipe(
        Effect.provide(engine(sim))
      )
      expect(yield* sim.callCount("create")).toBe(1)
      expect(result.batches.map((b) => [b.id, b.customIds])).toEqual([["batch_test_1", ["a", "b"]]])
      expect(outcomes(yield* collect(result).pipe(Effect.provide(sim.layer)))).toEqual(["a:ok", "b:ok"])
    }))

  it.effect("a provider without metadata (validate refuses labels) still runs, unlabelled", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 1 },
        validate: (_, { metadata }) =>
          metadata === undefined ? Effect.void : Effect.fail(new InvalidInputError({ provider: "test", reason: "no metadata here" }))
      })
      const result = yield* withClock(BatchWorkflow.run({ runId: "nolabel", requests: reqs("a"), pollInterval: "1 minute" })).pipe(
        Effect.provide(engine(sim))
      )
      expect(result.completedCount).toBe(1)
      expect(yield* sim.callCount("list")).toBe(0)
      expect((yield* sim.batches)[0]!.details.metadata).toBeUndefined()
    }))
})
