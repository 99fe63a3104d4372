/**
 * The Gemini provider end to end: the real `@google/genai` SDK against the emulator, requests and
 * streams, tools, structured output, thinking, usage, errors and interruption.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Schema, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse, SystemPromptPart, TextPart, ThinkingPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import * as Output from "../src/Output.js"
import * as ModelString from "../src/ModelString.js"
import * as GoogleClient from "../src/providers/google/GoogleClient.js"
import * as Google from "../src/providers/google/index.js"
import * as Retry from "../src/Retry.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { googleError } from "../src/testing/Emulator.js"
import * as Tool from "../src/Tool.js"
import { apiKey, captureLogs, type LogLine, modelLayer, modelName, useEmulator, wireBody } from "./helpers/google.js"

const emulator = useEmulator()

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})
const CityLocation = Tool.make("final_result", {
  description: "The final response",
  parameters: Schema.Struct({ city: Schema.String, country: Schema.String })
})

const thinking = { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } }

const request = (messages: ReadonlyArray<ModelRequest | ModelResponse>, options?: LanguageModel.RequestOptions) =>
  LanguageModel.request(messages, options).pipe(Effect.provide(modelLayer(emulator())))

const stream = (messages: ReadonlyArray<ModelRequest | ModelResponse>, options?: LanguageModel.RequestOptions) =>
  LanguageModel.requestStream(messages, options).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(modelLayer(emulator())))

/** A response as JSON without the timestamp, which differs between any two calls. */
const comparable = (response: ModelResponse) => {
  const { timestamp: _, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return rest
}

const prompt = (text: string) => [ModelRequest.userTextPrompt(text)]

const pinned = (id: string, extra?: Record<string, string>) => ({ settings: { extraHeaders: { "x-emulator-id": id, ...extra } } })

describe("Gemini request", () => {
  it.effect("answers text, with usage, id, model and finish reason, over generateContent with the key header", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("What is the capital of France?"))
      expect(response.parts).toEqual([new TextPart({ content: "The capital of France is Paris." })])
      expect(response.finishReason).toBe("stop")
      expect(response.providerName).toBe("google")
      expect(response.modelName).toBe(modelName)
      expect(response.providerResponseId).toMatch(/^resp_emu_/)
      expect(response.usage.inputTokens).toBeGreaterThan(0)
      expect(response.usage.outputTokens).toBeGreaterThan(0)
      const sent = emulator().requests[0]!
      expect(sent.path).toBe(`/v1beta/models/${modelName}:generateContent`)
      expect(sent.apiKey).toBe(apiKey)
      // the SDK always sends a generationConfig, empty when nothing is set
      expect(wireBody(emulator())).toEqual({ contents: [{ role: "user", parts: [{ text: "What is the capital of France?" }] }], generationConfig: {} })
    }))

  it.effect("sends system prompts and instructions as systemInstruction, settings as generationConfig", () =>
    Effect.gen(function*() {
      yield* request([
        new ModelRequest({ parts: [new SystemPromptPart({ content: "Be brief." }), new UserPromptPart({ content: "Hi" })], instructions: "You are terse." })
      ], { settings: { maxTokens: 100, temperature: 0.2, topP: 0.9, seed: 7, stopSequences: ["END"], presencePenalty: 0.1, frequencyPenalty: 0.3 } })
      const body = wireBody(emulator())
      expect(body.systemInstruction).toEqual({ role: "user", parts: [{ text: "You are terse.\n\nBe brief." }] })
      expect(body.generationConfig).toEqual({
        maxOutputTokens: 100,
        temperature: 0.2,
        topP: 0.9,
        seed: 7,
        stopSequences: ["END"],
        presencePenalty: 0.1,
        frequencyPenalty: 0.3
      })
    }))

  it.effect("warns about parallelToolCalls, which Gemini lacks", () =>
    Effect.gen(function*() {
      const lines: Array<LogLine> = []
      yield* request(prompt("Hi"), { settings: { parallelToolCalls: false } }).pipe(Effect.provide(captureLogs(lines)))
      expect(lines.some((l) => l.level === "WARN" && l.message.includes("parallelToolCalls"))).toBe(true)
    }))

  it.effect("reports usage: cached, thought and prompt tokens", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("What is the capital of France?"), {
        settings: { extraHeaders: { "x-emulator-cache-read": "5" }, extraBody: thinking }
      })
      const usage = response.usage
      expect(usage.cacheReadTokens).toBe(5)
      expect(usage.details.thoughts_tokens).toBeGreaterThan(0)
      // thinking is billed as output
      expect(usage.outputTokens).toBeGreaterThan(usage.details.thoughts_tokens!)
    }))

  it.effect("maps finish reasons", () =>
    Effect.gen(function*() {
      const length = yield* request(prompt("Hi"), { settings: { extraHeaders: { "x-emulator-finish-reason": "MAX_TOKENS" } } })
      expect(length.finishReason).toBe("length")
      const safety = yield* request(prompt("Hi"), { settings: { extraHeaders: { "x-emulator-finish-reason": "SAFETY" } } })
      expect(safety.finishReason).toBe("content_filter")
    }))
})

describe("Gemini tools", () => {
  it.effect("offers function declarations and decodes the call; sends the result back as a functionResponse", () =>
    Effect.gen(function*() {
      const first = yield* request(prompt("What is 10 divided by 4?"), { parameters: { functionTools: [Divide] } })
      const body = wireBody(emulator())
      expect(body.tools).toEqual([{ functionDeclarations: [{ name: "divide", description: "Divide two numbers.", parametersJsonSchema: Divide.parametersJsonSchema }] }])
      expect(first.finishReason).toBe("tool_call")
      const call = first.toolCalls[0]!
      expect(call.toolName).toBe("divide")
      expect(call.args).toEqual({ numerator: 10, denominator: 4 })
      expect(call.toolCallId).toMatch(/^gemini_call_/)
      const second = yield* request([
        ModelRequest.userTextPrompt("What is 10 divided by 4?"),
        first,
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: 2.5, toolCallId: call.toolCallId })] })
      ], { parameters: { functionTools: [Divide] } })
      expect(second.text).toBe("The result is 2.5.")
      const contents = wireBody(emulator()).contents as ReadonlyArray<Record<string, unknown>>
      expect(contents[1]).toEqual({ role: "model", parts: [{ functionCall: { name: "divide", args: { numerator: 10, denominator: 4 } } }] })
      // a synthetic id is not sent back
      expect(contents[2]).toEqual({ role: "user", parts: [{ functionResponse: { name: "divide", response: { result: 2.5 } } }] })
    }))

  it.effect("maps tool choice to toolConfig.functionCallingConfig", () =>
    Effect.gen(function*() {
      yield* request(prompt("Hi"), { parameters: { functionTools: [Divide] }, settings: { toolChoice: "required" } })
      expect(wireBody(emulator()).toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } })
      const none = yield* request(prompt("What is the capital of France?"), { parameters: { functionTools: [Divide] }, settings: { toolChoice: "none" } })
      expect(wireBody(emulator()).toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } })
      expect(none.text).toBe("The capital of France is Paris.")
      yield* request(prompt("Hi"), { parameters: { functionTools: [Divide, CityLocation] }, settings: { toolChoice: { toolName: "final_result" } } })
      expect(wireBody(emulator()).toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["final_result"] } })
    }))
})

describe("Gemini structured output", () => {
  const City = Schema.Struct({ city: Schema.String, country: Schema.String })

  it.effect("native mode: responseMimeType and responseJsonSchema; the answer decodes", () =>
    Effect.gen(function*() {
      const parameters = Output.native(City, { name: "city" })
      const response = yield* request(prompt("Where is the Eiffel Tower, in France?"), { parameters })
      const body = wireBody(emulator())
      const config = body.generationConfig as Record<string, unknown>
      expect(config.responseMimeType).toBe("application/json")
      expect(config.responseJsonSchema).toEqual(parameters.outputObject?.jsonSchema)
      const value = yield* Output.decode(City, response, parameters)
      expect(Object.keys(value).sort()).toEqual(["city", "country"])
    }))

  it.effect("tool mode forces the output tool by name", () =>
    Effect.gen(function*() {
      const parameters = Output.tool(City)
      const response = yield* request(prompt("Where is the Eiffel Tower, in France?"), { parameters })
      const name = parameters.outputTools[0]?.name
      expect(wireBody(emulator()).toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } })
      const value = yield* Output.decode(City, response, parameters)
      expect(Object.keys(value).sort()).toEqual(["city", "country"])
    }))

  it.effect("prompted mode puts the schema in the system instruction", () =>
    Effect.gen(function*() {
      const parameters = Output.prompted(City)
      const response = yield* request(prompt("Where is the Eiffel Tower, in France?"), { parameters })
      const system = wireBody(emulator()).systemInstruction as { parts: Array<{ text: string }> }
      expect(system.parts[0]!.text).toContain("\"properties\"")
      const value = yield* Output.decode(City, response, parameters)
      expect(Object.keys(value).sort()).toEqual(["city", "country"])
    }))
})

describe("Gemini thinking", () => {
  it.effect("thought parts become thinking parts; thought signatures are kept and sent back on their part", () =>
    Effect.gen(function*() {
      const first = yield* request(prompt("What is 10 divided by 4?"), { parameters: { functionTools: [Divide] }, settings: { extraBody: thinking } })
      expect(wireBody(emulator()).generationConfig).toEqual({ thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } })
      expect(first.parts[0]).toBeInstanceOf(ThinkingPart)
      expect(first.thinking).toContain("The user asks")
      expect(first.parts[1]).toBeInstanceOf(ToolCallPart)
      const signature = first.parts[2] as ThinkingPart
      expect(signature.content).toBe("")
      expect(signature.signature).toBeTruthy()
      const call = first.toolCalls[0]!
      yield* request([
        ModelRequest.userTextPrompt("What is 10 divided by 4?"),
        first,
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: 2.5, toolCallId: call.toolCallId })] })
      ], { parameters: { functionTools: [Divide] }, settings: { extraBody: thinking } })
      const contents = wireBody(emulator()).contents as ReadonlyArray<{ parts: ReadonlyArray<Record<string, unknown>> }>
      expect(contents[1]!.parts).toEqual([
        { text: first.thinking, thought: true },
        { functionCall: { name: "divide", args: { numerator: 10, denominator: 4 } }, thoughtSignature: signature.signature }
      ])
    }))
})

describe("Gemini stream", () => {
  it.effect("streams over streamGenerateContent?alt=sse and adds up to the non-streamed response", () =>
    Effect.gen(function*() {
      for (const [options, text] of [
        [pinned("same-text", { "x-emulator-deltas": "4" }), "What is the capital of France?"],
        [{ ...pinned("same-tool"), parameters: { functionTools: [Divide] } }, "What is 10 divided by 4?"],
        [{ settings: { extraHeaders: { "x-emulator-id": "same-think" }, extraBody: thinking } }, "What is the capital of France?"],
        [{ settings: { extraHeaders: { "x-emulator-id": "same-think-tool" }, extraBody: thinking }, parameters: { functionTools: [Divide] } }, "What is 10 divided by 4?"]
      ] as const) {
        const direct = yield* request(prompt(text), options)
        const events = yield* stream(prompt(text), options)
        const sent = emulator().requests[emulator().requests.length - 1]!
        expect(sent.path).toBe(`/v1beta/models/${modelName}:streamGenerateContent`)
        expect(sent.query.get("alt")).toBe("sse")
        expect(comparable(StreamEvent.accumulate(events))).toEqual(comparable(direct))
        expect(events[events.length - 1]!._tag).toBe("ResponseMetadataEvent")
      }
    }))

  it.effect("text arrives as deltas of one part, with one FinalResultEvent", () =>
    Effect.gen(function*() {
      const events = yield* stream(prompt("What is the capital of France?"), { settings: { extraHeaders: { "x-emulator-deltas": "5" } } })
      expect(events.filter((e) => e._tag === "PartDeltaEvent")).toHaveLength(4)
      expect(events.filter((e) => e._tag === "PartStartEvent")).toHaveLength(1)
      expect(events.filter((e) => e._tag === "FinalResultEvent")).toHaveLength(1)
    }))

  it.effect("a stream cut short fails with a ConnectionError", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:streamGenerateContent", (r) => ({
        sse: Array.from({ length: 6 }, (_, i) => `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: `piece ${i} ` }] } }], responseId: "cut" })}\r\n\r\n`),
        fault: "truncate"
      }))
      const exit = yield* Effect.exit(stream(prompt("Hi")))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : exit).toBe("ConnectionError")
    }))
})

describe("Gemini errors", () => {
  const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

  it.effect("maps statuses to AiError classes, with the provider's message and no key", () =>
    Effect.gen(function*() {
      const cases = [
        [googleError(400, "API key not valid. Please pass a valid API key."), "AuthenticationError"],
        [googleError(403, "Permission denied"), "PermissionDeniedError"],
        [googleError(404, "models/nope is not found"), "NotFoundError"],
        [googleError(400, "* GenerateContentRequest.contents: contents is not specified"), "InvalidRequestError"],
        [googleError(500, "Internal error"), "ProviderUnavailableError"],
        [googleError(503, "The model is overloaded"), "ProviderUnavailableError"]
      ] as const
      for (const [scripted, tag] of cases) {
        emulator().script("POST /v1beta/models/:model:generateContent", scripted)
        const error = yield* failure(request(prompt("Hi")))
        expect(error._tag).toBe(tag)
        expect(error.message).not.toContain(apiKey)
      }
    }))

  it.effect("a 429 is a RateLimitError with the RetryInfo delay", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:generateContent", googleError(429, `Quota exceeded for key ${apiKey}`, { retryDelay: "30s" }))
      const error = yield* failure(request(prompt("Hi")))
      expect(error._tag).toBe("RateLimitError")
      if (error._tag !== "RateLimitError") return
      expect(error.retryAfter).toEqual(Duration.seconds(30))
      expect(error.detail).toContain("RESOURCE_EXHAUSTED")
      expect(error.detail).not.toContain(apiKey)
    }))

  it.effect("the emulator's own validation is a 400: empty parts never reach it (InvalidInputError first)", () =>
    Effect.gen(function*() {
      const error = yield* failure(request([new ModelRequest({ parts: [new UserPromptPart({ content: "" })] })]))
      expect(error._tag).toBe("InvalidInputError")
      expect(emulator().requests).toHaveLength(0)
    }))

  it.effect("a reset connection is a ConnectionError; a malformed body a ResponseDecodeError", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:generateContent", { fault: "reset" })
      expect((yield* failure(request(prompt("Hi"))))._tag).toBe("ConnectionError")
      emulator().script("POST /v1beta/models/:model:generateContent", { fault: "malformed-json" })
      expect((yield* failure(request(prompt("Hi"))))._tag).toBe("ResponseDecodeError")
    }))

  it.live("retries go through the library's Schedule: a 503 then an answer", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:generateContent", googleError(503, "overloaded"))
      const response = yield* LanguageModel.request(prompt("What is the capital of France?")).pipe(
        Effect.provide(modelLayer(emulator(), { retry: Retry.policy({ times: 2, base: "1 millis", jitter: false }) }))
      )
      expect(response.text).toBe("The capital of France is Paris.")
      expect(emulator().requests).toHaveLength(2)
    }), { timeout: 10_000 })
})

describe("Gemini interruption", () => {
  it.live("interrupting a request aborts its HTTP request", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:generateContent", { fault: "hang" })
      const fiber = yield* Effect.fork(request(prompt("Hi")))
      const aborted = emulator().waitForAbort(5_000)
      yield* Effect.sleep(Duration.millis(100))
      yield* Fiber.interrupt(fiber)
      const seen = yield* Effect.promise(() => aborted)
      expect(seen.path).toContain(":generateContent")
    }))

  it.live("stopping a stream early aborts the response", () =>
    Effect.gen(function*() {
      emulator().script("POST /v1beta/models/:model:streamGenerateContent", (r) => ({
        sse: Array.from({ length: 50 }, (_, i) => `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: `piece ${i} ` }] } }], responseId: "slow" })}\r\n\r\n`),
        chunkDelayMs: 50
      }))
      const aborted = emulator().waitForAbort(5_000)
      const events = yield* LanguageModel.requestStream(prompt("Hi")).pipe(Stream.take(2), Stream.runCollect, Effect.provide(modelLayer(emulator())))
      expect(Chunk.size(events)).toBe(2)
      const seen = yield* Effect.promise(() => aborted)
      expect(seen.path).toContain(":streamGenerateContent")
    }))
})

describe("Gemini configuration", () => {
  it.effect("layerConfig reads GEMINI_API_KEY, else GOOGLE_API_KEY, and GEMINI_BASE_URL", () =>
    Effect.gen(function*() {
      const viaGemini = yield* GoogleClient.GoogleClient.pipe(
        Effect.provide(GoogleClient.layerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GEMINI_API_KEY", "k1"], ["GEMINI_BASE_URL", emulator().googleBaseURL]])))
      )
      expect(viaGemini.apiKey.toString()).not.toContain("k1")
      const viaGoogle = yield* LanguageModel.request(prompt("Hi")).pipe(
        Effect.provide(Google.languageModel(modelName).pipe(Layer.provide(GoogleClient.layerConfig()))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GOOGLE_API_KEY", "k2"], ["GEMINI_BASE_URL", emulator().googleBaseURL]])))
      )
      expect(viaGoogle.text).toBe("You said: Hi")
      expect(emulator().requests[0]!.apiKey).toBe("k2")
      const missing = yield* Effect.flip(GoogleClient.GoogleClient.pipe(Effect.provide(GoogleClient.layerConfig()), Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
      expect(String(missing)).toContain("GEMINI_API_KEY")
    }))

  it.effect("model strings: google:gemini-... resolves to the Gemini provider", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.request(prompt("What is the capital of France?")).pipe(
        Effect.provide(ModelString.layer("google:gemini-2.5-flash")),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GEMINI_API_KEY", "k3"], ["GEMINI_BASE_URL", emulator().googleBaseURL]])))
      )
      expect(response.providerName).toBe("google")
      expect(emulator().requests[0]!.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent")
    }))
})
