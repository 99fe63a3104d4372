/**
 * Interruption reaches the wire: interrupting a request, a stream being opened, or a stream
 * mid-body (or simply stopping consumption) aborts the HTTP request, and the emulator sees the
 * connection close before it finished answering.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import { modelLayer, useEmulator, waitUntil } from "./helpers/openai.js"

const emulator = useEmulator()
const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]

describe("OpenAI interruption", () => {
  it.live("interrupting a request aborts the HTTP request", () =>
    Effect.gen(function* () {
      const fiber = yield* LanguageModel.request(messages, { settings: { extraHeaders: { "x-emulator-delay-ms": "10000" } } }).pipe(
        Effect.provide(modelLayer(emulator())),
        Effect.fork
      )
      yield* waitUntil(() => emulator().requests.length === 1, 5_000, "the request to arrive")
      const aborted = Effect.promise(() => emulator().waitForAbort(3_000))
      const [abortedRequest] = yield* Effect.all([aborted, Fiber.interrupt(fiber)], { concurrency: "unbounded" })
      expect(abortedRequest.path).toBe("/v1/chat/completions")
      expect(emulator().aborted).toHaveLength(1)
    }))

  it.live("interrupting a request that hangs (no answer at all) aborts it", () =>
    Effect.gen(function* () {
      emulator().script("POST /v1/chat/completions", { fault: "hang" })
      const fiber = yield* LanguageModel.request(messages).pipe(Effect.provide(modelLayer(emulator())), Effect.fork)
      yield* waitUntil(() => emulator().requests.length === 1, 5_000, "the request to arrive")
      const [abortedRequest] = yield* Effect.all([Effect.promise(() => emulator().waitForAbort(3_000)), Fiber.interrupt(fiber)], { concurrency: "unbounded" })
      expect(abortedRequest.body).toMatchObject({ model: "gpt-4o-mini" })
    }))

  it.live("interrupting a stream before its headers arrive aborts it", () =>
    Effect.gen(function* () {
      const fiber = yield* LanguageModel.requestStream(messages, { settings: { extraHeaders: { "x-emulator-delay-ms": "10000" } } }).pipe(
        Stream.runDrain,
        Effect.provide(modelLayer(emulator())),
        Effect.fork
      )
      yield* waitUntil(() => emulator().requests.length === 1, 5_000, "the request to arrive")
      const [abortedRequest] = yield* Effect.all([Effect.promise(() => emulator().waitForAbort(3_000)), Fiber.interrupt(fiber)], { concurrency: "unbounded" })
      expect(abortedRequest.body).toMatchObject({ stream: true })
    }))

  it.live("interrupting a stream mid-body aborts the HTTP response", () =>
    Effect.gen(function* () {
      let received = 0
      const fiber = yield* LanguageModel.requestStream(messages, {
        settings: { extraHeaders: { "x-emulator-deltas": "100", "x-emulator-chunk-delay-ms": "30" } }
      }).pipe(
        Stream.runForEach(() => Effect.sync(() => void received++)),
        Effect.provide(modelLayer(emulator())),
        Effect.fork
      )
      yield* waitUntil(() => received >= 3, 5_000, "the first events")
      const [abortedRequest] = yield* Effect.all([Effect.promise(() => emulator().waitForAbort(3_000)), Fiber.interrupt(fiber)], { concurrency: "unbounded" })
      expect(abortedRequest.body).toMatchObject({ stream: true })
      // far fewer than the 100 deltas were consumed: the answer was cut off, not drained
      expect(received).toBeLessThan(50)
    }))

  it.live("taking only the first events of a stream closes it and aborts the HTTP response", () =>
    Effect.gen(function* () {
      const aborted = emulator().waitForAbort(3_000)
      const events = yield* LanguageModel.requestStream(messages, {
        settings: { extraHeaders: { "x-emulator-deltas": "100", "x-emulator-chunk-delay-ms": "30" } }
      }).pipe(Stream.take(3), Stream.runCollect, Effect.provide(modelLayer(emulator())))
      expect(Chunk.size(events)).toBe(3)
      const abortedRequest = yield* Effect.promise(() => aborted)
      expect(abortedRequest.body).toMatchObject({ stream: true })
    }))
})
