/**
 * `chat {model}` spans of requests and streams: the OpenAI provider against the emulator, traced
 * through @effect/opentelemetry into an in-memory exporter. Names, kind, GenAI attributes,
 * parent/child links, errors, retries, `instrument: false`, and content capture (off unless asked).
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanStatusCode } from "@opentelemetry/api"
import { Chunk, Effect, Exit, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import * as Telemetry from "../src/Telemetry.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import { CHAT, modelLayer, useEmulator } from "./helpers/openai.js"
import { contentAttributes, isChildOf, Kind, only, withSpans } from "./telemetry-helpers.js"

const emulator = useEmulator()
const france = [ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Answer briefly." })]
const settings = { maxTokens: 100, temperature: 0.2, topP: 0.9, seed: 7, stopSequences: ["\n\n", "END"], presencePenalty: 0.1, frequencyPenalty: 0.3 }

const request = (options?: LanguageModel.RequestOptions) =>
  LanguageModel.request(france, options).pipe(Effect.provide(modelLayer(emulator())))
const stream = (options?: LanguageModel.RequestOptions) =>
  LanguageModel.requestStream(france, options).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(modelLayer(emulator())))

describe("chat span of a request", () => {
  it.effect("one client span `chat {model}` with the request and response attributes, child of the caller's span", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(request({ settings }).pipe(Effect.withSpan("app")))
      const response = yield* exit
      const chat = only(spans, "chat gpt-4o-mini")
      expect(spans.map((s) => s.name).sort()).toEqual(["app", "chat gpt-4o-mini"])
      expect(chat.kind).toBe(Kind.client)
      expect(isChildOf(chat, only(spans, "app"))).toBe(true)
      expect(chat.status.code).toBe(SpanStatusCode.OK)
      expect(chat.attributes).toEqual({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        // string arrays, as the conventions type them (not JSON text)
        "gen_ai.request.stop_sequences": ["\n\n", "END"],
        "gen_ai.request.presence_penalty": 0.1,
        "gen_ai.request.frequency_penalty": 0.3,
        "gen_ai.response.id": response.providerResponseId,
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": response.usage.inputTokens,
        "gen_ai.usage.output_tokens": 8
      })
      expect(response.providerResponseId).toMatch(/^chatcmpl-/)
    }))

  it.effect("a failed request: error.type is the error's tag, status ERROR, no response attributes", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(401, "Incorrect API key provided."))
      const { exit, spans } = yield* withSpans(request())
      expect(Exit.isFailure(exit)).toBe(true)
      const chat = only(spans, "chat gpt-4o-mini")
      expect(chat.attributes["error.type"]).toBe("AuthenticationError")
      expect(chat.status.code).toBe(SpanStatusCode.ERROR)
      expect(chat.attributes["gen_ai.response.id"]).toBeUndefined()
      expect(chat.attributes["gen_ai.usage.input_tokens"]).toBeUndefined()
    }))

  it.live("retries stay inside one span: a `retry` event per retry, retry.count, no span per attempt", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(500, "The server had an error."), openAiError(503, "Overloaded."))
      const retry = Retry.policy({ times: 3, base: "2 millis", jitter: false })
      const { exit, spans } = yield* withSpans(request({ retry }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(emulator().requests.length).toBe(3)
      expect(spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"])
      const chat = spans[0]!
      expect(chat.attributes["retry.count"]).toBe(2)
      expect(chat.attributes["error.type"]).toBeUndefined()
      expect(chat.events.map((e) => [e.name, e.attributes])).toEqual([
        ["retry", { "retry.attempt": 1, "error.type": "ProviderUnavailableError" }],
        ["retry", { "retry.attempt": 2, "error.type": "ProviderUnavailableError" }]
      ])
      expect(chat.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"])
    }))

  it.effect("instrument: false emits nothing", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(Effect.all([request({ instrument: false }), stream({ instrument: false })]))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(spans).toEqual([])
    }))

  it.effect("without a tracer there is no span at all (not even Effect's built-in one)", () =>
    Effect.gen(function* () {
      let seen: unknown = "unset"
      const model = FunctionModel.layer(() =>
        Effect.map(Effect.option(Effect.currentSpan), (span) => {
          seen = span._tag
          return "ok"
        }))
      yield* LanguageModel.request(france).pipe(Effect.provide(model))
      expect(seen).toBe("None")
      // with a tracer, the provider call runs inside the chat span
      yield* withSpans(LanguageModel.request(france).pipe(Effect.provide(model)))
      expect(seen).toBe("Some")
    }))
})

describe("chat span of a stream", () => {
  it.effect("one client span for the whole stream: gen_ai.request.stream, time to first chunk, response attributes from the final event", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(stream({ settings: { maxTokens: 50 } }).pipe(Effect.withSpan("app")))
      const events = yield* exit
      const metadata = events.at(-1)!
      if (metadata._tag !== "ResponseMetadataEvent") throw new Error("no metadata event")
      const chat = only(spans, "chat gpt-4o-mini")
      expect(chat.kind).toBe(Kind.client)
      expect(isChildOf(chat, only(spans, "app"))).toBe(true)
      const { "gen_ai.response.time_to_first_chunk": ttfc, ...rest } = chat.attributes
      expect(rest).toEqual({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.stream": true,
        "gen_ai.response.id": metadata.providerResponseId,
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": metadata.usage.inputTokens,
        "gen_ai.usage.output_tokens": metadata.usage.outputTokens
      })
      expect(metadata.providerResponseId).toMatch(/^chatcmpl-/)
      expect(metadata.usage.outputTokens).toBeGreaterThan(0)
      // seconds, measured on the Effect clock (TestClock here, so zero)
      expect(typeof ttfc).toBe("number")
      expect(ttfc).toBeGreaterThanOrEqual(0)
      expect(chat.status.code).toBe(SpanStatusCode.OK)
    }))

  it.effect("a stream that fails to open records error.type", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, openAiError(400, "Invalid value."))
      const { exit, spans } = yield* withSpans(stream())
      expect(Exit.isFailure(exit)).toBe(true)
      const chat = only(spans, "chat gpt-4o-mini")
      expect(chat.attributes["error.type"]).toBe("InvalidRequestError")
      expect(chat.attributes["gen_ai.request.stream"]).toBe(true)
      expect(chat.status.code).toBe(SpanStatusCode.ERROR)
    }))

  it.effect("a stream stopped early ends its span (interrupted, no response attributes)", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(
        LanguageModel.requestStream(france).pipe(Stream.take(1), Stream.runCollect, Effect.provide(modelLayer(emulator())))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const chat = only(spans, "chat gpt-4o-mini")
      expect(chat.attributes["gen_ai.response.time_to_first_chunk"]).toBeTypeOf("number")
      expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeUndefined()
      expect(chat.attributes["error.type"]).toBeUndefined()
    }))
})

describe("message content", () => {
  it.effect("is not recorded by default", () =>
    Effect.gen(function* () {
      const { spans } = yield* withSpans(Effect.all([request(), stream()]))
      expect(spans.length).toBe(2)
      for (const span of spans) expect(contentAttributes(span)).toEqual([])
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain("France")
    }))

  it.effect("is recorded in the conventions' message format when captureContent is on", () =>
    Effect.gen(function* () {
      const { spans } = yield* withSpans(Effect.all([request(), stream()]).pipe(Effect.locally(Telemetry.captureContent, true)))
      expect(spans.length).toBe(2)
      for (const span of spans) {
        expect(JSON.parse(span.attributes["gen_ai.system_instructions"] as string)).toEqual([{ type: "text", content: "Answer briefly." }])
        expect(JSON.parse(span.attributes["gen_ai.input.messages"] as string)).toEqual([
          { role: "user", parts: [{ type: "text", content: "What is the capital of France?" }] }
        ])
        expect(JSON.parse(span.attributes["gen_ai.output.messages"] as string)).toEqual([
          { role: "assistant", parts: [{ type: "text", content: "The capital of France is Paris." }], finish_reason: "stop" }
        ])
      }
    }))

  it.effect("Telemetry.layerCaptureContent turns it on for a program", () =>
    Effect.gen(function* () {
      const { spans } = yield* withSpans(request().pipe(Effect.provide(Telemetry.layerCaptureContent())))
      expect([...contentAttributes(only(spans, "chat gpt-4o-mini"))].sort()).toEqual(["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"])
    }))
})
