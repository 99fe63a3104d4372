/**
 * The OpenAI Responses model through the real SDK against the emulator, beyond the shared suite:
 * the wire body (instructions, input items, tools, tool choice, settings), the three structured
 * output modes, reasoning summaries as ThinkingParts that keep the encrypted content and go back
 * as reasoning items, usage with cached and reasoning tokens, and stream failures.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, ModelRequest, ModelResponse, TextPart, ThinkingPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import * as Output from "../src/Output.js"
import * as OpenAi from "../src/providers/openai/index.js"
import * as Retry from "../src/Retry.js"
import { accumulateStream } from "../src/StreamEvent.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { responses as emulatorAnswer } from "../src/testing/emulator/openaiResponses.js"
import * as Tool from "../src/Tool.js"
import { captureLogs, failureOf, TEST_KEY, useEmulator, wireBody, withoutTimestamp } from "./helpers/openai.js"
import { only, withSpans } from "./telemetry-helpers.js"

const emulator = useEmulator()

const model = (name = "gpt-4o-mini", options?: OpenAi.ResponsesModelOptions) =>
  OpenAi.responsesLanguageModel(name, { retry: false, ...options }).pipe(
    Layer.provide(OpenAi.layer({ apiKey: Redacted.make(TEST_KEY), baseURL: emulator().openaiBaseURL }))
  )

const ask = [ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Be brief." })]

class Weather extends Schema.Class<Weather>("WeatherResult")({
  location: Schema.String,
  temperature: Schema.Number
}) {}
const weatherAsk = [ModelRequest.userTextPrompt("Weather in Paris: 21.5 degrees")]

describe("OpenAI Responses: the wire request", () => {
  it.effect("sends instructions, input items and settings in the Responses shape", () =>
    Effect.gen(function* () {
      yield* LanguageModel.request(ask, { settings: { maxTokens: 200, temperature: 0.2, topP: 0.9 } }).pipe(Effect.provide(model()))
      expect(emulator().requests.at(-1)?.path).toBe("/v1/responses")
      expect(wireBody(emulator())).toEqual({
        model: "gpt-4o-mini",
        input: [{ role: "user", content: "What is the capital of France?" }],
        instructions: "Be brief.",
        max_output_tokens: 200,
        temperature: 0.2,
        top_p: 0.9
      })
    }))

  it.effect("sends a history's tool call and result as function_call and function_call_output items", () =>
    Effect.gen(function* () {
      const add = Tool.make("add", { parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }) })
      const history = [
        ModelRequest.userTextPrompt("What is 2 plus 3?"),
        new ModelResponse({ parts: [new TextPart({ content: "Let me add." }), new ToolCallPart({ toolName: "add", args: { a: 2, b: 3 }, toolCallId: "call_1" })], modelName: "gpt-4o-mini", providerName: "openai" }),
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "add", content: { sum: 5 }, toolCallId: "call_1" })] })
      ]
      const response = yield* LanguageModel.request(history, { parameters: { functionTools: [add] }, settings: { toolChoice: "auto", parallelToolCalls: false } }).pipe(Effect.provide(model()))
      expect(response.text).toContain("5")
      const body = wireBody(emulator())
      expect(body.input).toEqual([
        { role: "user", content: "What is 2 plus 3?" },
        { role: "assistant", content: "Let me add." },
        { type: "function_call", call_id: "call_1", name: "add", arguments: "{\"a\":2,\"b\":3}" },
        { type: "function_call_output", call_id: "call_1", output: "{\"sum\":5}" }
      ])
      // the API's strict defaults to on: a schema that qualifies is sent strict, closed
      expect(body.tools).toEqual([{ type: "function", name: "add", parameters: expect.objectContaining({ type: "object", additionalProperties: false }), strict: true }])
      expect(body.tool_choice).toBe("auto")
      expect(body.parallel_tool_calls).toBe(false)
    }))

  it.effect("names a forced tool in the Responses shape, and warns about settings it has no field for", () =>
    Effect.gen(function* () {
      const add = Tool.make("add", { parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }) })
      const { logs, result } = yield* captureLogs(
        LanguageModel.request(ask, { parameters: { functionTools: [add] }, settings: { toolChoice: { toolName: "add" }, seed: 1, stopSequences: ["x"] } }).pipe(Effect.provide(model()))
      )
      expect(result._tag).toBe("Success")
      expect(wireBody(emulator()).tool_choice).toEqual({ type: "function", name: "add" })
      expect(wireBody(emulator())).not.toHaveProperty("seed")
      expect(logs.some((l) => l.includes("does not support the settings seed, stopSequences"))).toBe(true)
    }))

  it.effect("audio input is an InvalidInputError before any request", () =>
    Effect.gen(function* () {
      const prompt = new ModelRequest({ parts: [new UserPromptPart({ content: [new BinaryContent({ data: new Uint8Array([1, 2]), mediaType: "audio/wav" })] })] })
      const error = failureOf(yield* Effect.exit(LanguageModel.request([prompt]).pipe(Effect.provide(model()))))
      expect(error._tag).toBe("InvalidInputError")
      expect(emulator().requests).toHaveLength(0)
    }))
})

describe("OpenAI Responses: structured output", () => {
  it.effect("native: a json_schema text.format, decoded", () =>
    Effect.gen(function* () {
      const parameters = Output.native(Weather)
      const response = yield* LanguageModel.request(weatherAsk, { parameters }).pipe(Effect.provide(model()))
      expect(wireBody(emulator()).text).toEqual({ format: expect.objectContaining({ type: "json_schema", name: "WeatherResult", strict: true }) })
      expect((yield* Output.decode(Weather, response, parameters)).temperature).toBe(21.5)
    }))

  it.effect("prompted: the schema in the instructions, decoded", () =>
    Effect.gen(function* () {
      const parameters = Output.prompted(Weather)
      const response = yield* LanguageModel.request(weatherAsk, { parameters }).pipe(Effect.provide(model()))
      const body = wireBody(emulator())
      expect(body.instructions).toContain("Always respond with a JSON object")
      expect(body).not.toHaveProperty("text")
      expect((yield* Output.decode(Weather, response, parameters)).temperature).toBe(21.5)
    }))

  it.effect("tool: an output tool forced by name, decoded; its stream accumulates alike", () =>
    Effect.gen(function* () {
      const parameters = Output.tool(Weather)
      const response = yield* LanguageModel.request(weatherAsk, { parameters, settings: { extraHeaders: { "x-emulator-id": "weather" } } }).pipe(Effect.provide(model()))
      expect(wireBody(emulator()).tool_choice).toEqual({ type: "function", name: "final_result" })
      expect((yield* Output.decode(Weather, response, parameters)).temperature).toBe(21.5)
      const streamed = yield* accumulateStream(LanguageModel.requestStream(weatherAsk, { parameters, settings: { extraHeaders: { "x-emulator-id": "weather" } } })).pipe(Effect.provide(model()))
      expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(response))
    }))
})

describe("OpenAI Responses: reasoning", () => {
  const reasoning = { effort: "low", summary: "auto" } as const

  it.effect("a reasoning model asks for encrypted reasoning; summaries become a ThinkingPart that keeps it", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask).pipe(Effect.provide(model("gpt-5-mini", { reasoning })))
      const body = wireBody(emulator())
      expect(body.include).toEqual(["reasoning.encrypted_content"])
      expect(body.reasoning).toEqual({ effort: "low", summary: "auto" })
      const [thinking, text] = response.parts
      expect(thinking).toBeInstanceOf(ThinkingPart)
      const part = thinking as ThinkingPart
      expect(part.content).toContain("**Reading the question**")
      expect(part.content.split("\n\n")).toHaveLength(2)
      expect(part.signature).toMatch(/^[A-Za-z0-9+/=]+$/)
      expect(part.id).toMatch(/^rs_/)
      expect(part.providerName).toBe("openai")
      expect(text).toBeInstanceOf(TextPart)
      expect(response.text).toContain("Paris")
      expect(response.usage.details.reasoning_tokens).toBeGreaterThan(0)
    }))

  it.effect("a model that does not reason is not asked for encrypted reasoning", () =>
    Effect.gen(function* () {
      yield* LanguageModel.request(ask).pipe(Effect.provide(model("gpt-4o-mini")))
      expect(wireBody(emulator())).not.toHaveProperty("include")
    }))

  it.effect("a streamed reasoning answer accumulates to the non-streamed one", () =>
    Effect.gen(function* () {
      const direct = yield* LanguageModel.request(ask).pipe(Effect.provide(model("gpt-5-mini", { reasoning })))
      const events = yield* Stream.runCollect(LanguageModel.requestStream(ask)).pipe(Effect.provide(model("gpt-5-mini", { reasoning })))
      const streamed = yield* accumulateStream(Stream.fromIterable(events))
      expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(direct))
      expect([...events].some((e) => e._tag === "PartDeltaEvent" && e.delta._tag === "ThinkingPartDelta")).toBe(true)
    }))

  it.effect("the history sends the reasoning back as a reasoning item with its id and encrypted content", () =>
    Effect.gen(function* () {
      const first = yield* LanguageModel.request(ask).pipe(Effect.provide(model("gpt-5-mini", { reasoning })))
      const thinking = first.parts[0] as ThinkingPart
      yield* LanguageModel.request([...ask, first, ModelRequest.userTextPrompt("And of Germany?")]).pipe(Effect.provide(model("gpt-5-mini", { reasoning })))
      expect(wireBody(emulator()).input).toEqual([
        { role: "user", content: "What is the capital of France?" },
        { type: "reasoning", id: thinking.id, summary: [{ type: "summary_text", text: thinking.content }], encrypted_content: thinking.signature },
        { role: "assistant", content: first.text },
        { role: "user", content: "And of Germany?" }
      ])
    }))

  it.effect("thinking from another provider is left out with a warning", () =>
    Effect.gen(function* () {
      const foreign = new ModelResponse({ parts: [new ThinkingPart({ content: "hmm", signature: "anthropic-sig" }), new TextPart({ content: "Paris." })], modelName: "claude", providerName: "anthropic" })
      const { logs } = yield* captureLogs(LanguageModel.request([...ask, foreign, ModelRequest.userTextPrompt("Sure?")]).pipe(Effect.provide(model())))
      expect(wireBody(emulator()).input).toEqual([
        { role: "user", content: "What is the capital of France?" },
        { role: "assistant", content: "Paris." },
        { role: "user", content: "Sure?" }
      ])
      expect(logs.some((l) => l.includes("ThinkingPart from another provider was not sent"))).toBe(true)
    }))
})

describe("OpenAI Responses: usage and failures", () => {
  it.effect("cached input tokens are cache reads", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask, { settings: { extraHeaders: { "x-emulator-cached-tokens": "4" } } }).pipe(Effect.provide(model()))
      expect(response.usage.cacheReadTokens).toBe(4)
      expect(response.usage.inputTokens).toBeGreaterThanOrEqual(4)
    }))

  it.effect("max_output_tokens reached is finish reason length", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask, { settings: { maxTokens: 16, extraHeaders: { "x-emulator-deltas": "400" } } }).pipe(Effect.provide(model()))
      expect(response.finishReason).toBe("length")
    }))

  it.effect("a response.failed event is a ProviderUnavailableError with the provider's message", () =>
    Effect.gen(function* () {
      emulator().script("POST /v1/responses", {
        sse: [
          `event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { id: "resp_x", model: "gpt-4o-mini", status: "in_progress", output: [] } })}\n\n`,
          `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", sequence_number: 1, response: { id: "resp_x", status: "failed", error: { code: "server_error", message: "The model failed." }, output: [] } })}\n\n`
        ]
      })
      const error = failureOf(yield* Effect.exit(Stream.runDrain(LanguageModel.requestStream(ask)).pipe(Effect.provide(model()))))
      expect(error._tag).toBe("ProviderUnavailableError")
      expect(error.message).toContain("The model failed.")
    }))

  it.effect("a stream cut before response.completed is a ConnectionError", () =>
    Effect.gen(function* () {
      emulator().script("POST /v1/responses", (request) => ({ ...emulatorAnswer(request), fault: "truncate" }))
      const error = failureOf(yield* Effect.exit(Stream.runDrain(LanguageModel.requestStream(ask)).pipe(Effect.provide(model()))))
      expect(error._tag).toBe("ConnectionError")
    }))
})

describe("OpenAI Responses: retries", () => {
  const fastRetry = Retry.policy({ times: 3, base: "1 millis", jitter: false })

  it.live("a 503 and a 429 are retried by the call's policy, then answered; a 400 is not retried", () =>
    Effect.gen(function* () {
      emulator().script("POST /v1/responses", openAiError(503, "busy"), openAiError(429, "slow down"))
      const response = yield* LanguageModel.request(ask, { retry: fastRetry }).pipe(Effect.provide(model()))
      expect(response.text).toContain("Paris")
      expect(emulator().requests).toHaveLength(3)
      emulator().script("POST /v1/responses", openAiError(400, "bad"))
      const error = failureOf(yield* Effect.exit(LanguageModel.request(ask, { retry: fastRetry }).pipe(Effect.provide(model()))))
      expect(error._tag).toBe("InvalidRequestError")
      expect(emulator().requests).toHaveLength(4)
    }))
})

describe("OpenAI Responses: spans", () => {
  it.effect("one `chat {model}` span per call, with the response id and usage, as for Chat Completions", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withSpans(LanguageModel.request(ask).pipe(Effect.provide(model())))
      const response = yield* exit
      const chat = only(spans, "chat gpt-4o-mini")
      expect(chat.attributes["gen_ai.provider.name"]).toBe("openai")
      expect(chat.attributes["gen_ai.response.id"]).toBe(response.providerResponseId)
      expect(chat.attributes["gen_ai.usage.input_tokens"]).toBe(response.usage.inputTokens)
    }))
})
