/**
 * Real OpenAI responses (recorded by pydantic-ai's suite) decoded by the codec: JSON bodies
 * through the non-streamed decoder and through the SDK, SSE bodies replayed byte for byte by the
 * emulator through the real SDK into our stream. Expected values are read from the files.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, type ModelResponse, ToolReturnPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { decodeChatCompletion, decodeFinishReason, encodeRequest } from "../src/providers/openai/codec.js"
import { accumulate } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { CHAT, modelLayer, useEmulator } from "./helpers/openai.js"
import { type Expected, expectedFromJson, expectedFromSse, openAiInteractions, sseFrames } from "./helpers/openaiFixtures.js"

const emulator = useEmulator()
const interactions = openAiInteractions()

const check = (response: ModelResponse, expected: Expected) => {
  expect(response.text).toBe(expected.text)
  expect(response.toolCalls.map((c) => ({ id: c.toolCallId, name: c.toolName, args: c.args }))).toEqual(expected.toolCalls)
  expect(response.finishReason).toBe(decodeFinishReason(expected.finishReason))
  expect(response.finishReason).toBeDefined()
  expect(response.usage.inputTokens).toBe(expected.promptTokens)
  expect(response.usage.outputTokens).toBe(expected.completionTokens)
  expect(response.usage.cacheReadTokens).toBe(expected.cachedTokens)
  expect(response.usage.details.reasoning_tokens).toBe(expected.reasoningTokens)
  expect(response.modelName).toBe(expected.model)
  expect(response.providerResponseId).toBe(expected.id)
  expect(response.providerName).toBe("openai")
}

describe("recorded OpenAI fixtures", () => {
  it("covers every OpenAI and dbos cassette, JSON and SSE", () => {
    expect(new Set(interactions.map((i) => i.file)).size).toBe(7)
    expect(interactions.filter((i) => i.json !== undefined)).toHaveLength(6)
    expect(interactions.filter((i) => i.sse !== undefined)).toHaveLength(4)
  })

  for (const interaction of interactions.filter((i) => i.json !== undefined)) {
    const name = `${interaction.file} #${interaction.index}`

    it(`decodes the JSON body of ${name}`, () => {
      const decoded = decodeChatCompletion(interaction.json, { requestedModel: interaction.requestBody.model })
      if (Either.isLeft(decoded)) throw new Error(decoded.left.message)
      check(decoded.right, expectedFromJson(interaction.json))
    })

    it.effect(`replays the JSON body of ${name} through the SDK`, () =>
      Effect.gen(function* () {
        emulator().script(CHAT, { json: interaction.json })
        const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("replay")]).pipe(
          Effect.provide(modelLayer(emulator(), { model: interaction.requestBody.model }))
        )
        check(response, expectedFromJson(interaction.json))
      }))
  }

  for (const interaction of interactions.filter((i) => i.sse !== undefined)) {
    it.effect(`streams the SSE body of ${interaction.file} #${interaction.index} through the SDK`, () =>
      Effect.gen(function* () {
        const frames = sseFrames(interaction.sse!)
        expect(frames.join("")).toBe(interaction.sse)
        emulator().script(CHAT, { sse: frames, headers: { "content-type": "text/event-stream; charset=utf-8" } })
        const events = yield* LanguageModel.requestStream([ModelRequest.userTextPrompt("replay")]).pipe(
          Stream.runCollect,
          Effect.map(Chunk.toArray),
          Effect.provide(modelLayer(emulator(), { model: interaction.requestBody.model }))
        )
        expect(events.at(-1)?._tag).toBe("ResponseMetadataEvent")
        check(accumulate(events), expectedFromSse(interaction.sse!))
      }))
  }

  it("knows the values of a few files by heart (the hand reader above is right)", () => {
    const dbos = interactions.find((i) => i.file.startsWith("test_dbos"))!
    expect(expectedFromSse(dbos.sse!)).toMatchObject({ text: "The capital of Mexico is Mexico City.", finishReason: "stop", promptTokens: 14, completionTokens: 8 })
    const tool = interactions.find((i) => i.file === "test_openai__test_run_stream_sync_streams_real_model.yaml" && i.index === 0)!
    expect(expectedFromSse(tool.sse!)).toMatchObject({
      toolCalls: [{ id: "call_ZR5UUuTt3pf61kjwAJIYdVMj", name: "get_capital", args: { country: "UK" } }],
      finishReason: "tool_calls",
      promptTokens: 53,
      completionTokens: 15
    })
  })
})

describe("recorded OpenAI requests", () => {
  const getCapital = Tool.fromJsonSchema({
    name: "get_capital",
    description: "",
    parametersJsonSchema: { additionalProperties: false, properties: { country: { type: "string" } }, required: ["country"], type: "object" },
    strict: true
  })

  it.effect("a decoded tool call, sent back with its result, encodes to the recorded follow-up request", () =>
    Effect.gen(function* () {
      const [first, second] = interactions.filter((i) => i.file === "test_openai__test_run_stream_sync_streams_real_model.yaml")
      emulator().script(CHAT, { sse: sseFrames(first!.sse!) })
      const prompt = ModelRequest.userTextPrompt(first!.requestBody.messages[0].content)
      const options = { parameters: { functionTools: [getCapital] }, settings: { toolChoice: "auto" as const } }
      const response = yield* LanguageModel.requestStream([prompt], options).pipe(
        Stream.runCollect,
        Effect.map((events) => accumulate(Chunk.toArray(events))),
        Effect.provide(modelLayer(emulator(), { model: "gpt-4o-mini" }))
      )
      // what we sent first is what pydantic-ai sent
      const sent = emulator().requests[0]!.body as Record<string, unknown>
      for (const key of ["messages", "model", "stream", "stream_options", "tool_choice", "tools"]) expect(sent[key]).toEqual(first!.requestBody[key])

      const call = response.toolCalls[0]!
      const history = [prompt, response, new ModelRequest({ parts: [new ToolReturnPart({ toolName: call.toolName, content: "London", toolCallId: call.toolCallId })] })]
      const encoded = encodeRequest("gpt-4o-mini", history, ModelRequestParameters.from(options.parameters), options.settings)
      if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
      expect(encoded.right.body.messages).toEqual(second!.requestBody.messages)
      expect(encoded.right.body.tools).toEqual(second!.requestBody.tools)
      expect(encoded.right.body.tool_choice).toBe(second!.requestBody.tool_choice)
    }))

  it("instructions encode to the recorded system message", () => {
    const recorded = interactions.find((i) => i.file === "test_openai__test_openai_instructions.yaml")!.requestBody
    const encoded = encodeRequest(
      "gpt-4o",
      [ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "You are a helpful assistant." })],
      ModelRequestParameters.from(),
      {}
    )
    if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
    expect(encoded.right.body.messages).toEqual(recorded.messages)
  })

  it("an output tool with text not allowed encodes to the recorded tools and tool_choice", () => {
    const recorded = interactions.find((i) => i.file === "test_openai__test_openai_tool_output.yaml" && i.index === 0)!.requestBody
    const country = Tool.fromJsonSchema({ name: "get_user_country", description: "", parametersJsonSchema: { additionalProperties: false, properties: {}, type: "object" } })
    const finalResult = Tool.fromJsonSchema({
      name: "final_result",
      description: "The final response which ends this conversation",
      parametersJsonSchema: { properties: { city: { type: "string" }, country: { type: "string" } }, required: ["city", "country"], type: "object" }
    })
    const encoded = encodeRequest(
      "gpt-4o",
      [ModelRequest.userTextPrompt(recorded.messages[0].content)],
      ModelRequestParameters.from({ functionTools: [country], outputTools: [finalResult], allowTextOutput: false }),
      {}
    )
    if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
    expect(encoded.right.body.tools).toEqual(recorded.tools)
    expect(encoded.right.body.tool_choice).toBe(recorded.tool_choice)
    expect(encoded.right.body.messages).toEqual(recorded.messages)
  })
})
