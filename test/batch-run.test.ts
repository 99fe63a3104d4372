import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Schedule, Stream, TestClock, Tracer } from "effect"
import {
  AuthenticationError,
  BatchErrorItem,
  ConnectionError,
  InvalidInputError,
  InvalidRequestError,
  ProviderUnavailableError,
  RateLimitError
} from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { outcomes, reqs, withClock } from "./batch-helpers.js"

const unavailable = () => new ProviderUnavailableError({ provider: "test", status: 503 })
const reset = () => new ConnectionError({ provider: "test", detail: "ECONNRESET" })
/** When calls of a kind happened, in seconds after the first call of the simulation. */
const seconds = (calls: ReadonlyArray<SimulatedBatch.Call>, op: SimulatedBatch.Op) =>
  calls.filter((c) => c.op === op).map((c) => (c.at - calls[0]!.at) / 1000)

// type-level: a run without resumeKey needs only BatchModel (no KeyValueStore)
const _plain: Effect.Effect<ReadonlyArray<Batch.BatchResult>, unknown, BatchModel> = Batch.run(reqs("a"))
void _plain

describe("Batch.run results", () => {
  it.effect("one result per custom id, in submission order, despite reordered, duplicated and omitted lines", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        answer: (r) => (r.customId === "b" ? new Batch.ResultError({ code: "invalid_request", message: "no" }) : echo(r.customId)),
        lifecycle: { order: "reversed", duplicate: ["a", "b"], omit: ["c"] }
      })
      const results = yield* withClock(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(sim.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:invalid_request", "c:missing", "d:ok"])
      const first = results[0]!
      expect(first.isSuccessful && first.response.text).toBe("answer a")
      expect(yield* sim.callCount("create")).toBe(1)
    }))

  it.effect("an answer failing with an AiError is an errored result, the others succeed", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        answer: (r) => (r.customId === "x" ? Effect.fail(new InvalidRequestError({ provider: "test", detail: "bad" })) : echo(r.customId))
      })
      const results = yield* withClock(Batch.run(reqs("w", "x", "y")).pipe(Effect.provide(sim.layer)))
      expect(outcomes(results)).toEqual(["w:ok", "x:InvalidRequestError", "y:ok"])
    }))

  it.effect("checks status right after create, then every pollInterval (default 60 seconds)", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 3 } })
      yield* withClock(Batch.run(reqs("a"), { pollInterval: "30 seconds" }).pipe(Effect.provide(sim.layer)))
      expect(seconds(yield* sim.calls, "status")).toEqual([0, 30, 60])

      const byDefault = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 3 } })
      yield* withClock(Batch.run(reqs("a")).pipe(Effect.provide(byDefault.layer)))
      expect(seconds(yield* byDefault.calls, "status")).toEqual([0, 60, 120])
    }))

  it.effect("honours a custom Schedule (capped exponential backoff)", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 5 } })
      const schedule = Schedule.exponential("10 seconds").pipe(Schedule.union(Schedule.spaced("25 seconds")))
      yield* withClock(Batch.run(reqs("a"), { schedule }).pipe(Effect.provide(sim.layer)))
      // delays 10, 20, then capped at 25
      expect(seconds(yield* sim.calls, "status")).toEqual([0, 10, 30, 55, 80])
    }))

  it.effect("completes on clock time as well as on status calls", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "5 minutes" } })
      yield* withClock(Batch.run(reqs("a"), { pollInterval: "2 minutes" }).pipe(Effect.provide(sim.layer)))
      expect(seconds(yield* sim.calls, "status")).toEqual([0, 120, 240, 360])
    }))
})

describe("Batch.run transient faults", () => {
  it.effect("retries polling and downloading faults without resubmitting, and honours retry-after", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: { statusCalls: 2 },
        faults: {
          status: [new RateLimitError({ provider: "test", retryAfter: Duration.seconds(20) }), unavailable(), undefined, reset()],
          results: [{ afterLines: 2, error: reset() }, unavailable()]
        }
      })
      const results = yield* withClock(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(sim.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect(yield* sim.callCount("create")).toBe(1)
      expect(yield* sim.callCount("results")).toBe(3)
      expect(yield* sim.callCount("cancel")).toBe(0)
      const statusAt = seconds(yield* sim.calls, "status")
      expect(statusAt).toHaveLength(5)
      expect(statusAt[1]!).toBeGreaterThanOrEqual(20) // waited for retry-after
    }))

  it.effect("a create the provider rate-limited is retried; one that failed otherwise is not", () =>
    Effect.gen(function* () {
      const limited = yield* SimulatedBatch.make({ faults: { create: [new RateLimitError({ provider: "test" })] } })
      const results = yield* withClock(Batch.run(reqs("a")).pipe(Effect.provide(limited.layer)))
      expect(outcomes(results)).toEqual(["a:ok"])
      expect(yield* limited.callCount("create")).toBe(2)
      expect(yield* limited.batches).toHaveLength(1)

      const broken = yield* SimulatedBatch.make({ faults: { create: [unavailable()] } })
      const exit = yield* withClock(Effect.exit(Batch.run(reqs("a")).pipe(Effect.provide(broken.layer))))
      expect(exit).toStrictEqual(Exit.fail(unavailable()))
      expect(yield* broken.callCount("create")).toBe(1)
    }))

  it.effect("a fault that is not transient fails the run and cancels the batch", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 5 }, faults: { status: [undefined, new AuthenticationError({ provider: "test" })] } })
      const exit = yield* withClock(Effect.exit(Batch.run(reqs("a")).pipe(Effect.provide(sim.layer))))
      expect(Exit.isFailure(exit) && Option.getOrThrow(Exit.causeOption(exit)).toString()).toContain("AuthenticationError")
      expect(yield* sim.callCount("cancel")).toBe(1)
    }))
})

describe("Batch.run outcomes", () => {
  it.effect("a failed batch fails with BatchFailedError carrying the provider's errors", () =>
    Effect.gen(function* () {
      const errors = [new BatchErrorItem({ code: "invalid_json", message: "line 2 is not JSON", line: 2 })]
      const sim = yield* SimulatedBatch.make({ lifecycle: { outcome: "failed", errors } })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a", "b")).pipe(Effect.provide(sim.layer))))
      expect(error._tag).toBe("BatchFailedError")
      if (error._tag === "BatchFailedError") {
        expect(error.batchId).toBe("batch_test_1")
        expect(error.errors).toEqual(errors)
        expect(error.message).toContain("invalid_json (line 2)")
      }
      expect(yield* sim.callCount("results")).toBe(0)
      expect(yield* sim.callCount("cancel")).toBe(0)
    }))

  it.effect("an expired batch returns the results that exist and 'expired' for the rest", () =>
    Effect.gen(function* () {
      for (const unprocessedLines of [true, false]) {
        const sim = yield* SimulatedBatch.make({ lifecycle: { outcome: "expired", processed: 2, unprocessedLines } })
        const results = yield* withClock(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(sim.layer)))
        expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:expired", "d:expired"])
      }
    }))

  it.effect("a batch cancelled by someone else returns what finished and 'cancelled' for the rest", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { outcome: "cancelled", processed: 1, unprocessedLines: false } })
      const results = yield* withClock(Batch.run(reqs("a", "b", "c")).pipe(Effect.provide(sim.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:cancelled", "c:cancelled"])
    }))
})

describe("Batch.run cancellation", () => {
  it.effect("timeout cancels the remote batch and fails with BatchTimeoutError carrying its id", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "2 hours" } })
      const fiber = yield* Effect.fork(Effect.flip(Batch.run(reqs("a", "b"), { timeout: "30 minutes" }).pipe(Effect.provide(sim.layer))))
      yield* TestClock.adjust("29 minutes")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("2 minutes")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("BatchTimeoutError")
      if (error._tag === "BatchTimeoutError") {
        expect(error.batchId).toBe("batch_test_1")
        expect(Duration.toMinutes(error.timeout)).toBe(30)
      }
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect((yield* sim.batches)[0]!.status).toBe("cancelling")
    }))

  it.effect("interruption cancels the remote batch", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      const fiber = yield* Effect.fork(Batch.run(reqs("a")).pipe(Effect.provide(sim.layer)))
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.interrupt(fiber)
      expect(yield* sim.callCount("create")).toBe(1)
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect((yield* sim.batches)[0]!.status).toBe("cancelling")
    }))

  it.effect("interruption that lands during create still ends with the created batch cancelled", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ createDelay: "10 seconds" })
      const fiber = yield* Effect.fork(Batch.run(reqs("a", "b")).pipe(Effect.provide(sim.layer)))
      yield* TestClock.adjust("1 second")
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("1 second")
      expect(interrupter.unsafePoll()).toBeNull() // waits for the create
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.join(interrupter)
      expect(yield* sim.callCount("create")).toBe(1)
      expect(yield* sim.callCount("status")).toBe(0)
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect((yield* sim.batches).map((b) => b.status)).toEqual(["cancelling"])
    }))

  it.effect("a create that hangs is bounded by createTimeout", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ createDelay: "1 hour" })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a"), { createTimeout: "1 minute" }).pipe(Effect.provide(sim.layer))))
      expect(error._tag).toBe("RequestTimeoutError")
      expect(yield* sim.batches).toHaveLength(0)
    }))

  it.effect("the cancel is retried on transient faults a bounded number of times", () =>
    Effect.gen(function* () {
      const flaky = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 }, faults: { cancel: [unavailable(), reset()] } })
      const fiber = yield* Effect.fork(Batch.run(reqs("a")).pipe(Effect.provide(flaky.layer)))
      yield* TestClock.adjust("1 minute")
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(interrupter)
      expect(yield* flaky.callCount("cancel")).toBe(3)
      expect((yield* flaky.batches)[0]!.status).toBe("cancelling")

      const down = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 }, faults: (call) => (call.op === "cancel" ? unavailable() : undefined) })
      const stuck = yield* Effect.fork(Batch.run(reqs("a"), { retry: Retry.policy({ times: 2 }) }).pipe(Effect.provide(down.layer)))
      yield* TestClock.adjust("1 minute")
      const interrupter2 = yield* Effect.fork(Fiber.interrupt(stuck))
      yield* TestClock.adjust("1 hour")
      yield* Fiber.join(interrupter2)
      expect(yield* down.callCount("cancel")).toBe(3) // one attempt and two retries, then it gives up
    }))

  it.effect("a finite schedule that ends before the batch does counts as a timeout", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a"), { schedule: Schedule.spaced("1 minute").pipe(Schedule.intersect(Schedule.recurs(3))) }).pipe(Effect.provide(sim.layer))))
      expect(error._tag).toBe("BatchTimeoutError")
      expect(yield* sim.callCount("status")).toBe(4)
      expect(yield* sim.callCount("cancel")).toBe(1)
    }))
})

describe("Batch.run validation", () => {
  it.effect("fails with InvalidInputError before any call", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        validate: (requests) =>
          requests.some((r) => r.customId.includes(" "))
            ? Effect.fail(new InvalidInputError({ provider: "test", reason: "custom ids must not contain spaces" }))
            : Effect.void,
        encodedSize: () => 100,
        limits: { maxBytes: 1000 }
      })
      const reason = (requests: ReadonlyArray<Batch.BatchRequestInput>, options?: Batch.RunOptions & { resumeKey?: undefined }) =>
        Batch.run(requests, options).pipe(
          Effect.provide(sim.layer),
          Effect.flip,
          Effect.map((e) => (e._tag === "InvalidInputError" ? e.reason : `unexpected ${e._tag}`))
        )
      expect(yield* reason([])).toContain("no requests")
      expect(yield* reason(reqs("a", "b", "a", "c", "b"))).toContain('duplicated: "a", "b"')
      expect(yield* reason(reqs("a", "b c"))).toContain("spaces")
      expect(yield* reason(reqs("a"), { maxBytesPerBatch: 50 })).toContain("takes 100 bytes")
      expect(yield* reason(reqs("a"), { maxRequestsPerBatch: 0 })).toContain("maxRequestsPerBatch")
      expect(yield* sim.calls).toEqual([])
    }))

  it.effect("a batch complete at create needs no poll and no clock", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 0 } })
      const results = yield* Batch.run(reqs("a", "b")).pipe(Effect.provide(sim.layer))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok"])
      expect(yield* sim.callCount("status")).toBe(0)
    }))

  it.effect("one request is enough (the seeds' minimum of 2 is not a provider rule)", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make()
      expect(outcomes(yield* withClock(Batch.run(reqs("only")).pipe(Effect.provide(sim.layer))))).toEqual(["only:ok"])
    }))
})

describe("Batch.run splitting", () => {
  it.effect("splits by maxRequestsPerBatch into batches that run together and merge in submission order", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => ({ statusCalls: 2 + index, order: "reversed", omit: index === 1 ? ["d"] : [] })
      })
      const results = yield* withClock(Batch.run(reqs("a", "b", "c", "d", "e"), { maxRequestsPerBatch: 2 }).pipe(Effect.provide(sim.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:missing", "e:ok"])
      const batches = yield* sim.batches
      expect(batches.map((b) => b.customIds)).toEqual([["a", "b"], ["c", "d"], ["e"]])
      // created together, not one after another
      expect(seconds(yield* sim.calls, "create")).toEqual([0, 0, 0])
    }))

  it.effect("splits by maxBytesPerBatch and by the provider's own limits", () =>
    Effect.gen(function* () {
      const bytes = yield* SimulatedBatch.make({ encodedSize: (r) => (r.customId === "big" ? 200 : 100) })
      const results = yield* withClock(Batch.run(reqs("a", "big", "b", "c", "d"), { maxBytesPerBatch: 300 }).pipe(Effect.provide(bytes.layer)))
      expect(outcomes(results)).toEqual(["a:ok", "big:ok", "b:ok", "c:ok", "d:ok"])
      expect((yield* bytes.batches).map((b) => b.customIds)).toEqual([["a", "big"], ["b", "c", "d"]])

      const limited = yield* SimulatedBatch.make({ limits: { maxRequests: 3 } })
      yield* withClock(Batch.run(reqs("a", "b", "c", "d")).pipe(Effect.provide(limited.layer)))
      expect((yield* limited.batches).map((b) => b.requestCount)).toEqual([3, 1])
    }))

  it.effect("a failed batch among several fails the run and cancels the others", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        lifecycle: (index) => (index === 0 ? { statusCalls: 1, outcome: "failed" } : { statusCalls: 100 })
      })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a", "b", "c"), { maxRequestsPerBatch: 1 }).pipe(Effect.provide(sim.layer))))
      expect(error._tag).toBe("BatchFailedError")
      expect(yield* sim.callCount("cancel")).toBe(2)
    }))
})

describe("Batch single calls", () => {
  it.effect("create, watch (one snapshot per poll), results", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 4, omit: ["b"] } })
      yield* Effect.gen(function* () {
      const batch = yield* Batch.create(reqs("a", "b", "c"))
      expect(batch.status).toBe("validating")
      expect(batch.customIds).toEqual(["a", "b", "c"])
      const snapshots = yield* withClock(Stream.runCollect(Batch.watch(batch, "10 seconds")))
      expect(Array.from(snapshots, (b) => b.status)).toEqual(["in_progress", "in_progress", "finalizing", "completed"])
      expect(seconds(yield* sim.calls, "status")).toEqual([0, 10, 20, 30])
      const final = Array.from(snapshots).at(-1)!
      expect(final.customIds).toEqual(["a", "b", "c"])
      // provider order, then the ids the provider left out
      expect(outcomes(Array.from(yield* Stream.runCollect(Batch.results(final))))).toEqual(["a:ok", "c:ok", "b:missing"])
      // with only an id the submitted ids are unknown: nothing is added
      expect(outcomes(Array.from(yield* Stream.runCollect(Batch.results(final.id))))).toEqual(["a:ok", "c:ok"])
      // a final snapshot is emitted without another call
      expect((yield* Stream.runCollect(Batch.watch(final))).length).toBe(1)
      expect(yield* sim.callCount("status")).toBe(5)
      }).pipe(Effect.provide(sim.layer))
    }))

  it.effect("watch ends when its schedule does; results of a running batch fail", () =>
    Effect.gen(function* () {
      const batch = yield* Batch.create(reqs("a"))
      const snapshots = yield* withClock(Stream.runCollect(Batch.watch(batch, Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(1))))))
      expect(snapshots.length).toBe(2)
      const error = yield* Effect.flip(Stream.runCollect(Batch.results(batch)))
      expect(error._tag === "InvalidInputError" && error.reason).toContain("still in_progress")
    }).pipe(Effect.provide(sim0({ lifecycle: { statusCalls: 100 } }))))

  it.effect("create interrupted while it runs still returns nothing but cancels the batch it made", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ createDelay: "5 seconds" })
      const fiber = yield* Effect.fork(Batch.create(reqs("a")).pipe(Effect.provide(sim.layer)))
      yield* TestClock.adjust("1 second")
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(interrupter)
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect((yield* sim.batches).map((b) => b.status)).toEqual(["cancelling"])
    }))

  it.effect("create refuses a list over one batch's limits; cancel and list", () =>
    Effect.gen(function* () {
      const over = yield* Effect.flip(Batch.create(reqs("a", "b", "c")))
      expect(over._tag === "InvalidInputError" && over.reason).toContain("use Batch.run")
      const first = yield* Batch.create(reqs("a", "b"))
      const second = yield* Batch.create(reqs("c"))
      expect((yield* Batch.cancel(first)).status).toBe("cancelling")
      expect(Array.from(yield* Stream.runCollect(Batch.list()), (b) => b.id)).toEqual([second.id, first.id])
      expect(Array.from(yield* Stream.runCollect(Batch.list({ limit: 1 })), (b) => b.id)).toEqual([second.id])
    }).pipe(Effect.provide(sim0({ limits: { maxRequests: 2 } }))))

  it.effect("emits batch.* spans with the batch id and counts", () =>
    Effect.gen(function* () {
      const spans: Array<{ name: string; attributes: Map<string, unknown> }> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        context: base.context,
        span: (name, parent, context, links, startTime, kind, options) => {
          const span = base.span(name, parent, context, links, startTime, kind, options)
          spans.push({ name, attributes: span.attributes as Map<string, unknown> })
          return span
        }
      })
      yield* withClock(Batch.run(reqs("a", "b")).pipe(Effect.withTracer(tracer)))
      const names = spans.map((s) => s.name)
      expect(names).toEqual(expect.arrayContaining(["batch.run", "batch.create", "batch.poll", "batch.results"]))
      const poll = spans.filter((s) => s.name === "batch.poll").at(-1)!
      expect(poll.attributes.get("batch.id")).toBe("batch_test_1")
      expect(poll.attributes.get("batch.status")).toBe("completed")
      expect(poll.attributes.get("batch.completed_count")).toBe(2)
      expect(spans.find((s) => s.name === "batch.run")!.attributes.get("batch.batch_count")).toBe(1)
    }).pipe(Effect.provide(sim0())))
})

function echo(customId: string): ModelResponse {
  return new ModelResponse({ parts: [new TextPart({ content: `answer ${customId}` })], modelName: "test-model", providerName: "test" })
}

function sim0(options?: SimulatedBatch.Options) {
  return SimulatedBatch.layer(options)
}
