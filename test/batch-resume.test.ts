import { KeyValueStore } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, Fiber, Option, TestClock } from "effect"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { outcomes, reqs, withClock } from "./batch-helpers.js"

const KEY = "nightly-eval"

/** One store for the whole test, as a file-backed store would outlive a restart. */
const memoryStore = Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)

/** Starts a run and interrupts it ("stops the program") once `after` has passed on the clock. */
const stopAfter = <A, E, R>(run: Effect.Effect<A, E, R>, after: Duration.DurationInput) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(run)
    yield* TestClock.adjust(after)
    yield* Fiber.interrupt(fiber)
  })

describe("Batch.run with resumeKey", () => {
  it.effect("a run stopped after submission resumes the same batch: one batch created, every result back", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 5, order: "reversed" } })
      const run = Batch.run(reqs("a", "b", "c"), { resumeKey: KEY }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      yield* stopAfter(run, "2 minutes")
      expect(yield* sim.callCount("cancel")).toBe(0) // left running
      const record = yield* kv.get(KEY)
      expect(Option.isSome(record) && record.value).toContain("batch_test_1")

      const results = yield* withClock(run)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      expect(yield* sim.callCount("create")).toBe(1)
      expect((yield* sim.batches).map((b) => b.status)).toEqual(["completed"])
      expect(yield* kv.has(KEY)).toBe(false) // removed once done
    }))

  it.effect("a split run stopped halfway resumes what was created and creates only the rest", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 3 } })
      const run = Batch.run(reqs("a", "b", "c", "d"), { resumeKey: KEY, maxRequestsPerBatch: 2, concurrency: 1 }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )
      // with concurrency 1 the second batch is created only after the first is done
      yield* stopAfter(run, "1 minute")
      expect(yield* sim.callCount("create")).toBe(1)
      const results = yield* withClock(run)
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok", "d:ok"])
      expect((yield* sim.batches).map((b) => b.customIds)).toEqual([["a", "b"], ["c", "d"]])
      expect(yield* sim.callCount("cancel")).toBe(0)
    }))

  it.effect("timeout still cancels, and the record goes with the batch", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 1000 } })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a"), { resumeKey: KEY, timeout: "1 hour" }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, kv)
      )))
      expect(error._tag).toBe("BatchTimeoutError")
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect(yield* kv.has(KEY)).toBe(false)
    }))

  it.effect("a record of other requests under the same key is refused before any call", () =>
    Effect.gen(function* () {
      const kv = yield* memoryStore
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      const provide = <A, E>(self: Effect.Effect<A, E, KeyValueStore.KeyValueStore | BatchModel>) =>
        self.pipe(Effect.provide(sim.layer), Effect.provideService(KeyValueStore.KeyValueStore, kv))
      yield* stopAfter(provide(Batch.run(reqs("a", "b"), { resumeKey: KEY })), "1 minute")
      const calls = (yield* sim.calls).length
      const error = yield* Effect.flip(provide(Batch.run(reqs("x", "y"), { resumeKey: KEY })))
      expect(error._tag === "InvalidInputError" && error.reason).toContain("for other requests")
      expect((yield* sim.calls).length).toBe(calls)

      yield* kv.set("broken", "{not json")
      const unreadable = yield* Effect.flip(provide(Batch.run(reqs("a"), { resumeKey: "broken" })))
      expect(unreadable._tag === "InvalidInputError" && unreadable.reason).toContain("unreadable")
    }))

  it.effect("a record that cannot be written fails the run and cancels the batch it could not record", () =>
    Effect.gen(function* () {
      const failing = KeyValueStore.makeStringOnly({
        get: () => Effect.succeed(Option.none()),
        set: () => Effect.fail(new SystemError({ reason: "PermissionDenied", module: "KeyValueStore", method: "set" })),
        remove: () => Effect.void,
        clear: Effect.void,
        size: Effect.succeed(0)
      })
      const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: 100 } })
      const error = yield* withClock(Effect.flip(Batch.run(reqs("a"), { resumeKey: KEY }).pipe(
        Effect.provide(sim.layer),
        Effect.provideService(KeyValueStore.KeyValueStore, failing)
      )))
      expect(error._tag).toBe("SystemError")
      expect(yield* sim.callCount("cancel")).toBe(1)
      expect(yield* sim.callCount("status")).toBe(0)
    }))
})
