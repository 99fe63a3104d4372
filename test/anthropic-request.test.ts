/**
 * The Anthropic provider end to end: the real SDK against the emulator, requests and streams,
 * and what went over the wire.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, FastCheck, Layer, Schema, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import {
  ModelRequest,
  ModelResponse,
  RetryPromptPart,
  SystemPromptPart,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolReturnPart,
  UserPromptPart
} from "../src/Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "../src/Parameters.js"
import * as AnthropicClient from "../src/providers/anthropic/AnthropicClient.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as StreamEvent from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { captureLogs, type LogLine, modelLayer, useEmulator, wireBody } from "./helpers/anthropic.js"

const emulator = useEmulator()

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})
const CityLocation = Tool.make("final_result", {
  description: "The final response",
  parameters: Schema.Struct({ city: Schema.String, country: Schema.String })
})

const thinking = { thinking: { type: "enabled", budget_tokens: 1024 } }

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

describe("Anthropic request", () => {
  it.effect("answers text, with usage, id, model and finish reason, and sends a minimal body", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("What is the capital of France?"))
      expect(response.parts).toEqual([new TextPart({ content: "The capital of France is Paris." })])
      expect(response.finishReason).toBe("stop")
      expect(response.providerName).toBe("anthropic")
      expect(response.modelName).toBe("claude-haiku-4-5")
      expect(response.providerResponseId).toMatch(/^msg_emu_/)
      expect(response.usage.inputTokens).toBeGreaterThan(0)
      expect(response.usage.outputTokens).toBe(8)
      expect(wireBody(emulator())).toEqual({
        model: "claude-haiku-4-5",
        max_tokens: 4096,
        messages: [{ role: "user", content: [{ type: "text", text: "What is the capital of France?" }] }]
      })
      // SDK 1.x sends the key as a bearer token (x-api-key in 0.x); the emulator reads either
      expect(emulator().requests[0]?.apiKey).toBe("test-anthropic-key-7f3a9c2e51")
      expect(emulator().requests[0]?.headers["x-stainless-retry-count"]).toBe("0")
    }))

  it.effect("counts cached input tokens as input, and reports reads and writes apart", () =>
    Effect.gen(function*() {
      const messages = prompt("What is the capital of France?")
      const plain = yield* request(messages)
      const cached = yield* request(messages, { settings: { extraHeaders: { "x-emulator-cache-read": "100", "x-emulator-cache-write": "20" } } })
      expect(cached.usage.cacheReadTokens).toBe(100)
      expect(cached.usage.cacheWriteTokens).toBe(20)
      expect(cached.usage.inputTokens).toBe(plain.usage.inputTokens + 120)
      expect(cached.usage.details).toEqual({ ephemeral_5m_input_tokens: 20 })
      const streamed = StreamEvent.accumulate(yield* stream(messages, { settings: { extraHeaders: { "x-emulator-cache-read": "100", "x-emulator-cache-write": "20" } } }))
      expect(streamed.usage).toEqual(cached.usage)
    }))

  it.effect("decodes a tool call into a ToolCallPart with object arguments, and sends the tool", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("Divide 10 by 4"), { parameters: { functionTools: [Divide] } })
      expect(response.finishReason).toBe("tool_call")
      expect(response.toolCalls).toHaveLength(1)
      const call = response.toolCalls[0]!
      expect(call.toolName).toBe("divide")
      expect(call.args).toEqual({ numerator: 10, denominator: 4 })
      expect(call.toolCallId).toMatch(/^toolu_emu_/)
      const body = wireBody(emulator())
      expect(body.tools).toEqual([{ name: "divide", description: "Divide two numbers.", input_schema: Divide.parametersJsonSchema }])
      expect(body.tool_choice).toBeUndefined()
    }))

  it.effect("decodes thinking with its signature before the answer", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("What is the capital of France?"), { settings: { extraBody: thinking } })
      expect(response.parts.map((p) => p._tag)).toEqual(["ThinkingPart", "TextPart"])
      const part = response.parts[0] as ThinkingPart
      expect(part.content).toContain("capital of France")
      expect(part.signature).toBe(Buffer.from(`emulator-signature:${part.content.length}`).toString("base64"))
      expect(wireBody(emulator()).thinking).toEqual(thinking.thinking)
    }))

  const stopCases: ReadonlyArray<readonly [string, ModelSettings, string, string]> = [
    ["refusal", { extraHeaders: { "x-emulator-stop-reason": "refusal" } }, "content_filter", "The capital of France is Paris."],
    ["pause_turn", { extraHeaders: { "x-emulator-stop-reason": "pause_turn" } }, "stop", "The capital of France is Paris."],
    ["max_tokens", { maxTokens: 2 }, "length", "The capi"],
    ["stop_sequence", { stopSequences: ["Paris"] }, "stop", "The capital of France is "]
  ]
  for (const [name, settings, reason, text] of stopCases) {
    it.effect(`maps stop reason ${name} to ${reason}, in a request and in a stream`, () =>
      Effect.gen(function*() {
        const response = yield* request(prompt("What is the capital of France?"), { settings })
        expect(response.finishReason).toBe(reason)
        expect(response.text).toBe(text)
        const streamed = StreamEvent.accumulate(yield* stream(prompt("What is the capital of France?"), { settings }))
        expect(streamed.finishReason).toBe(reason)
        expect(streamed.text).toBe(response.text)
      }))
  }

  it.effect("sends a whole conversation: system, merged turns, tool results, retries, tools and settings", () =>
    Effect.gen(function*() {
      const history = [
        new ModelRequest({
          parts: [new SystemPromptPart({ content: "You are terse." }), new UserPromptPart({ content: "Divide 10 by 4" })]
        }),
        new ModelResponse({
          parts: [
            new ThinkingPart({ content: "I should divide.", signature: "sig-1" }),
            new TextPart({ content: "Let me compute." }),
            new ToolCallPart({ toolName: "divide", args: "{\"numerator\":10,\"denominator\":4}", toolCallId: "toolu_1" }),
            new ToolCallPart({ toolName: "divide", args: { numerator: 1, denominator: 0 }, toolCallId: "toolu_2" })
          ],
          modelName: "claude-haiku-4-5",
          providerName: "anthropic"
        }),
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: { result: 2.5 }, toolCallId: "toolu_1" })] }),
        new ModelRequest({
          parts: [
            new RetryPromptPart({ content: "division by zero", toolName: "divide", toolCallId: "toolu_2" }),
            new RetryPromptPart({ content: "answer in words" })
          ],
          instructions: "Answer in one sentence."
        })
      ]
      const response = yield* request(history, {
        parameters: { functionTools: [Divide], outputTools: [CityLocation], allowTextOutput: false },
        settings: {
          temperature: 0.5,
          topP: 0.9,
          stopSequences: ["END"],
          parallelToolCalls: false,
          maxTokens: 500,
          extraBody: { metadata: { user_id: "u-1" } },
          extraHeaders: { "x-custom": "yes" }
        }
      })
      // the emulator answers with the tool results of the newest turn
      expect(response.text).toBe("The result is {\"result\":2.5}, division by zero\n\nFix the errors and try again..")
      const body = wireBody(emulator())
      expect(body.system).toBe("Answer in one sentence.\n\nYou are terse.")
      expect(body.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "Divide 10 by 4" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "I should divide.", signature: "sig-1" },
            { type: "text", text: "Let me compute." },
            { type: "tool_use", id: "toolu_1", name: "divide", input: { numerator: 10, denominator: 4 } },
            { type: "tool_use", id: "toolu_2", name: "divide", input: { numerator: 1, denominator: 0 } }
          ]
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "{\"result\":2.5}", is_error: false },
            { type: "tool_result", tool_use_id: "toolu_2", content: "division by zero\n\nFix the errors and try again.", is_error: true },
            { type: "text", text: "answer in words\n\nFix the errors and try again." }
          ]
        }
      ])
      expect(body.tools).toEqual([
        { name: "divide", description: "Divide two numbers.", input_schema: Divide.parametersJsonSchema },
        { name: "final_result", description: "The final response", input_schema: CityLocation.parametersJsonSchema }
      ])
      expect(body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true })
      expect(body.temperature).toBe(0.5)
      expect(body.top_p).toBe(0.9)
      expect(body.stop_sequences).toEqual(["END"])
      expect(body.max_tokens).toBe(500)
      expect(body.metadata).toEqual({ user_id: "u-1" })
      expect(emulator().requests[0]?.headers["x-custom"]).toBe("yes")
    }))

  const choices: ReadonlyArray<readonly [ModelSettings["toolChoice"], unknown]> = [
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "any" }],
    [{ toolName: "divide" }, { type: "tool", name: "divide" }]
  ]
  for (const [choice, wire] of choices) {
    it.effect(`maps toolChoice ${JSON.stringify(choice)} to ${JSON.stringify(wire)}`, () =>
      Effect.gen(function*() {
        const response = yield* request(prompt("Divide 10 by 4"), { parameters: { functionTools: [Divide] }, settings: { toolChoice: choice } })
        expect(wireBody(emulator()).tool_choice).toEqual(wire)
        expect(response.toolCalls.length).toBe(choice === "none" ? 0 : 1)
      }))
  }

  it.effect("does not force a tool while thinking (the API refuses both), and says so", () =>
    Effect.gen(function*() {
      const logs: Array<LogLine> = []
      const response = yield* request(prompt("Where?"), {
        parameters: { outputTools: [CityLocation], allowTextOutput: false },
        settings: { extraBody: thinking }
      }).pipe(Effect.provide(captureLogs(logs)))
      expect(wireBody(emulator()).tool_choice).toEqual({ type: "auto" })
      expect(response.toolCalls[0]?.toolName).toBe("final_result")
      expect(logs.some((l) => l.level === "WARN" && l.message.includes("cannot force a tool call while thinking"))).toBe(true)
    }))

  it.effect("sends unsigned thinking as text, with a warning", () =>
    Effect.gen(function*() {
      const logs: Array<LogLine> = []
      const history = [
        ...prompt("Hi"),
        new ModelResponse({ parts: [new ThinkingPart({ content: "hmm" }), new TextPart({ content: "Hello" })], modelName: "gpt-4o", providerName: "openai" }),
        ...prompt("What is the capital of France?")
      ]
      yield* request(history).pipe(Effect.provide(captureLogs(logs)))
      expect((wireBody(emulator()).messages as Array<{ content: unknown }>)[1]?.content).toEqual([
        { type: "text", text: "<thinking>\nhmm\n</thinking>" },
        { type: "text", text: "Hello" }
      ])
      expect(logs.some((l) => l.level === "WARN" && l.message.includes("without a signature"))).toBe(true)
    }))

  it.effect("warns about a setting Anthropic does not support, naming it, and does not send it", () =>
    Effect.gen(function*() {
      const logs: Array<LogLine> = []
      yield* request(prompt("What is the capital of France?"), { settings: { seed: 42, temperature: 0 } }).pipe(Effect.provide(captureLogs(logs)))
      const warnings = logs.filter((l) => l.level === "WARN")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.message).toContain("anthropic does not support the setting seed")
      expect(wireBody(emulator())).not.toHaveProperty("seed")
      expect(wireBody(emulator()).temperature).toBe(0)
    }))

  for (const mode of ["native", "prompted"] as const) {
    it.effect(`fails the "${mode}" output mode without an output object with InvalidInputError before any request`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(request(prompt("Where?"), { parameters: { outputTools: [CityLocation], outputMode: mode } }))
        expect(error._tag).toBe("InvalidInputError")
        expect(error.message).toContain(`"${mode}" output mode`)
        expect(emulator().requests).toHaveLength(0)
      }))
  }

  it.effect("falls back to a stream when the SDK refuses a long unstreamed request", () =>
    Effect.gen(function*() {
      const response = yield* request(prompt("What is the capital of France?"), { settings: { maxTokens: 64_000 } })
      expect(emulator().requests).toHaveLength(1)
      expect(wireBody(emulator()).stream).toBe(true)
      expect(wireBody(emulator()).max_tokens).toBe(64_000)
      expect(response.text).toBe("The capital of France is Paris.")
      expect(response.finishReason).toBe("stop")
      expect(response.providerResponseId).toMatch(/^msg_emu_/)
      expect(response.usage.outputTokens).toBe(8)
    }))

  it.effect("falls back for a model with its own non-streaming cap, and not when a timeout is set", () =>
    Effect.gen(function*() {
      yield* LanguageModel.request(prompt("Hi"), { settings: { maxTokens: 10_000 } }).pipe(
        Effect.provide(modelLayer(emulator(), { model: "claude-opus-4-1@20250805" }))
      )
      expect(wireBody(emulator()).stream).toBe(true)
      // with a timeout, the SDK sends it unstreamed (its check only runs without one)
      yield* request(prompt("Hi"), { settings: { maxTokens: 64_000, timeout: 30 } })
      expect(wireBody(emulator()).stream).toBeUndefined()
      yield* LanguageModel.request(prompt("Hi"), { settings: { maxTokens: 64_000 } }).pipe(
        Effect.provide(modelLayer(emulator(), { timeout: 30 }))
      )
      expect(wireBody(emulator()).stream).toBeUndefined()
      // under the threshold: unstreamed
      yield* request(prompt("Hi"), { settings: { maxTokens: 21_000 } })
      expect(wireBody(emulator()).stream).toBeUndefined()
    }))
})

describe("Anthropic stream", () => {
  it.effect("streams text in the deltas the provider sent, one FinalResultEvent, metadata last", () =>
    Effect.gen(function*() {
      const events = yield* stream(prompt("What is the capital of France?"), { settings: { extraHeaders: { "x-emulator-deltas": "4" } } })
      expect(events.map((e) => e._tag)).toEqual([
        "PartStartEvent",
        "FinalResultEvent",
        "PartDeltaEvent",
        "PartDeltaEvent",
        "PartDeltaEvent",
        "PartEndEvent",
        "ResponseMetadataEvent"
      ])
      const end = events[5] as StreamEvent.PartEndEvent
      expect(end.part).toEqual(new TextPart({ content: "The capital of France is Paris." }))
      const metadata = events[6] as StreamEvent.ResponseMetadataEvent
      expect(metadata.finishReason).toBe("stop")
      expect(metadata.providerResponseId).toMatch(/^msg_emu_/)
      expect(metadata.usage.outputTokens).toBe(8)
      expect(wireBody(emulator()).stream).toBe(true)
    }))

  it.effect("streams a tool call as argument fragments that add up to the object", () =>
    Effect.gen(function*() {
      const events = yield* stream(prompt("Divide 10 by 4"), { parameters: { functionTools: [Divide] } })
      const deltas = events.filter((e): e is StreamEvent.PartDeltaEvent => e._tag === "PartDeltaEvent")
      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.every((d) => d.delta._tag === "ToolCallPartDelta")).toBe(true)
      expect(events.some((e) => e._tag === "FinalResultEvent")).toBe(false) // a function tool is not the answer
      const response = StreamEvent.accumulate(events)
      expect(response.toolCalls[0]?.args).toEqual({ numerator: 10, denominator: 4 })
      expect(response.finishReason).toBe("tool_call")
    }))

  it.effect("emits FinalResultEvent with the output tool's name and id", () =>
    Effect.gen(function*() {
      const events = yield* stream(prompt("Where?"), { parameters: { outputTools: [CityLocation], allowTextOutput: false } })
      const final = events.find((e): e is StreamEvent.FinalResultEvent => e._tag === "FinalResultEvent")
      expect(final?.toolName).toBe("final_result")
      expect(final?.toolCallId).toMatch(/^toolu_emu_/)
    }))

  it.effect("streams thinking and its signature before the text", () =>
    Effect.gen(function*() {
      const events = yield* stream(prompt("What is the capital of France?"), { settings: { extraBody: thinking } })
      const signatures = events.flatMap((e) => (e._tag === "PartDeltaEvent" && e.delta._tag === "ThinkingPartDelta" && e.delta.signatureDelta ? [e.delta.signatureDelta] : []))
      expect(signatures).toHaveLength(1)
      const response = StreamEvent.accumulate(events)
      expect(response.parts.map((p) => p._tag)).toEqual(["ThinkingPart", "TextPart"])
      expect((response.parts[0] as ThinkingPart).signature).toBe(signatures[0])
    }))

  const cases = FastCheck.record({
    question: FastCheck.constantFrom("What is the capital of France?", "Divide 10 by 4", "Tell me about gravity", "what is 2+2", "Say something 42 long"),
    deltas: FastCheck.integer({ min: 1, max: 9 }),
    tools: FastCheck.constantFrom("none", "function", "output"),
    thinking: FastCheck.boolean(),
    cacheRead: FastCheck.nat({ max: 500 })
  })
  it.effect.prop("adds up to the non-streamed response for the same emulator output", { c: cases }, ({ c }) =>
    Effect.gen(function*() {
      const parameters: ModelRequestParametersInput = c.tools === "function"
        ? { functionTools: [Divide] }
        : c.tools === "output"
        ? { outputTools: [CityLocation], allowTextOutput: false }
        : {}
      const settings: ModelSettings = {
        extraHeaders: { "x-emulator-deltas": String(c.deltas), "x-emulator-id": "same", "x-emulator-cache-read": String(c.cacheRead) },
        ...(c.thinking && c.tools !== "output" ? { extraBody: thinking } : {})
      }
      const direct = yield* request(prompt(c.question), { parameters, settings })
      const streamed = StreamEvent.accumulate(yield* stream(prompt(c.question), { parameters, settings }))
      expect(comparable(streamed)).toEqual(comparable(direct))
    }), { fastCheck: { numRuns: 30 } })
})

describe("Anthropic layers", () => {
  it.effect("layerConfig fails with a ConfigError naming ANTHROPIC_API_KEY when it is missing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(Anthropic.layerConfig()).pipe(Effect.scoped, Effect.withConfigProvider(emptyProvider)))
      expect(String(error)).toContain("ANTHROPIC_API_KEY")
      expect(String(error)).toContain("is not set")
    }))

  it.effect("layerConfig reads the key and base URL; model() wires it up", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.request(prompt("What is the capital of France?")).pipe(
        Effect.provide(Anthropic.model("claude-haiku-4-5", { retry: false })),
        Effect.withConfigProvider(providerOf({ ANTHROPIC_API_KEY: "from-config-key", ANTHROPIC_BASE_URL: emulator().anthropicBaseURL }))
      )
      expect(response.text).toBe("The capital of France is Paris.")
      expect(emulator().requests[0]?.apiKey).toBe("from-config-key")
    }))

  it.effect("builds the SDK with retries off and its own OpenTelemetry spans off unless asked", () =>
    Effect.gen(function*() {
      const plain = yield* AnthropicClient.make({ apiKey: "k" })
      expect(plain.sdk.maxRetries).toBe(0)
      expect(plain.sdk.openTelemetry.traces.enabled).toBe(false)
      expect((yield* AnthropicClient.make({ apiKey: "k", sdkTelemetry: true })).sdk.openTelemetry.traces.enabled).toBe(true)
      expect((yield* AnthropicClient.make({ apiKey: "k", timeout: 2.5 })).timeoutMs).toBe(2500)
    }))

  it.effect("model() takes client options instead of the environment", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.request(prompt("What is the capital of France?")).pipe(
        Effect.provide(Anthropic.model("claude-haiku-4-5", { client: { apiKey: "option-key", baseURL: emulator().anthropicBaseURL }, retry: false })),
        Effect.withConfigProvider(emptyProvider)
      )
      expect(response.text).toBe("The capital of France is Paris.")
      expect(emulator().requests[0]?.apiKey).toBe("option-key")
    }))
})

const providerOf = (env: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(env)))
const emptyProvider = providerOf({})
