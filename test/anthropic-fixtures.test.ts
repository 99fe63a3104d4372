/**
 * Real recorded Anthropic exchanges (test/fixtures/recorded, from pydantic-ai's cassettes):
 * JSON responses through the decoder, the SSE body replayed byte for byte through the emulator
 * and the real SDK into our stream, and our wire requests compared with the recorded ones.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import { readFileSync } from "node:fs"
import { parse } from "yaml"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ToolReturnPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { decodeMessage } from "../src/providers/anthropic/codec.js"
import { StreamDecoder } from "../src/providers/anthropic/streamDecoder.js"
import * as StreamEvent from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { modelLayer, sseFramesOf, useEmulator, wireBody } from "./helpers/anthropic.js"

interface Interaction {
  readonly request: { readonly parsed_body: Record<string, unknown> }
  readonly response: { readonly parsed_body?: Record<string, unknown>; readonly body?: { readonly string: string }; readonly status: { readonly code: number } }
}
const cassette = (name: string): ReadonlyArray<Interaction> =>
  (parse(readFileSync(new URL(`./fixtures/recorded/${name}`, import.meta.url), "utf8")) as { interactions: ReadonlyArray<Interaction> }).interactions

const emulator = useEmulator()
const route = "POST /v1/messages" as const
const withoutStreamFlag = ({ stream: _, ...body }: Record<string, unknown>) => body

describe("recorded: test_anthropic__test_request_stream_fallback_for_high_max_tokens", () => {
  const [interaction] = cassette("test_anthropic__test_request_stream_fallback_for_high_max_tokens.yaml")
  const sse = interaction!.response.body!.string
  const recordedRequest = interaction!.request.parsed_body
  const messages = [ModelRequest.userTextPrompt("What is 1+1? Answer with just the number.")]

  const expectRecordedAnswer = (response: import("../src/Message.js").ModelResponse) => {
    expect(response.text).toBe("2")
    expect(response.toolCalls).toHaveLength(0)
    expect(response.finishReason).toBe("stop")
    expect(response.modelName).toBe("claude-sonnet-4-5-20250929")
    expect(response.providerResponseId).toBe("msg_018E1hg8GoVTGEKQY3ovMcSJ")
    expect(response.usage.inputTokens).toBe(20)
    expect(response.usage.outputTokens).toBe(5)
    expect(response.usage.cacheReadTokens).toBe(0)
    expect(response.usage.cacheWriteTokens).toBe(0)
  }

  it.effect("a request with max_tokens 32000 goes out streamed, as recorded, and decodes the recorded SSE", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: sseFramesOf(sse), headers: { "content-type": "text/event-stream; charset=utf-8" } })
      const response = yield* LanguageModel.request(messages, { settings: { maxTokens: 32_000 } }).pipe(
        Effect.provide(modelLayer(emulator(), { model: "claude-sonnet-4-5" }))
      )
      expectRecordedAnswer(response)
      expect(wireBody(emulator())).toEqual(recordedRequest)
    }))

  it.effect("the recorded SSE through the real SDK gives the event grammar: start, final, end, metadata", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: sseFramesOf(sse) })
      const events = Chunk.toArray(yield* LanguageModel.requestStream(messages, { settings: { maxTokens: 32_000 } }).pipe(
        Stream.runCollect,
        Effect.provide(modelLayer(emulator(), { model: "claude-sonnet-4-5" }))
      ))
      expect(events.map((e) => e._tag)).toEqual(["PartStartEvent", "FinalResultEvent", "PartEndEvent", "ResponseMetadataEvent"])
      expectRecordedAnswer(StreamEvent.accumulate(events))
    }))

  it("the recorded events straight into the stream decoder give the same response", () => {
    const decoder = new StreamDecoder(ModelRequestParameters.from(), "claude-sonnet-4-5")
    const events = sseFramesOf(sse).flatMap((frame) => {
      const data = frame.split("\n").find((line) => line.startsWith("data: "))
      return data === undefined ? [] : Either.getOrThrow(decoder.push(JSON.parse(data.slice(6))))
    })
    expect(decoder.complete).toBe(true)
    expectRecordedAnswer(StreamEvent.accumulate(events))
  })
})

describe("recorded: test_anthropic__test_anthropic_tool_output", () => {
  const [first, second] = cassette("test_anthropic__test_anthropic_tool_output.yaml")
  const getUserCountry = Tool.fromJsonSchema({
    name: "get_user_country",
    description: "",
    parametersJsonSchema: { additionalProperties: false, properties: {}, type: "object" }
  })
  const finalResult = Tool.fromJsonSchema({
    name: "final_result",
    description: "The final response which ends this conversation",
    parametersJsonSchema: (first!.request.parsed_body.tools as ReadonlyArray<{ input_schema: Record<string, unknown> }>)[1]!.input_schema
  })
  const parameters = { functionTools: [getUserCountry], outputTools: [finalResult], allowTextOutput: false }
  const question = ModelRequest.userTextPrompt("What is the largest city in the user country?")

  it("decodes the recorded tool_use messages", () => {
    const one = Either.getOrThrow(decodeMessage(first!.response.parsed_body))
    expect(one.toolCalls).toHaveLength(1)
    expect(one.toolCalls[0]).toMatchObject({ toolName: "get_user_country", toolCallId: "toolu_01X9wcHKKAZD9tBC711xipPa", args: {} })
    expect(one.finishReason).toBe("tool_call")
    expect(one.usage).toMatchObject({ inputTokens: 445, outputTokens: 23, cacheReadTokens: 0, cacheWriteTokens: 0 })
    expect(one.modelName).toBe("claude-sonnet-4-5-20250929")
    expect(one.providerResponseId).toBe("msg_012TXW181edhmR5JCsQRsBKx")
    expect(one.providerName).toBe("anthropic")

    const two = Either.getOrThrow(decodeMessage(second!.response.parsed_body))
    expect(two.toolCalls[0]).toMatchObject({ toolName: "final_result", toolCallId: "toolu_01LZABsgreMefH2Go8D5PQbW", args: { city: "Mexico City", country: "Mexico" } })
    expect(two.usage.inputTokens).toBe(497)
    expect(two.usage.outputTokens).toBe(56)
    expect(two.text).toBe("")
  })

  it.effect("replays both turns through the SDK and sends what pydantic-ai sent", () =>
    Effect.gen(function*() {
      emulator().script(route, { json: first!.response.parsed_body }, { json: second!.response.parsed_body })
      const layer = modelLayer(emulator(), { model: "claude-sonnet-4-5" })

      const one = yield* LanguageModel.request([question], { parameters }).pipe(Effect.provide(layer))
      expect(one.toolCalls[0]?.toolName).toBe("get_user_country")
      expect(wireBody(emulator())).toEqual(withoutStreamFlag(first!.request.parsed_body))

      const history = [
        question,
        one,
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "get_user_country", content: "Mexico", toolCallId: one.toolCalls[0]!.toolCallId })] })
      ]
      const two = yield* LanguageModel.request(history, { parameters }).pipe(Effect.provide(layer))
      expect(two.toolCalls[0]?.args).toEqual({ city: "Mexico City", country: "Mexico" })
      expect(two.finishReason).toBe("tool_call")
      expect(wireBody(emulator())).toEqual(withoutStreamFlag(second!.request.parsed_body))
    }))
})
