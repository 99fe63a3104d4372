/**
 * `completion: Batch.webhook(events)` on SimulatedBatch under the TestClock: the wake-up logic of
 * the per-batch wait, with no HTTP (the end-to-end tests are in openai-batch-webhook.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, PubSub, Stream, TestClock } from "effect"
import * as Batch from "../src/Batch.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { outcomes, reqs } from "./batch-helpers.js"

const event = (type: string, id: string): Batch.BatchEvent => ({ type, data: { id } })

describe("Batch.run with completion: Batch.webhook (TestClock)", () => {
  it.effect("an event checks the status at once and ends the run; the hourly fallback never fires", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const events = yield* PubSub.unbounded<Batch.BatchEvent>()
      const fiber = yield* Batch.run(reqs("a", "b"), { completion: Batch.webhook(events) }).pipe(Effect.provide(sim.layer), Effect.fork)
      yield* TestClock.adjust("10 minutes") // final now, but nobody has looked
      expect(yield* sim.callCount("status")).toBe(1) // the check right after create
      const [batch] = yield* sim.batches
      yield* PubSub.publish(events, event("batch.completed", batch!.id))
      const results = yield* Fiber.join(fiber)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok"])
      expect(yield* sim.callCount("status")).toBe(2)
    }))

  it.effect("without an event the fallback interval polls (default every hour, or the one given)", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const events = yield* PubSub.unbounded<Batch.BatchEvent>()
      const fiber = yield* Batch.run(reqs("a"), { completion: Batch.webhook(events) }).pipe(Effect.provide(sim.layer), Effect.fork)
      yield* TestClock.adjust("59 minutes")
      expect(yield* sim.callCount("status")).toBe(1)
      yield* TestClock.adjust("1 minute")
      expect(outcomes(yield* Fiber.join(fiber))).toEqual(["a:ok"])
      expect(yield* sim.callCount("status")).toBe(2)

      const sim2 = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const fiber2 = yield* Batch.run(reqs("a"), { completion: Batch.webhook(events, { fallback: "5 minutes" }) }).pipe(Effect.provide(sim2.layer), Effect.fork)
      yield* TestClock.adjust("10 minutes")
      expect(outcomes(yield* Fiber.join(fiber2))).toEqual(["a:ok"])
      // at create, +5, +10 minutes
      expect(yield* sim2.callCount("status")).toBe(3)
    }))

  it.effect("a premature event costs one status check; the wait then goes on", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const events = yield* PubSub.unbounded<Batch.BatchEvent>()
      const fiber = yield* Batch.run(reqs("a"), { completion: Batch.webhook(events) }).pipe(Effect.provide(sim.layer), Effect.fork)
      yield* TestClock.adjust("1 minute")
      const [batch] = yield* sim.batches
      yield* PubSub.publish(events, event("batch.completed", batch!.id))
      yield* TestClock.adjust("1 second")
      expect(yield* sim.callCount("status")).toBe(2)
      yield* PubSub.publish(events, event("batch.expired", "batch_other"))
      yield* PubSub.publish(events, event("response.completed", batch!.id))
      yield* TestClock.adjust("1 second")
      expect(yield* sim.callCount("status")).toBe(2)
      yield* TestClock.adjust("1 hour")
      expect(outcomes(yield* Fiber.join(fiber))).toEqual(["a:ok"])
    }))

  it.effect("a Stream source works too, and each of a run's batches listens for its own id", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const events = yield* PubSub.unbounded<Batch.BatchEvent>()
      const fiber = yield* Batch.run(reqs("a", "b", "c"), { completion: Batch.webhook(Stream.fromPubSub(events)), maxRequestsPerBatch: 2 }).pipe(
        Effect.provide(sim.layer),
        Effect.fork
      )
      yield* TestClock.adjust("10 minutes")
      const batches = yield* sim.batches
      expect(batches).toHaveLength(2)
      for (const b of batches) yield* PubSub.publish(events, event("batch.completed", b.id))
      expect(outcomes(yield* Fiber.join(fiber))).toEqual(["a:ok", "b:ok", "c:ok"])
      expect(yield* sim.callCount("status")).toBe(4)
    }))

  it.effect("interrupting a run waiting on events cancels its batch", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ lifecycle: { duration: "10 minutes" } })
      const events = yield* PubSub.unbounded<Batch.BatchEvent>()
      const fiber = yield* Batch.run(reqs("a"), { completion: Batch.webhook(events) }).pipe(Effect.provide(sim.layer), Effect.fork)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.interrupt(fiber)
      expect(yield* sim.callCount("cancel")).toBe(1)
    }))
})
