/**
 * `BatchedLanguageModel.layer` over the test models and a simulated `BatchModel`, on the
 * TestClock: the test models batch like providers do, queue limits hold across windows, pending
 * mode keeps a running batch pending without submitting again, progress prices the answers, and
 * each call's span links to its window's `batch.run` span.
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import * as BatchedLanguageModel from "../src/BatchedLanguageModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse, TextPart } from "../src/Message.js"
import { RequestUsage } from "../src/Usage.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import * as TestModel from "../src/testing/TestModel.js"
import { only, withSpans } from "./telemetry-helpers.js"

const ask = (text: string) => LanguageModel.request([ModelRequest.userTextPrompt(text)])

/** Runs `self` while the TestClock moves a second at a time, until it is done. */
const withClock = <A, E, R>(self: Effect.Effect<A, E, R>, limit: Duration.DurationInput = "1 hour"): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let s = 0; s < Duration.toSeconds(limit); s++) {
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.join(fiber)
  })

const echo = (request: { readonly messages: ReadonlyArray<unknown> }) => {
  const first = request.messages[0] as ModelRequest
  const text = (first.parts[0] as { content: string }).content
  return new ModelResponse({
    parts: [new TextPart({ content: `echo ${text}` })],
    modelName: "test-model",
    providerName: "test",
    usage: new RequestUsage({ inputTokens: 1_000, outputTokens: 500 })
  })
}

/** A simulated batch API with TestModel's LanguageModel beside it. */
const simulated = (options: SimulatedBatch.Options) =>
  Effect.map(SimulatedBatch.make({ answer: echo, ...options }), (sim) => ({
    sim,
    model: Layer.merge(Layer.succeed(LanguageModel.LanguageModel, TestModel.make()), sim.layer)
  }))

describe("BatchedLanguageModel over the test models", () => {
  it.effect("TestModel and FunctionModel batch ordinary requests", () =>
    Effect.gen(function* () {
      const viaTest = yield* withClock(
        Effect.all([ask("a"), ask("b")], { concurrency: "unbounded" }).pipe(Effect.provide(BatchedLanguageModel.layer().pipe(Layer.provide(TestModel.layer({ customOutputText: "batched" })))))
      )
      expect(viaTest.map((r) => r.text)).toEqual(["batched", "batched"])
      const fn = FunctionModel.layer((messages) =>
        Effect.succeed(new ModelResponse({ parts: [new TextPart({ content: `fn ${(messages[0] as ModelRequest).parts.length}` })], modelName: "fn", providerName: "function" })))
      const viaFunction = yield* withClock(ask("c").pipe(Effect.provide(BatchedLanguageModel.layer().pipe(Layer.provide(fn)))))
      expect(viaFunction.text).toBe("fn 1")
    }))

  it.effect("maxConcurrentBatches holds across windows: the layer's windows share one gate", () =>
    Effect.gen(function* () {
      const { sim, model } = yield* simulated({ lifecycle: { statusCalls: 3 } })
      const layer = BatchedLanguageModel.layer({ maxRequests: 2, maxConcurrentBatches: 1, pollInterval: "10 seconds" }).pipe(Layer.provide(model))
      const answers = yield* withClock(Effect.forEach(["a", "b", "c", "d", "e", "f"], ask, { concurrency: "unbounded" }).pipe(Effect.provide(layer)))
      expect(answers.map((r) => r.text)).toEqual(["echo a", "echo b", "echo c", "echo d", "echo e", "echo f"])
      const batches = yield* sim.batches
      expect(batches.length).toBe(3)
      // one live at a time: each batch was created after the one before it had ended
      const ends = batches.map((b) => b.completedAt)
      for (let i = 1; i < batches.length; i++) expect(batches[i]!.createdAt! >= ends[i - 1]!).toBe(true)
    }))

  it.effect("a window closes when the next request would pass the provider's byte limit", () =>
    Effect.gen(function* () {
      const { sim, model } = yield* simulated({ lifecycle: { statusCalls: 1 }, limits: { maxBytes: 250 }, encodedSize: () => 100 })
      const layer = BatchedLanguageModel.layer({ pollInterval: "1 second" }).pipe(Layer.provide(model))
      const answers = yield* withClock(Effect.forEach(["a", "b", "c", "d", "e"], ask, { concurrency: "unbounded" }).pipe(Effect.provide(layer)))
      expect(answers.map((r) => r.text)).toEqual(["echo a", "echo b", "echo c", "echo d", "echo e"])
      expect((yield* sim.batches).map((b) => b.customIds.length)).toEqual([2, 2, 1])
    }))

  it.effect("pending mode: a batch still running fails the same requests pending again, and submits nothing", () =>
    Effect.gen(function* () {
      const { sim, model } = yield* simulated({ lifecycle: { statusCalls: 1_000 } })
      const store = yield* KeyValueStore.KeyValueStore
      const run = () =>
        withClock(Effect.forEach(["x", "y"], (t) => Effect.exit(ask(t)), { concurrency: "unbounded" }).pipe(
          Effect.provide(BatchedLanguageModel.layer({ pending: { store }, maxWait: "1 second" }).pipe(Layer.provide(model)))
        ))
      const tagsOf = (exits: ReadonlyArray<Exit.Exit<ModelResponse, unknown>>) =>
        exits.map((e) => (Exit.isFailure(e) ? (Cause.squash(e.cause) as { _tag: string })._tag : "ok"))
      const first = yield* run()
      expect(tagsOf(first)).toEqual(["BatchPendingError", "BatchPendingError"])
      const pendingError = Cause.squash((first[0] as Exit.Failure<ModelResponse, unknown>).cause) as { batchId: string; customId: string; requestKey: string; message: string }
      expect(pendingError.batchId).toBe((yield* sim.batches)[0]!.id)
      expect(pendingError.message).toContain("Run the program again later")
      const second = yield* run()
      expect(tagsOf(second)).toEqual(["BatchPendingError", "BatchPendingError"])
      expect(yield* sim.callCount("create")).toBe(1)
      // one status check for both requests of the batch
      expect(yield* sim.callCount("status")).toBe(1)
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("progress prices the answers at the batch price, with what it saved", () =>
    Effect.gen(function* () {
      const { model } = yield* simulated({ lifecycle: { statusCalls: 1 } })
      const layer = BatchedLanguageModel.layer({
        pollInterval: "1 second",
        cost: { prices: { "test-model": { inputPerMillion: 2, outputPerMillion: 8 } }, batchMultiplier: 0.5, lookup: false }
      }).pipe(Layer.provideMerge(model))
      const progress = yield* withClock(Effect.gen(function* () {
        yield* Effect.forEach(["a", "b"], ask, { concurrency: "unbounded" })
        return yield* Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot)
      }).pipe(Effect.provide(layer)))
      // each answer: 1,000 input tokens at $2/M and 500 output at $8/M = $0.006, half at the batch price
      expect(progress.done).toBe(2)
      expect(progress.cost).toBeCloseTo(0.006, 10)
      expect(progress.saved).toBeCloseTo(0.006, 10)
    }))

  it.effect("each call's chat span links to the batch.run span of its window", () =>
    Effect.gen(function* () {
      const { model } = yield* simulated({ lifecycle: { statusCalls: 0 } })
      const { exit, spans } = yield* withSpans(
        withClock(Effect.all([ask("a"), ask("b")], { concurrency: "unbounded" }).pipe(Effect.provide(BatchedLanguageModel.layer().pipe(Layer.provide(model)))))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const run = only(spans, "batch.run")
      const chats = spans.filter((s) => s.name.startsWith("chat "))
      expect(chats.length).toBe(2)
      for (const chat of chats) {
        expect(chat.links.map((l) => l.context.spanId)).toEqual([run.spanContext().spanId])
        // the run is not a child of any caller's span
        expect(run.parentSpanContext?.spanId).not.toBe(chat.spanContext().spanId)
      }
    }))
})
