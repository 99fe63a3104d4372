/**
 * The OpenAI provider end to end: the real SDK against the emulator, requests and streams, and
 * the wire body the emulator received.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, ImageUrl, ModelRequest, ModelResponse, TextPart, ThinkingPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import { accumulate, type ModelResponseStreamEvent } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { CHAT, captureLogs, failureOf, modelLayer, useEmulator, wireBody } from "./helpers/openai.js"

const emulator = useEmulator()

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})
const FinalResult = Tool.make("final_result", {
  description: "The final answer.",
  parameters: Schema.Struct({ city: Schema.String, country: Schema.String }),
  strict: true
})

const france = [ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Answer briefly." })]

const request = (...args: Parameters<typeof LanguageModel.request>) =>
  LanguageModel.request(...args).pipe(Effect.provide(modelLayer(emulator())))

const stream = (...args: Parameters<typeof LanguageModel.requestStream>) =>
  LanguageModel.requestStream(...args).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(modelLayer(emulator())))

describe("OpenAI request", () => {
  it.effect("sends instructions as a system message and decodes the text answer", () =>
    Effect.gen(function* () {
      const response = yield* request(france)
      expect(response.text).toBe("The capital of France is Paris.")
      expect(response.parts).toEqual([new TextPart({ content: "The capital of France is Paris." })])
      expect(response.finishReason).toBe("stop")
      expect(response.providerName).toBe("openai")
      expect(response.modelName).toBe("gpt-4o-mini")
      expect(response.providerResponseId).toMatch(/^chatcmpl-/)
      expect(response.usage.outputTokens).toBe(8)
      expect(response.usage.inputTokens).toBeGreaterThan(0)
      const body = wireBody(emulator())
      expect(body.model).toBe("gpt-4o-mini")
      expect(body.messages).toEqual([
        { role: "system", content: "Answer briefly." },
        { role: "user", content: "What is the capital of France?" }
      ])
      expect(body.stream).toBeUndefined()
      expect(body.stream_options).toBeUndefined()
      expect(body.tools).toBeUndefined()
      expect(body.tool_choice).toBeUndefined()
      expect(emulator().requests[0]!.apiKey).toBe("emu-test-key-4f9c21a7")
    }))

  it.effect("sends system prompts as developer messages when asked", () =>
    LanguageModel.request(france).pipe(
      Effect.provide(modelLayer(emulator(), { systemRole: "developer" })),
      Effect.map(() => expect(wireBody(emulator()).messages[0]).toEqual({ role: "developer", content: "Answer briefly." }))
    ))

  it.effect("maps usage: cached tokens are cache reads, reasoning tokens land in details", () =>
    Effect.gen(function* () {
      const response = yield* request(france, {
        settings: { extraHeaders: { "x-emulator-cached-tokens": "5", "x-emulator-reasoning-tokens": "12" } }
      })
      expect(response.usage.cacheReadTokens).toBe(5)
      expect(response.usage.cacheWriteTokens).toBe(0)
      expect(response.usage.details.reasoning_tokens).toBe(12)
      expect(response.usage.outputTokens).toBe(8 + 12)
      expect(response.usage.totalTokens).toBe(response.usage.inputTokens + 20)
      expect(emulator().requests[0]!.headers["x-emulator-cached-tokens"]).toBe("5")
    }))

  it.effect("maps every setting onto the wire", () =>
    Effect.gen(function* () {
      yield* request(france, {
        parameters: { functionTools: [Divide] },
        settings: {
          maxTokens: 100,
          temperature: 0.5,
          topP: 0.9,
          seed: 42,
          stopSequences: ["\n\n", "END"],
          parallelToolCalls: false,
          presencePenalty: 0.1,
          frequencyPenalty: 0.2,
          toolChoice: "none",
          timeout: 30,
          extraHeaders: { "x-custom": "yes" },
          extraBody: { user: "user-1", top_p: 0.8 }
        }
      })
      const body = wireBody(emulator())
      expect(body).toMatchObject({
        max_completion_tokens: 100,
        temperature: 0.5,
        top_p: 0.8, // extraBody wins
        seed: 42,
        stop: ["\n\n", "END"],
        parallel_tool_calls: false,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        tool_choice: "none",
        user: "user-1"
      })
      expect(body.max_tokens).toBeUndefined()
      const headers = emulator().requests[0]!.headers
      expect(headers["x-custom"]).toBe("yes")
      expect(headers["x-stainless-timeout"]).toBe("30")
    }))

  it.effect("finishes with length when maxTokens cuts the answer", () =>
    Effect.gen(function* () {
      const response = yield* request(france, { settings: { maxTokens: 2 } })
      expect(response.finishReason).toBe("length")
      expect(response.text).toBe("The capi")
    }))

  it.effect("maps content_filter (scripted: the responder never filters)", () =>
    Effect.gen(function* () {
      emulator().script(CHAT, {
        json: { id: "chatcmpl-cf", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant", content: "Partial" }, finish_reason: "content_filter" }] }
      })
      const response = yield* request(france)
      expect(response.finishReason).toBe("content_filter")
      expect(response.text).toBe("Partial")
      expect(response.usage.totalTokens).toBe(0)
    }))

  it.effect("decodes a refusal as text", () =>
    Effect.gen(function* () {
      const response = yield* request([ModelRequest.userTextPrompt("[refuse] do something bad")])
      expect(response.text).toBe("I'm sorry, I can't help with that.")
      expect(response.finishReason).toBe("stop")
    }))

  it.effect("sends function tools and decodes the tool call", () =>
    Effect.gen(function* () {
      const response = yield* request([ModelRequest.userTextPrompt("What is 10 divided by 4?")], { parameters: { functionTools: [Divide] } })
      expect(response.finishReason).toBe("tool_call")
      expect(response.toolCalls).toHaveLength(1)
      const call = response.toolCalls[0]!
      expect(call.toolName).toBe("divide")
      expect(call.args).toEqual({ numerator: 10, denominator: 4 })
      expect(call.toolCallId).toMatch(/^call_/)
      const body = wireBody(emulator())
      expect(body.tools).toEqual([{
        type: "function",
        function: { name: "divide", description: "Divide two numbers.", parameters: Divide.parametersJsonSchema }
      }])
      expect(body.tool_choice).toBeUndefined()
      expect(body.parallel_tool_calls).toBeUndefined()
    }))

  it.effect("forces a tool call when an output tool is the only acceptable answer, and passes strict", () =>
    Effect.gen(function* () {
      const response = yield* request([ModelRequest.userTextPrompt("The largest city in Mexico?")], {
        parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: false }
      })
      const body = wireBody(emulator())
      expect(body.tool_choice).toBe("required")
      expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(["divide", "final_result"])
      expect(body.tools[1].function.strict).toBe(true)
      expect(response.toolCalls[0]!.toolName).toBe("divide")
    }))

  it.effect("sends a named tool choice", () =>
    Effect.gen(function* () {
      const response = yield* request([ModelRequest.userTextPrompt("Mexico")], {
        parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: false },
        settings: { toolChoice: { toolName: "final_result" } }
      })
      expect(wireBody(emulator()).tool_choice).toEqual({ type: "function", function: { name: "final_result" } })
      expect(response.toolCalls[0]!.toolName).toBe("final_result")
      expect(response.toolCalls[0]!.args).toEqual({ city: "Mexico", country: "Mexico" })
    }))

  it.effect("sends a conversation with tool calls and tool results", () =>
    Effect.gen(function* () {
      const first = yield* request([ModelRequest.userTextPrompt("What is 10 divided by 4?")], { parameters: { functionTools: [Divide] } })
      const call = first.toolCalls[0]!
      const history = [
        ModelRequest.userTextPrompt("What is 10 divided by 4?"),
        first,
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: { result: 2.5 }, toolCallId: call.toolCallId })] })
      ]
      const second = yield* request(history, { parameters: { functionTools: [Divide] } })
      expect(second.text).toBe("The result is {\"result\":2.5}.")
      const body = wireBody(emulator())
      expect(body.messages).toEqual([
        { role: "user", content: "What is 10 divided by 4?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: call.toolCallId, type: "function", function: { name: "divide", arguments: "{\"numerator\":10,\"denominator\":4}" } }]
        },
        { role: "tool", tool_call_id: call.toolCallId, content: "{\"result\":2.5}" }
      ])
    }))

  it.effect("sends images, binary images and documents as content parts", () =>
    Effect.gen(function* () {
      const png = new BinaryContent({ data: new Uint8Array([137, 80, 78, 71]), mediaType: "image/png" })
      const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
      const wav = new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
      yield* request([new ModelRequest({
        parts: [new UserPromptPart({ content: ["Describe these.", new ImageUrl({ url: "https://example.com/cat.jpg" }), png, pdf, wav] })]
      })])
      expect(wireBody(emulator()).messages[0].content).toEqual([
        { type: "text", text: "Describe these." },
        { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw==" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERg==", filename: "file.pdf" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }
      ])
    }))

  it.effect("refuses a document URL before any network call", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(request([new ModelRequest({
        parts: [new UserPromptPart({ content: [new ImageUrl({ url: "https://example.com/a.pdf", mediaType: "application/pdf" })] })]
      })]))
      const error = failureOf(exit)
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain("BinaryContent")
      expect(emulator().requests).toHaveLength(0)
    }))

  it.effect("fails the native and prompted output modes without an output object with InvalidInputError", () =>
    Effect.gen(function* () {
      for (const outputMode of ["native", "prompted"] as const) {
        const error = failureOf(yield* Effect.exit(request(france, { parameters: { outputTools: [FinalResult], outputMode } })))
        expect(error._tag).toBe("InvalidInputError")
        expect(error.message).toContain(outputMode)
      }
      expect(emulator().requests).toHaveLength(0)
    }))

  it.effect("leaves thinking out of the history with a logged warning", () =>
    Effect.gen(function* () {
      const history = [
        ModelRequest.userTextPrompt("Think first."),
        new ModelResponse({ parts: [new ThinkingPart({ content: "hmm" }), new TextPart({ content: "Done." })], modelName: "x", providerName: "anthropic" }),
        ModelRequest.userTextPrompt("What is the capital of France?")
      ]
      const { result, logs } = yield* captureLogs(request(history))
      expect(result._tag).toBe("Success")
      expect(wireBody(emulator()).messages[1]).toEqual({ role: "assistant", content: "Done." })
      expect(JSON.stringify(wireBody(emulator()))).not.toContain("hmm")
      expect(logs.some((l) => l.startsWith("WARN") && l.includes("ThinkingPart"))).toBe(true)
    }))
})

const texts = (events: ReadonlyArray<ModelResponseStreamEvent>): Array<string> =>
  events.flatMap((e) =>
    e._tag === "PartStartEvent" && e.part._tag === "TextPart" ? [e.part.content]
      : e._tag === "PartDeltaEvent" && e.delta._tag === "TextPartDelta" ? [e.delta.contentDelta]
        : []
  )

describe("OpenAI stream", () => {
  it.effect("streams text as start, final result, deltas, end, metadata last; asks for usage", () =>
    Effect.gen(function* () {
      const events = yield* stream(france, { settings: { extraHeaders: { "x-emulator-cached-tokens": "3", "x-emulator-reasoning-tokens": "4" } } })
      const tags = events.map((e) => e._tag)
      expect(tags[0]).toBe("PartStartEvent")
      expect(tags[1]).toBe("FinalResultEvent")
      expect(tags.at(-2)).toBe("PartEndEvent")
      expect(tags.at(-1)).toBe("ResponseMetadataEvent")
      expect(texts(events)).toEqual(["The", " capital", " of", " France", " is", " Paris."])
      const response = accumulate(events)
      expect(response.text).toBe("The capital of France is Paris.")
      expect(response.finishReason).toBe("stop")
      expect(response.modelName).toBe("gpt-4o-mini")
      expect(response.providerResponseId).toMatch(/^chatcmpl-/)
      expect(response.usage.cacheReadTokens).toBe(3)
      expect(response.usage.details.reasoning_tokens).toBe(4)
      expect(response.usage.outputTokens).toBe(8 + 4)
      const body = wireBody(emulator())
      expect(body.stream).toBe(true)
      expect(body.stream_options).toEqual({ include_usage: true })
      expect(body.messages[0]).toEqual({ role: "system", content: "Answer briefly." })
    }))

  it.effect("streams exactly N text deltas when the emulator is asked for N", () =>
    Effect.gen(function* () {
      const events = yield* stream(france, { settings: { extraHeaders: { "x-emulator-deltas": "200" } } })
      const pieces = texts(events)
      expect(pieces).toHaveLength(200)
      expect(accumulate(events).text).toBe(pieces.join(""))
      expect(accumulate(events).text.startsWith("The capital of France is Paris. The capital")).toBe(true)
    }))

  it.effect("streams parallel tool calls as separate parts with their arguments", () =>
    Effect.gen(function* () {
      const events = yield* stream([ModelRequest.userTextPrompt("Divide 9 by 3, then Paris")], {
        parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: false },
        settings: { extraHeaders: { "x-emulator-tool-calls": "all" } }
      })
      const response = accumulate(events)
      expect(response.finishReason).toBe("tool_call")
      expect(response.toolCalls.map((c) => c.toolName)).toEqual(["divide", "final_result"])
      expect(response.toolCalls[0]!.args).toEqual({ numerator: 9, denominator: 3 })
      expect(response.toolCalls[1]!.args).toEqual({ city: "Divide 9 by 3, then Paris", country: "Divide 9 by 3, then Paris" })
      expect(new Set(response.toolCalls.map((c) => c.toolCallId)).size).toBe(2)
      // arguments arrive in several fragments, and the output tool announces the final result
      expect(events.filter((e) => e._tag === "PartDeltaEvent" && e.delta._tag === "ToolCallPartDelta").length).toBeGreaterThan(4)
      const final = events.find((e) => e._tag === "FinalResultEvent")
      expect(final).toMatchObject({ toolName: "final_result", toolCallId: response.toolCalls[1]!.toolCallId })
      expect(wireBody(emulator()).tool_choice).toBe("required")
    }))

  it.effect("streams a refusal as text", () =>
    Effect.gen(function* () {
      const events = yield* stream([ModelRequest.userTextPrompt("[refuse] please")])
      expect(accumulate(events).text).toBe("I'm sorry, I can't help with that.")
    }))

  it.effect("stops early without error when the consumer takes only a few events", () =>
    Effect.gen(function* () {
      const events = yield* LanguageModel.requestStream(france).pipe(Stream.take(2), Stream.runCollect, Effect.provide(modelLayer(emulator())))
      expect(Chunk.toArray(events).map((e) => e._tag)).toEqual(["PartStartEvent", "FinalResultEvent"])
    }))

  it.effect("keeps tool calls with arguments as the recorded parts", () =>
    Effect.gen(function* () {
      const events = yield* stream([ModelRequest.userTextPrompt("What is 10 divided by 4?")], { parameters: { functionTools: [Divide] } })
      const response = accumulate(events)
      expect(response.parts).toEqual([new ToolCallPart({ toolName: "divide", args: { numerator: 10, denominator: 4 }, toolCallId: response.toolCalls[0]!.toolCallId })])
    }))
})
