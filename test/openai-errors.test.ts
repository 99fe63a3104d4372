/**
 * Error mapping (status codes, timeouts, resets, bodies that are not JSON, broken streams), the
 * redaction of a key the provider echoes, and the warning for settings the codec cannot send.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Exit, Stream } from "effect"
import OpenAI from "openai"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import type { Scripted } from "../src/testing/Emulator.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { CHAT, captureLogs, encodeError, failureOf, modelLayer, useEmulator, wireBody } from "./helpers/openai.js"

const emulator = useEmulator()
const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]

const requestError = (options?: Parameters<typeof LanguageModel.request>[1], apiKey?: string) =>
  LanguageModel.request(messages, { retry: false, ...options }).pipe(
    Effect.provide(modelLayer(emulator(), apiKey !== undefined ? { apiKey } : undefined)),
    Effect.exit,
    Effect.map(failureOf)
  )

const streamError = (options?: Parameters<typeof LanguageModel.requestStream>[1]) =>
  LanguageModel.requestStream(messages, { retry: false, ...options }).pipe(
    Stream.runCollect,
    Effect.provide(modelLayer(emulator())),
    Effect.exit,
    Effect.map(failureOf)
  )

const sse = (...chunks: ReadonlyArray<unknown>): Array<string> => chunks.map((c) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}\n\n`)
const chunk = (delta: unknown, finish: string | null = null) => ({
  id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }]
})

describe("OpenAI errors by status", () => {
  const cases: ReadonlyArray<readonly [string, Scripted, string, string]> = [
    ["403", openAiError(403, "You are not allowed to sample from this model"), "PermissionDeniedError", "may use this model"],
    ["404", openAiError(404, "The model `gpt-9` does not exist or you do not have access to it.", { code: "model_not_found" }), "NotFoundError", "Check the model name"],
    ["400", openAiError(400, "Invalid value for 'temperature'.", { param: "temperature" }), "InvalidRequestError", "Fix the request"],
    ["422", openAiError(422, "Unprocessable."), "InvalidRequestError", "(422)"],
    ["500", openAiError(500, "The server had an error while processing your request."), "ProviderUnavailableError", "retry later"],
    ["503", openAiError(503, "The engine is currently overloaded."), "ProviderUnavailableError", "(503)"],
    ["429 insufficient_quota", openAiError(429, "You exceeded your current quota, please check your plan and billing details.", { code: "insufficient_quota" }), "RateLimitError", "billing"]
  ]
  for (const [name, scripted, tag, advice] of cases) {
    it.effect(`${name} → ${tag}`, () =>
      Effect.gen(function* () {
        emulator().script(CHAT, scripted)
        const error = yield* requestError()
        expect(error._tag).toBe(tag)
        expect(error.message).toContain(advice)
        // the provider's words and request id are kept for the person reading the error
        expect(error.message).toContain((scripted.json as { error: { message: string } }).error.message.slice(0, 20))
        expect("requestId" in error && error.requestId).toBe(`req_emu_error_${name.slice(0, 3)}`)
        if (error._tag === "ProviderUnavailableError" || (error._tag === "InvalidRequestError" && name === "422")) {
          expect(error.status).toBe(Number(name))
        }
      }))
  }

  it.effect("401 → AuthenticationError that says to check the key", () =>
    Effect.gen(function* () {
      const error = yield* requestError(undefined, "bad-invalid-key")
      expect(error._tag).toBe("AuthenticationError")
      expect(error.message).toContain("OPENAI_API_KEY")
      expect(error.message).toContain("Incorrect API key provided")
    }))

  it.effect("429 keeps retry-after (seconds) and retry-after-ms", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(429, "Rate limit reached for gpt-4o-mini.", { headers: { "retry-after": "7" } }))
      const seconds = yield* requestError()
      expect(seconds._tag).toBe("RateLimitError")
      expect(seconds._tag === "RateLimitError" && seconds.retryAfter !== undefined && Duration.toMillis(seconds.retryAfter)).toBe(7_000)
      expect(seconds.message).toContain("7s")
      emulator().script(CHAT, openAiError(429, "Rate limit reached.", { headers: { "retry-after-ms": "1500", "retry-after": "2" } }))
      const millis = yield* requestError()
      expect(millis._tag === "RateLimitError" && millis.retryAfter !== undefined && Duration.toMillis(millis.retryAfter)).toBe(1_500)
    }))

  it.effect("503 keeps retry-after too", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(503, "Overloaded.", { headers: { "retry-after": "3" } }))
      const error = yield* requestError()
      expect(error._tag === "ProviderUnavailableError" && error.retryAfter !== undefined && Duration.toMillis(error.retryAfter)).toBe(3_000)
    }))

  it.effect("a status error on a stream is mapped the same way", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(429, "Slow down.", { headers: { "retry-after": "4" } }))
      const error = yield* streamError()
      expect(error._tag).toBe("RateLimitError")
    }))
})

describe("OpenAI transport errors", () => {
  it.live("a slow answer past settings.timeout → RequestTimeoutError", () =>
    Effect.gen(function* () {
      const started = Date.now()
      const error = yield* requestError({ settings: { timeout: 0.3, extraHeaders: { "x-emulator-delay-ms": "5000" } } })
      expect(error._tag).toBe("RequestTimeoutError")
      expect(error.message).toContain("Raise the `timeout` setting")
      expect(Date.now() - started).toBeLessThan(3_000)
    }))

  it.live("a stream whose headers come too late → RequestTimeoutError", () =>
    Effect.gen(function* () {
      const error = yield* streamError({ settings: { timeout: 0.3, extraHeaders: { "x-emulator-delay-ms": "5000" } } })
      expect(error._tag).toBe("RequestTimeoutError")
    }))

  it.live("the client's default timeout (seconds) applies too", () =>
    Effect.gen(function* () {
      const error = yield* LanguageModel.request(messages, { retry: false, settings: { extraHeaders: { "x-emulator-delay-ms": "5000" } } }).pipe(
        Effect.provide(modelLayer(emulator(), { timeout: 0.3 })),
        Effect.exit,
        Effect.map(failureOf)
      )
      expect(error._tag).toBe("RequestTimeoutError")
    }))

  it.effect("a connection reset → ConnectionError", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { fault: "reset" })
      const error = yield* requestError()
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("Check the network and the base URL")
    }))

  it.effect("nothing listening → ConnectionError", () =>
    Effect.gen(function* () {
      const error = yield* LanguageModel.request(messages, { retry: false }).pipe(
        Effect.provide(modelLayer({ ...emulator(), openaiBaseURL: "http://127.0.0.1:9/v1" })),
        Effect.exit,
        Effect.map(failureOf)
      )
      expect(error._tag).toBe("ConnectionError")
    }))

  it.effect("a 200 body that is not JSON → ResponseDecodeError at body", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { fault: "malformed-json" })
      const error = yield* requestError()
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error._tag === "ResponseDecodeError" && error.path).toBe("body")
    }))

  it.effect("a 200 text body (not JSON at all) → ResponseDecodeError", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { text: "<html>gateway says hi</html>" })
      const error = yield* requestError()
      expect(error._tag).toBe("ResponseDecodeError")
    }))

  it.effect("a JSON body without choices → ResponseDecodeError naming the path", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { json: { id: "chatcmpl-1", object: "chat.completion", model: "gpt-4o-mini", created: 1 } })
      const missing = yield* requestError()
      expect(missing._tag === "ResponseDecodeError" && missing.path).toBe("choices")
      emulator().script(CHAT, { json: { id: "chatcmpl-1", model: "m", choices: [] } })
      const empty = yield* requestError()
      expect(empty._tag === "ResponseDecodeError" && empty.path).toBe("choices")
      emulator().script(CHAT, { json: { id: "chatcmpl-1", model: "m", choices: [{ finish_reason: "stop" }] } })
      const noMessage = yield* requestError()
      expect(noMessage._tag === "ResponseDecodeError" && noMessage.path).toBe("choices[0].message")
      emulator().script(CHAT, { json: { id: "c", model: "m", choices: [{ message: { content: "x" } }], usage: { prompt_tokens: "many", completion_tokens: 1 } } })
      const badUsage = yield* requestError()
      expect(badUsage._tag === "ResponseDecodeError" && badUsage.path).toBe("usage.prompt_tokens")
      expect(badUsage.message).toContain("usage.prompt_tokens")
    }))

  it.effect("a decode error of a request carries the x-request-id (read from the parsed body's _request_id)", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { headers: { "x-request-id": "req_decode_1" }, json: { id: "c", model: "m", choices: [{ finish_reason: "stop" }] } })
      const error = yield* requestError()
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error._tag === "ResponseDecodeError" && error.requestId).toBe("req_decode_1")
    }))

  it.effect("malformed SSE data → ResponseDecodeError at stream", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { sse: [...sse(chunk({ role: "assistant", content: "" }), chunk({ content: "Hi" })), "data: {\"id\": \"chatcmpl-x\", broken\n\n"] })
      const error = yield* streamError()
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error._tag === "ResponseDecodeError" && error.path).toBe("stream")
    }))

  it.effect("an SSE chunk of the wrong shape → ResponseDecodeError naming the field", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { sse: sse(chunk({ content: 42 }), "[DONE]") })
      const error = yield* streamError()
      expect(error._tag === "ResponseDecodeError" && error.path).toBe("stream chunk.choices[0].delta.content")
    }))

  it.effect("a stream cut off mid-body → ConnectionError", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, {
        fault: "truncate",
        sse: sse(chunk({ role: "assistant", content: "" }), chunk({ content: "The" }), chunk({ content: " end" }), chunk({}, "stop"), "[DONE]")
      })
      const error = yield* streamError()
      expect(error._tag).toBe("ConnectionError")
    }))

  it.effect("a stream that ends cleanly without a finish reason → ConnectionError", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { sse: sse(chunk({ role: "assistant", content: "" }), chunk({ content: "The" })) })
      const error = yield* streamError()
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("finish")
    }))

  it.effect("an error event inside a stream → ProviderUnavailableError with the provider's words", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, { sse: sse(chunk({ content: "The" }), { error: { message: "The server had an error processing your request.", type: "server_error" } }) })
      const error = yield* streamError()
      expect(error._tag).toBe("ProviderUnavailableError")
      expect(error.message).toContain("The server had an error")
    }))
})

describe("OpenAI redaction", () => {
  const key = "invalid-Zx81Qp0Lm3Kd9Tq"

  it.effect("the raw SDK error carries the echoed key (so this test can fail)", () =>
    Effect.gen(function* () {
      const sdk = new OpenAI({ apiKey: key, baseURL: emulator().openaiBaseURL, maxRetries: 0 })
      const raw = yield* Effect.promise(() => sdk.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).then(() => undefined, (e: unknown) => e))
      expect(raw).toBeInstanceOf(OpenAI.AuthenticationError)
      expect(String(raw)).toContain(key)
    }))

  it.effect("a 401 echoing the key: the key is in no message, JSON encoding, String or Cause", () =>
    Effect.gen(function* () {
      const exit = yield* LanguageModel.request(messages, { retry: false }).pipe(Effect.provide(modelLayer(emulator(), { apiKey: key })), Effect.exit)
      expect(emulator().requests[0]!.apiKey).toBe(key)
      const error = failureOf(exit)
      expect(error._tag).toBe("AuthenticationError")
      expect(error.message).toContain("Incorrect API key provided: [redacted]")
      for (const text of [error.message, encodeError(error), JSON.stringify(error), String(error), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""]) {
        expect(text).not.toContain(key)
        expect(text).not.toContain("Zx81Qp0Lm3")
      }
    }))

  it.effect("a stream's 401 is redacted too", () =>
    Effect.gen(function* () {
      const exit = yield* LanguageModel.requestStream(messages, { retry: false }).pipe(Stream.runCollect, Effect.map(Chunk.size), Effect.provide(modelLayer(emulator(), { apiKey: key })), Effect.exit)
      const error = failureOf(exit)
      expect(error._tag).toBe("AuthenticationError")
      expect(encodeError(error) + String(error) + error.message).not.toContain(key)
    }))
})

describe("OpenAI settings the codec cannot send", () => {
  it.effect("toolChoice and parallelToolCalls without tools: a warning names each, the body leaves them out", () =>
    Effect.gen(function* () {
      const { result, logs } = yield* captureLogs(
        LanguageModel.request(messages, { settings: { toolChoice: "required", parallelToolCalls: true } }).pipe(Effect.provide(modelLayer(emulator())))
      )
      // the emulator, like the real API, answers 400 when these are sent without tools
      expect(result._tag).toBe("Success")
      const body = wireBody(emulator())
      expect(body.tool_choice).toBeUndefined()
      expect(body.parallel_tool_calls).toBeUndefined()
      const warnings = logs.filter((l) => l.startsWith("WARN"))
      expect(warnings.some((l) => l.includes("toolChoice"))).toBe(true)
      expect(warnings.some((l) => l.includes("parallelToolCalls"))).toBe(true)
    }))

  it.effect("the emulator rejects tool_choice without tools, as the real API does", () =>
    Effect.gen(function* () {
      const error = yield* requestError({ settings: { extraBody: { tool_choice: "required" } } })
      expect(error._tag).toBe("InvalidRequestError")
      expect(error.message).toContain("tool_choice")
    }))
})
