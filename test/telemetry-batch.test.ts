/**
 * Batch lifecycle spans (`batch.run`, `batch.create`, `batch.poll`, `batch.results`,
 * `batch.cancel`, `batch.status`, `batch.list`) on the simulated BatchModel under TestClock,
 * traced through @effect/opentelemetry into an in-memory exporter.
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanStatusCode } from "@opentelemetry/api"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Effect, Exit, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import * as TestModel from "../src/testing/TestModel.js"
import { reqs, withClock } from "./batch-helpers.js"
import { isChildOf, Kind, only, withSpans } from "./telemetry-helpers.js"

const model = { "gen_ai.operation.name": "batch", "gen_ai.provider.name": "test", "gen_ai.request.model": "test" }
const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)

describe("batch spans", () => {
  it.effect("a run: batch.run with create, polls and results as its children, ids, statuses and counts", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(
        withClock(Batch.run(reqs("a", "b", "c"), { pollInterval: "10 seconds" })).pipe(
          Effect.withSpan("app"),
          Effect.provide(TestModel.layer({ batch: { statusCalls: 3, omit: ["c"] } }))
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const app = only(spans, "app")
      const run = only(spans, "batch.run")
      const create = only(spans, "batch.create")
      const polls = named(spans, "batch.poll")
      const results = only(spans, "batch.results")

      expect(run.kind).toBe(Kind.internal)
      expect(isChildOf(run, app)).toBe(true)
      expect(run.attributes).toEqual({
        ...model,
        "batch.request_count": 3,
        "batch.batch_count": 1,
        "batch.resumed": false,
        "batch.result_count": 3,
        "batch.failed_result_count": 1
      })

      for (const span of [create, ...polls, results]) {
        expect(span.kind).toBe(Kind.client)
        expect(isChildOf(span, run)).toBe(true)
        expect(span.attributes).toMatchObject(model)
      }
      const id = create.attributes["batch.id"]
      expect(id).toMatch(/^batch_test_/)
      expect(create.attributes).toMatchObject({ "batch.request_count": 3, "batch.status": "validating", "batch.completed_count": 0 })

      // a status check right after create, then one per interval until the batch is final
      expect(polls.map((p) => p.attributes["batch.status"])).toEqual(["in_progress", "finalizing", "completed"])
      for (const poll of polls) expect(poll.attributes["batch.id"]).toBe(id)
      // the provider's own counts: it reports all three done...
      expect(polls.at(-1)!.attributes).toMatchObject({ "batch.completed_count": 3, "batch.failed_count": 0, "batch.request_count": 3 })

      // ...but leaves a line out: a "missing" failure, counted on the results span too
      expect(results.attributes).toMatchObject({ "batch.id": id, "batch.result_count": 3, "batch.failed_result_count": 1 })
      expect(spans.filter((s) => s.name.startsWith("chat "))).toEqual([])
    }))

  it.effect("instrument: false on a run emits no span, nested ones included", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(
        withClock(Batch.run(reqs("a", "b"), { instrument: false })).pipe(Effect.provide(TestModel.layer({ batch: { statusCalls: 2 } })))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(spans).toEqual([])
    }))

  it.effect("a run that times out: error.type on batch.run and a batch.cancel span for the batch", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(
        withClock(Batch.run(reqs("a"), { pollInterval: "1 minute", timeout: "5 minutes" })).pipe(
          Effect.provide(TestModel.layer({ batch: { duration: "1 hour" } }))
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const run = only(spans, "batch.run")
      expect(run.attributes["error.type"]).toBe("BatchTimeoutError")
      expect(run.status.code).toBe(SpanStatusCode.ERROR)
      const cancel = only(spans, "batch.cancel")
      expect(isChildOf(cancel, run)).toBe(true)
      expect(cancel.attributes["batch.id"]).toBe(only(spans, "batch.create").attributes["batch.id"])
      expect(cancel.attributes["batch.status"]).toMatch(/^cancel/)
    }))

  it.effect("single calls: create, status, results (with counts), cancel and list each make one client span", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({ provider: "test", modelName: "test", lifecycle: { statusCalls: 0 } })
      const { exit, spans } = yield* withSpans(
        Effect.gen(function* () {
          const batch = yield* Batch.create(reqs("a", "b"))
          yield* Batch.status(batch.id)
          yield* Stream.runCollect(Batch.results(batch))
          const other = yield* Batch.create(reqs("c"))
          yield* Batch.cancel(other)
          yield* Stream.runCollect(Batch.list())
        }).pipe(Effect.provide(sim.layer))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(spans.map((s) => s.name)).toEqual(["batch.create", "batch.status", "batch.results", "batch.create", "batch.cancel", "batch.list"])
      for (const span of spans) {
        expect(span.kind).toBe(Kind.client)
        expect(span.attributes).toMatchObject(model)
      }
      const [create, status, results, , cancel, list] = spans
      expect(status!.attributes).toMatchObject({ "batch.id": create!.attributes["batch.id"], "batch.status": "completed", "batch.completed_count": 2 })
      expect(results!.attributes).toMatchObject({ "batch.id": create!.attributes["batch.id"], "batch.result_count": 2, "batch.failed_result_count": 0 })
      expect(cancel!.attributes["batch.id"]).toBe(spans[3]!.attributes["batch.id"])
      expect(list!.attributes["batch.listed_count"]).toBe(2)
    }))

  it.effect("instrument: false on single calls and streams emits nothing", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(
        Effect.gen(function* () {
          const batch = yield* Batch.create(reqs("a"), { instrument: false })
          yield* Batch.status(batch, { instrument: false })
          yield* Stream.runCollect(Batch.watch(batch, "1 second", { instrument: false }))
          yield* Stream.runCollect(Batch.results(batch, { instrument: false }))
          yield* Batch.cancel(batch, { instrument: false })
          yield* Stream.runCollect(Batch.list({ instrument: false }))
        }).pipe(Effect.provide(TestModel.layer()))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(spans).toEqual([])
    }))
})
