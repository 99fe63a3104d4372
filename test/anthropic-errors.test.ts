/**
 * The Anthropic provider when things go wrong: error mapping, redaction, retries under the
 * TestClock, and interruption reaching the HTTP connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Either, Fiber, Schema, Stream, TestClock } from "effect"
import { AiError } from "../src/AiError.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse, TextPart, ToolCallPart } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import { anthropicError, sseFrame } from "../src/testing/emulator/anthropic.js"
import type { Scripted } from "../src/testing/Emulator.js"
import { modelLayer, type ModelLayerOptions, useEmulator, waitUntil } from "./helpers/anthropic.js"

const emulator = useEmulator()
const route = "POST /v1/messages" as const
const prompt = [ModelRequest.userTextPrompt("What is the capital of France?")]

const failure = (options?: ModelLayerOptions & { readonly request?: LanguageModel.RequestOptions }) =>
  Effect.flip(LanguageModel.request(prompt, options?.request).pipe(Effect.provide(modelLayer(emulator(), options))))

const streamFailure = (options?: ModelLayerOptions) =>
  LanguageModel.requestStream(prompt).pipe(
    Stream.either,
    Stream.runCollect,
    Effect.map(Chunk.toArray),
    Effect.provide(modelLayer(emulator(), options))
  )

const withHeaders = (scripted: Scripted, headers: Record<string, string>): Scripted => ({ ...scripted, headers: { ...scripted.headers, ...headers } })

describe("Anthropic error mapping", () => {
  const statusCases: ReadonlyArray<readonly [number, string, string, string]> = [
    [403, "permission_error", "PermissionDeniedError", "denied access (403)"],
    [404, "not_found_error", "NotFoundError", "Check the model name"],
    [400, "invalid_request_error", "InvalidRequestError", "rejected the request as invalid (400)"],
    [413, "request_too_large", "InvalidRequestError", "rejected the request as invalid (413)"],
    [422, "invalid_request_error", "InvalidRequestError", "rejected the request as invalid (422)"],
    [500, "api_error", "ProviderUnavailableError", "unavailable (500)"],
    [529, "overloaded_error", "ProviderUnavailableError", "unavailable (529)"]
  ]
  for (const [status, type, tag, says] of statusCases) {
    it.effect(`${status} ${type} → ${tag}, keeping the provider's words and request id`, () =>
      Effect.gen(function*() {
        emulator().script(route, withHeaders(anthropicError(status, type, `the emulator says ${type}`), { "request-id": `req_${status}` }))
        const error = yield* failure()
        expect(error._tag).toBe(tag)
        expect(error.message).toContain(says)
        expect(error.message).toContain(`the emulator says ${type}`)
        expect(error.message).toContain(`request id req_${status}`)
        if ("status" in error) expect(error.status).toBe(status)
      }))
  }

  it.effect("401 → AuthenticationError that says to check ANTHROPIC_API_KEY", () =>
    Effect.gen(function*() {
      const error = yield* failure({ apiKey: "an-invalid-key-123456" })
      expect(error._tag).toBe("AuthenticationError")
      expect(error.message).toContain("ANTHROPIC_API_KEY")
      expect(error.message).toMatch(/request id req_emu_/)
    }))

  it.effect("429 → RateLimitError with retry-after as a Duration", () =>
    Effect.gen(function*() {
      emulator().script(route, anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "7" }))
      const error = yield* failure()
      expect(error._tag).toBe("RateLimitError")
      if (error._tag !== "RateLimitError") return
      expect(error.retryAfter).toEqual(Duration.seconds(7))
      expect(error.message).toContain("wait 7s")
      expect(error.message).toContain("lower concurrency")
    }))

  it.effect("a 400 from the API's own validation (a tool call without its result) is an InvalidRequestError", () =>
    Effect.gen(function*() {
      const history = [
        ...prompt,
        new ModelResponse({ parts: [new ToolCallPart({ toolName: "x", args: {}, toolCallId: "toolu_lonely" })], modelName: "m", providerName: "anthropic" }),
        ModelRequest.userTextPrompt("and?")
      ]
      const error = yield* Effect.flip(LanguageModel.request(history).pipe(Effect.provide(modelLayer(emulator()))))
      expect(error._tag).toBe("InvalidRequestError")
      expect(error.message).toContain("toolu_lonely")
    }))

  it.effect("a timeout → RequestTimeoutError that suggests raising `timeout`", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "hang" })
      const error = yield* failure({ request: { settings: { timeout: 0.2 } } })
      expect(error._tag).toBe("RequestTimeoutError")
      expect(error.message).toContain("timeout")
    }))

  it.effect("a connection reset → ConnectionError", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "reset" })
      const error = yield* failure()
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("Check the network and the base URL")
    }))

  it.effect("nobody listening → ConnectionError", () =>
    Effect.gen(function*() {
      const error = yield* failure({ baseURL: "http://127.0.0.1:9" })
      expect(error._tag).toBe("ConnectionError")
    }))

  it.effect("a body that is not JSON → ResponseDecodeError", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "malformed-json" })
      const error = yield* failure()
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error.message).toContain("Could not decode anthropic's response")
    }))

  it.effect("a message missing a field → ResponseDecodeError naming its path", () =>
    Effect.gen(function*() {
      emulator().script(route, {
        json: { id: "msg_1", type: "message", model: "m", content: [{ type: "text", text: "ok" }, { type: "tool_use", id: "t", input: {} }], usage: { input_tokens: 1, output_tokens: 1 } },
        headers: { "request-id": "req_decode" }
      })
      const error = yield* failure()
      expect(error._tag).toBe("ResponseDecodeError")
      if (error._tag !== "ResponseDecodeError") return
      expect(error.path).toBe("content.1.name")
      expect(error.requestId).toBe("req_decode")
    }))

  it.effect("a 429 when a stream opens → RateLimitError from the stream", () =>
    Effect.gen(function*() {
      emulator().script(route, anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "3" }))
      const results = yield* streamFailure()
      expect(results).toHaveLength(1)
      const error = Either.getLeft(results[0]!)
      expect(error._tag === "Some" && error.value._tag).toBe("RateLimitError")
    }))

  const start = sseFrame("message_start", {
    type: "message_start",
    message: { id: "msg_x", type: "message", role: "assistant", model: "m", content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } }
  })
  const textStart = sseFrame("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })
  const delta = (text: string) => sseFrame("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })

  it.effect("an error event mid-stream (overloaded) → ProviderUnavailableError 529 after the events so far", () =>
    Effect.gen(function*() {
      emulator().script(route, {
        sse: [start, textStart, delta("Hel"), "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"],
        headers: { "request-id": "req_sse" }
      })
      const results = yield* streamFailure()
      const last = results[results.length - 1]!
      expect(results.slice(0, -1).every(Either.isRight)).toBe(true)
      expect(results.length).toBeGreaterThan(1) // the text start was emitted before the error
      expect(Either.isLeft(last)).toBe(true)
      if (Either.isRight(last)) return
      expect(last.left._tag).toBe("ProviderUnavailableError")
      expect(last.left.message).toContain("unavailable (529)")
      expect(last.left.message).toContain("Overloaded")
      expect(last.left.message).toContain("req_sse")
    }))

  it.effect("a malformed SSE data line → ResponseDecodeError", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: [start, textStart, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\n\n"] })
      const results = yield* streamFailure()
      const last = results[results.length - 1]!
      expect(Either.isLeft(last) && last.left._tag).toBe("ResponseDecodeError")
    }))

  it.effect("an SSE event of the wrong shape → ResponseDecodeError naming the path", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: [start, textStart, sseFrame("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 42 } })] })
      const results = yield* streamFailure()
      const last = results[results.length - 1]!
      expect(Either.isLeft(last) && last.left._tag === "ResponseDecodeError" && last.left.path).toBe("content_block_delta.delta.text")
    }))

  it.effect("a stream cut off mid-body, or ended before message_stop → ConnectionError", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: [start, textStart, delta("a"), delta("b"), delta("c"), delta("d")], fault: "truncate" })
      const cut = yield* streamFailure()
      const last = cut[cut.length - 1]!
      expect(Either.isLeft(last) && last.left._tag).toBe("ConnectionError")
      emulator().script(route, { sse: [start, textStart, delta("a")] })
      const ended = yield* streamFailure()
      const end = ended[ended.length - 1]!
      expect(Either.isLeft(end) && end.left.message).toContain("ended before message_stop")
    }))
})

describe("Anthropic redaction", () => {
  const key = "my-invalid-key-93f1c2d7e8"

  it.effect("a 401 that echoes the key leaves it out of the message, the JSON and String(error)", () =>
    Effect.gen(function*() {
      // the emulator really does echo it: without redaction the test below would fail
      const raw = yield* Effect.promise(() =>
        fetch(`${emulator().anthropicBaseURL}/v1/messages`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: "{}" }).then((r) => r.text())
      )
      expect(raw).toContain(key)

      const error = yield* failure({ apiKey: key })
      expect(error._tag).toBe("AuthenticationError")
      expect(error.message).toContain("[redacted]")
      const renderings = [
        error.message,
        String(error),
        JSON.stringify(error),
        JSON.stringify(Schema.encodeSync(AiError)(error)),
        Cause.pretty(Cause.fail(error)),
        JSON.stringify(Object.getOwnPropertyDescriptors(error))
      ]
      for (const text of renderings) expect(text).not.toContain(key)
      expect(error).not.toHaveProperty("cause")
    }))

  it.effect("a key echoed in a mid-stream error event is redacted too", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: [`event: error\ndata: {"type":"error","error":{"type":"api_error","message":"bad key ${key}"}}\n\n`] })
      const results = yield* streamFailure({ apiKey: key })
      const last = results[results.length - 1]!
      expect(Either.isLeft(last)).toBe(true)
      if (Either.isRight(last)) return
      expect(JSON.stringify(last.left) + String(last.left) + last.left.message).not.toContain(key)
    }))
})

describe("Anthropic retries", () => {
  const rateLimited = anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "10" })
  const sleeping = Effect.map(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) > 0)
  const untilSleeping = Effect.gen(function*() {
    for (let i = 0; i < 1000 && !(yield* sleeping); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
    expect(yield* sleeping).toBe(true)
  })

  it.effect("waits retry-after (10 s) twice on the TestClock, then succeeds", () =>
    Effect.gen(function*() {
      emulator().script(route, rateLimited, rateLimited)
      const fiber = yield* Effect.fork(LanguageModel.request(prompt).pipe(Effect.provide(modelLayer(emulator(), { retry: Retry.defaultPolicy }))))
      yield* waitUntil(() => emulator().requests.length === 1)
      yield* untilSleeping
      yield* TestClock.adjust("9 seconds")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      expect(emulator().requests).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      yield* waitUntil(() => emulator().requests.length === 2)
      yield* untilSleeping
      expect(emulator().requests).toHaveLength(2)
      yield* TestClock.adjust("10 seconds")
      const response = yield* Fiber.join(fiber)
      expect(response.parts).toEqual([new TextPart({ content: "The capital of France is Paris." })])
      expect(emulator().requests).toHaveLength(3)
    }))

  it.effect("retry: false on the call makes one attempt and fails with the RateLimitError", () =>
    Effect.gen(function*() {
      emulator().script(route, rateLimited, rateLimited)
      const error = yield* Effect.flip(LanguageModel.request(prompt, { retry: false }).pipe(Effect.provide(modelLayer(emulator(), { retry: Retry.defaultPolicy }))))
      expect(error._tag).toBe("RateLimitError")
      expect(emulator().requests).toHaveLength(1)
    }))

  it.effect("a 400 is not retried", () =>
    Effect.gen(function*() {
      emulator().script(route, anthropicError(400, "invalid_request_error", "bad"))
      const error = yield* Effect.flip(LanguageModel.request(prompt).pipe(Effect.provide(modelLayer(emulator(), { retry: Retry.defaultPolicy }))))
      expect(error._tag).toBe("InvalidRequestError")
      expect(emulator().requests).toHaveLength(1)
    }))
})

describe("Anthropic interruption", () => {
  it.effect("interrupting a request aborts its HTTP request", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "hang" })
      const fiber = yield* Effect.fork(LanguageModel.request(prompt).pipe(Effect.provide(modelLayer(emulator()))))
      yield* waitUntil(() => emulator().requests.length === 1)
      const aborted = emulator().waitForAbort(2_000)
      yield* Fiber.interrupt(fiber)
      const request = yield* Effect.promise(() => aborted)
      expect(request.path).toBe("/v1/messages")
    }))

  it.effect("interrupting the long-request fallback aborts its stream", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "hang" })
      const fiber = yield* Effect.fork(LanguageModel.request(prompt, { settings: { maxTokens: 64_000 } }).pipe(Effect.provide(modelLayer(emulator()))))
      yield* waitUntil(() => emulator().requests.length === 1)
      const aborted = emulator().waitForAbort(2_000)
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => aborted)
      expect((emulator().requests[0]?.body as { stream?: boolean }).stream).toBe(true)
    }))

  const slowFrames = (n: number) => [
    sseFrame("message_start", { type: "message_start", message: { id: "msg_slow", type: "message", role: "assistant", model: "m", content: [], usage: { input_tokens: 1, output_tokens: 1 } } }),
    sseFrame("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ...Array.from({ length: n }, (_, i) => sseFrame("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `w${i} ` } }))
  ]

  it.effect("stopping consumption of a stream aborts the HTTP response", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: slowFrames(200), chunkDelayMs: 20 })
      const aborted = emulator().waitForAbort(2_000)
      const events = yield* LanguageModel.requestStream(prompt).pipe(Stream.take(3), Stream.runCollect, Effect.provide(modelLayer(emulator())))
      expect(Chunk.size(events)).toBe(3)
      yield* Effect.promise(() => aborted)
      expect(emulator().aborted).toHaveLength(1)
    }))

  it.effect("interrupting a stream that waits on the network aborts it at once", () =>
    Effect.gen(function*() {
      // the second frame comes 20 s later: interruption must not wait for it
      emulator().script(route, { sse: slowFrames(3), chunkDelayMs: 20_000 })
      const fiber = yield* Effect.fork(LanguageModel.requestStream(prompt).pipe(Stream.runCollect, Effect.provide(modelLayer(emulator()))))
      yield* waitUntil(() => emulator().requests.length === 1)
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      const aborted = emulator().waitForAbort(2_000)
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      expect(Date.now() - started).toBeLessThan(1_000)
      yield* Effect.promise(() => aborted)
    }))

  it.effect("interrupting a stream before its headers arrive aborts the request", () =>
    Effect.gen(function*() {
      emulator().script(route, { fault: "hang" })
      const fiber = yield* Effect.fork(LanguageModel.requestStream(prompt).pipe(Stream.runDrain, Effect.provide(modelLayer(emulator()))))
      yield* waitUntil(() => emulator().requests.length === 1)
      const aborted = emulator().waitForAbort(2_000)
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => aborted)
    }))
})
