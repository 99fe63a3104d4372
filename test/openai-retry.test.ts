/**
 * Retries are ours (the SDK runs with maxRetries 0): a Schedule on the Effect clock that honours
 * retry-after, so these run instantly under TestClock while the HTTP runs for real.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream, TestClock } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { CHAT, failureOf, modelLayer, realSleep, useEmulator, waitUntil } from "./helpers/openai.js"

const emulator = useEmulator()
const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]

/** Waits (real time) until the retry's sleep is registered on the TestClock. */
const retrySleeping = Effect.gen(function* () {
  for (let i = 0; i < 1000; i++) {
    if ((yield* TestClock.sleeps()).length > 0) return
    yield* realSleep(2)
  }
  throw new Error("no retry sleep was scheduled")
})

const attempts = () => emulator().requests.length

describe("OpenAI retries under TestClock", () => {
  it.effect("429 with retry-after 10 s twice, then success: attempts follow the provider's delay", () =>
    Effect.gen(function* () {
      const limited = openAiError(429, "Rate limit reached.", { headers: { "retry-after": "10" } })
      emulator().script(CHAT, limited, limited)
      const fiber = yield* LanguageModel.request(messages).pipe(Effect.provide(modelLayer(emulator())), Effect.fork)

      yield* waitUntil(() => attempts() === 1, 5_000, "the first attempt")
      yield* retrySleeping
      // the first failure happened at t = 0: the retry waits the 10 s the provider asked for
      expect(Chunk.toArray(yield* TestClock.sleeps())).toEqual([10_000])
      yield* TestClock.adjust("9 seconds")
      yield* realSleep(50)
      expect(attempts()).toBe(1)

      yield* TestClock.adjust("2 seconds")
      yield* waitUntil(() => attempts() === 2, 5_000, "the second attempt")
      yield* retrySleeping
      // the second failure happened at t = 10 s or 11 s (the HTTP races TestClock.adjust):
      // either way the next attempt is 10 s after it, and not a moment sooner
      const [wake] = Chunk.toArray(yield* TestClock.sleeps())
      expect([20_000, 21_000]).toContain(wake)
      yield* TestClock.adjust(wake! - 1_000 - (yield* TestClock.currentTimeMillis))
      yield* realSleep(50)
      expect(attempts()).toBe(2)

      yield* TestClock.adjust("2 seconds")
      const response = yield* Fiber.join(fiber)
      expect(attempts()).toBe(3)
      expect(response.text).toBe("The capital of France is Paris.")
    }))

  it.effect("500 is retried", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(500, "The server had an error."))
      const fiber = yield* LanguageModel.request(messages).pipe(Effect.provide(modelLayer(emulator())), Effect.fork)
      yield* waitUntil(() => attempts() === 1, 5_000, "the first attempt")
      yield* retrySleeping
      yield* TestClock.adjust("5 seconds")
      const response = yield* Fiber.join(fiber)
      expect(attempts()).toBe(2)
      expect(response.finishReason).toBe("stop")
    }))

  it.effect("a stream that fails to open with 503 is retried", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(503, "Overloaded.", { headers: { "retry-after": "1" } }))
      const fiber = yield* LanguageModel.requestStream(messages).pipe(Stream.runCollect, Effect.provide(modelLayer(emulator())), Effect.fork)
      yield* waitUntil(() => attempts() === 1, 5_000, "the first attempt")
      yield* retrySleeping
      yield* TestClock.adjust("5 seconds")
      const events = yield* Fiber.join(fiber)
      expect(attempts()).toBe(2)
      expect(Chunk.last(events).pipe((o) => o._tag === "Some" && o.value._tag)).toBe("ResponseMetadataEvent")
    }))

  it.effect("400 is not retried", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(400, "Invalid value."))
      const error = failureOf(yield* LanguageModel.request(messages).pipe(Effect.provide(modelLayer(emulator())), Effect.exit))
      expect(error._tag).toBe("InvalidRequestError")
      expect(attempts()).toBe(1)
    }))

  it.effect("retry: false on the call turns retries off", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(429, "Rate limit reached."), openAiError(429, "Rate limit reached."))
      const error = failureOf(yield* LanguageModel.request(messages, { retry: false }).pipe(Effect.provide(modelLayer(emulator())), Effect.exit))
      expect(error._tag).toBe("RateLimitError")
      expect(attempts()).toBe(1)
    }))

  it.effect("the model's default policy applies, and a call's own policy overrides it", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(500, "a"), openAiError(500, "b"))
      const noRetries = modelLayer(emulator(), { retry: false })
      const error = failureOf(yield* LanguageModel.request(messages).pipe(Effect.provide(noRetries), Effect.exit))
      expect(error._tag).toBe("ProviderUnavailableError")
      expect(attempts()).toBe(1)

      const fiber = yield* LanguageModel.request(messages, { retry: Retry.policy({ times: 1, base: "1 second", jitter: false }) }).pipe(
        Effect.provide(noRetries),
        Effect.fork
      )
      yield* waitUntil(() => attempts() === 2, 5_000, "the second call's first attempt")
      yield* retrySleeping
      yield* TestClock.adjust("1 second")
      const response = yield* Fiber.join(fiber)
      expect(attempts()).toBe(3)
      expect(response.text).toContain("Paris")
    }))
})
