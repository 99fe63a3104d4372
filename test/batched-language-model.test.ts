/**
 * `BatchedLanguageModel.layer` through the real OpenAI SDK against the emulator, windows and
 * polls on the TestClock: ordinary `LanguageModel.request` calls from many fibers become provider
 * batches, each caller gets its own answer or its own error, interruption leaves windows and
 * cancels batches nobody waits on, and `fallbackAfter` sends the slow ones direct.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Scope } from "effect"
import * as BatchedLanguageModel from "../src/BatchedLanguageModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, type ModelResponse, ToolCallPart, ToolReturnPart } from "../src/Message.js"
import { accumulateStream } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import * as OpenAi from "../src/providers/openai/index.js"
import type { Emulator } from "../src/testing/Emulator.js"
import { callsTo, clientLayer, drive, driven, KEYS, trackedSdk, type Traffic, useBatchEmulator, waitFor } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

/** The OpenAI model (LanguageModel and BatchModel) over one tracked SDK on the emulator. */
const openAiModel = (e: Emulator): { readonly layer: Layer.Layer<LanguageModel.LanguageModel | import("../src/BatchModel.js").BatchModel>; readonly traffic: Traffic } => {
  const { sdk, traffic } = trackedSdk(e)
  return {
    layer: Layer.merge(OpenAi.languageModel("gpt-4o-mini"), OpenAi.batchModel("gpt-4o-mini")).pipe(Layer.provide(clientLayer(sdk))),
    traffic
  }
}

const batched = (e: Emulator, options: BatchedLanguageModel.Options) => {
  const model = openAiModel(e)
  return {
    layer: BatchedLanguageModel.layer({ pollInterval: "1 minute", ...options }).pipe(Layer.provideMerge(model.layer)),
    traffic: model.traffic
  }
}

const ask = (text: string, options?: LanguageModel.RequestOptions) => LanguageModel.request([ModelRequest.userTextPrompt(text)], options)

const weather = Tool.fromJsonSchema({
  name: "get_weather",
  description: "The weather in a city",
  parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
})

describe("BatchedLanguageModel: windows", () => {
  it.effect("10,000 concurrent requests make exactly ⌈10,000 / maxRequests⌉ batches, no direct call, each caller its own answer", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), { maxRequests: 3_000, maxWait: "2 seconds" })
      const prompts = Array.from({ length: 10_000 }, (_, i) => `prompt number ${i}`)
      const answers = yield* driven(
        Effect.forEach(prompts, (p) => ask(p), { concurrency: "unbounded" }).pipe(Effect.provide(layer)),
        traffic,
        { timeoutMs: 120_000 }
      )
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(Math.ceil(10_000 / 3_000))
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(0)
      expect(batches().batches().map((b) => b.customIds.length)).toEqual([3_000, 3_000, 3_000, 1_000])
      answers.forEach((response, i) => expect(response.text).toBe(`You said: prompt number ${i}`))
    }), 180_000)

  it.effect("requests with different settings, tools and output modes share one window", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), {})
      const [plain, tooled, structured, hot] = yield* driven(
        Effect.all([
          ask("hello"),
          ask("weather in Paris?", { parameters: { functionTools: [weather] } }),
          ask("a city", { parameters: { outputMode: "native", outputObject: { name: "city", jsonSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false } } } }),
          ask("warm", { settings: { temperature: 1.5, maxTokens: 50 } })
        ], { concurrency: "unbounded" }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(plain!.text).toBe("You said: hello")
      expect(tooled!.parts[0]).toBeInstanceOf(ToolCallPart)
      expect((tooled!.parts[0] as ToolCallPart).toolName).toBe("get_weather")
      expect(JSON.parse(structured!.text)).toHaveProperty("name")
      expect(hot!.text).toBe("You said: warm")
      const [batch] = batches().batches()
      const lines = batches().fileText(batch!.inputFileId)!.trim().split("\n").map((l) => JSON.parse(l) as { body: Record<string, unknown> })
      expect(lines.map((l) => [l.body.tools !== undefined, l.body.response_format !== undefined, l.body.temperature ?? null])).toEqual([
        [false, false, null], [true, false, null], [false, true, null], [false, false, 1.5]
      ])
    }))

  it.effect("a request's provider error reaches only its caller, as the error a direct call raises", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1, errors: { r1: 400, r2: 500 } }
      const { layer, traffic } = batched(emulator(), {})
      const exits = yield* driven(
        Effect.all(["a", "b", "c", "d"].map((t) => Effect.exit(ask(t))), { concurrency: "unbounded" }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(Exit.isSuccess(exits[0]!)).toBe(true)
      expect(Exit.isSuccess(exits[3]!)).toBe(true)
      const tagOf = (exit: Exit.Exit<ModelResponse, unknown>) => Exit.isFailure(exit) ? (Cause.squash(exit.cause) as { _tag: string })._tag : "ok"
      expect(tagOf(exits[1]!)).toBe("InvalidRequestError")
      expect(tagOf(exits[2]!)).toBe("ProviderUnavailableError")
    }))

  it.effect("a tool loop completes across two windows", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), {})
      const final = yield* driven(
        Effect.gen(function* () {
          const first = [ModelRequest.userTextPrompt("weather in Paris?")]
          const call = yield* LanguageModel.request(first, { parameters: { functionTools: [weather] } })
          const toolCall = call.parts.find((p): p is ToolCallPart => p instanceof ToolCallPart)!
          const followUp = [...first, call, new ModelRequest({ parts: [new ToolReturnPart({ toolName: toolCall.toolName, content: "sunny, 21 °C", toolCallId: toolCall.toolCallId })] })]
          return yield* LanguageModel.request(followUp, { parameters: { functionTools: [weather] } })
        }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(final.text).toBe("The result is sunny, 21 °C.")
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(2)
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(0)
    }))

  it.effect("streams go through the batch by default, and straight to the provider with streams: \"direct\"", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const viaBatch = batched(emulator(), {})
      const streamed = yield* driven(
        accumulateStream(LanguageModel.requestStream([ModelRequest.userTextPrompt("stream me")])).pipe(Effect.provide(viaBatch.layer)),
        viaBatch.traffic
      )
      expect(streamed.text).toBe("You said: stream me")
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      const direct = batched(emulator(), { streams: "direct" })
      const straight = yield* driven(
        accumulateStream(LanguageModel.requestStream([ModelRequest.userTextPrompt("stream me")])).pipe(Effect.provide(direct.layer)),
        direct.traffic
      )
      expect(straight.text).toBe("You said: stream me")
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(1)
    }))

  it.effect("progress counts every request to done, and the batches", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), { maxRequests: 5 })
      const last = yield* driven(
        Effect.gen(function* () {
          yield* Effect.forEach(Array.from({ length: 12 }, (_, i) => `p${i}`), (p) => ask(p), { concurrency: "unbounded" })
          return yield* Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot)
        }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(last).toMatchObject({ queued: 0, inFlight: 0, done: 12, failed: 0, direct: 0, liveBatches: 0, batches: 3 })
      expect(last.total).toBe(12)
    }))
})

describe("BatchedLanguageModel: interruption", () => {
  it.effect("a caller interrupted before its window is submitted leaves the window", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), { maxWait: "10 seconds" })
      const texts = yield* driven(
        Effect.gen(function* () {
          const a = yield* Effect.fork(ask("stays a"))
          const b = yield* Effect.fork(ask("goes"))
          const c = yield* Effect.fork(ask("stays c"))
          yield* Effect.yieldNow()
          yield* Fiber.interrupt(b)
          return [(yield* Fiber.join(a)).text, (yield* Fiber.join(c)).text]
        }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(texts).toEqual(["You said: stays a", "You said: stays c"])
      expect(batches().batches().map((b) => b.customIds.length)).toEqual([2])
    }))

  it.effect("a submitted batch is cancelled once every caller waiting on it is interrupted", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1_000 }
      const { layer, traffic } = batched(emulator(), { maxRequests: 2 })
      yield* Effect.scoped(Effect.gen(function* () {
        const context = yield* Layer.build(layer)
        const a = yield* Effect.fork(Effect.provide(ask("a"), context))
        const b = yield* Effect.fork(Effect.provide(ask("b"), context))
        yield* waitFor(() => batches().batches().length === 1 && traffic.inFlight() === 0, "the batch to be created")
        yield* Fiber.interrupt(a)
        yield* Effect.sleep("5 minutes").pipe(Effect.fork, Effect.flatMap((f) => drive(f, traffic)))
        expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0) // b still waits
        yield* Fiber.interrupt(b)
        yield* waitFor(() => callsTo(emulator(), KEYS.cancelBatch) === 1, "the cancel")
      }))
      expect(batches().batches()[0]!.cancelCalls).toBe(1)
    }))

  it.effect("closing the layer's scope cancels the batches it still waits on", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1_000 }
      const { layer, traffic } = batched(emulator(), { maxRequests: 2 })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(layer, scope)
      yield* Effect.forEach(["a", "b", "c", "d"], (t) => Effect.fork(Effect.provide(ask(t), context)))
      yield* waitFor(() => batches().batches().length === 2 && traffic.inFlight() === 0, "two batches")
      expect(callsTo(emulator(), KEYS.cancelBatch)).toBe(0)
      yield* Scope.close(scope, Exit.void)
      expect(batches().batches().map((b) => b.cancelCalls)).toEqual([1, 1])
    }))
})

describe("BatchedLanguageModel: closing with an open window", () => {
  it.effect("closing the layer's scope interrupts the callers of its open window, and submits nothing", () =>
    Effect.gen(function* () {
      const { layer } = batched(emulator(), { maxWait: "10 minutes" })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(layer, scope)
      const callers = yield* Effect.forEach(["a", "b"], (t) => Effect.fork(Effect.provide(ask(t), context)))
      yield* Effect.yieldNow()
      const progress = yield* Effect.provide(Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot), context)
      expect(progress.queued).toBe(2)
      yield* Scope.close(scope, Exit.void)
      for (const caller of callers) expect(Exit.isInterrupted(yield* Fiber.await(caller))).toBe(true)
      expect(emulator().requests.length).toBe(0)
    }))
})

describe("BatchedLanguageModel: fallbackAfter", () => {
  it.effect("sends only the unanswered requests direct, and cancels their batch", () =>
    Effect.gen(function* () {
      const { layer, traffic } = batched(emulator(), { maxRequests: 2, fallbackAfter: "30 minutes" })
      const answers = yield* driven(
        Effect.gen(function* () {
          batches().lifecycle = { statusCalls: 1 }
          const quick = yield* Effect.fork(Effect.all([ask("q1"), ask("q2")], { concurrency: "unbounded" }))
          yield* waitFor(() => batches().batches().length === 1, "the first batch")
          batches().lifecycle = { statusCalls: 1_000 }
          const slow = yield* Effect.fork(Effect.all([ask("s1"), ask("s2")], { concurrency: "unbounded" }))
          return [...(yield* Fiber.join(quick)), ...(yield* Fiber.join(slow))].map((r) => r.text)
        }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(answers).toEqual(["You said: q1", "You said: q2", "You said: s1", "You said: s2"])
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(2)
      const [first, second] = batches().batches()
      expect(first!.cancelCalls).toBe(0)
      yield* waitFor(() => batches().batches()[1]!.cancelCalls === 1, "the slow batch's cancel")
      expect(second!.customIds.length).toBe(2)
    }))
})

describe("BatchedLanguageModel: options", () => {
  it.effect("bad options fail the layer with InvalidInputError before any call", () =>
    Effect.gen(function* () {
      const { layer } = batched(emulator(), { maxRequests: 0 })
      const exit = yield* Effect.exit(Layer.build(layer).pipe(Effect.scoped))
      expect(Exit.isFailure(exit) && (Cause.squash(exit.cause) as { _tag: string })._tag).toBe("InvalidInputError")
      expect(emulator().requests.length).toBe(0)
    }))

  it.effect("an empty message list fails its caller alone", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 1 }
      const { layer, traffic } = batched(emulator(), {})
      const [empty, fine] = yield* driven(
        Effect.all([Effect.exit(LanguageModel.request([])), ask("fine")], { concurrency: "unbounded" }).pipe(Effect.provide(layer)),
        traffic
      )
      expect(Exit.isFailure(empty!) && (Cause.squash(empty.cause) as { _tag: string })._tag).toBe("InvalidInputError")
      expect((fine as ModelResponse).text).toBe("You said: fine")
    }))
})

