/**
 * Tools given as plain objects (`{ name, description, parametersJsonSchema }`, no `Tool.make`)
 * work at every entry point that takes tools: requests, streams, `Batch.create`, `Batch.run`
 * and the promise facade, on both providers, through the real SDKs against the emulator. A bad
 * plain tool is an InvalidInputError before any network call.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"
import { InvalidInputError } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import type * as BatchModel from "../src/BatchModel.js"
import { batchCreate, modelRequest, modelRequestBatch, modelRequestStream } from "../src/direct/index.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, type ModelResponse, ToolCallPart } from "../src/Message.js"
import * as Output from "../src/Output.js"
import { ModelRequestParameters, type ModelRequestParametersInput } from "../src/Parameters.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as OpenAi from "../src/OpenAiProvider.js"
import { accumulate } from "../src/StreamEvent.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { ToolDefinition, type ToolDefinitionInput } from "../src/Tool.js"

// a plain object, typed only as what the input types accept: no class, no Tool.make
const divide = {
  name: "divide",
  description: "Divide two numbers.",
  parametersJsonSchema: {
    type: "object",
    properties: { numerator: { type: "number" }, denominator: { type: "number" } },
    required: ["numerator", "denominator"]
  }
} satisfies ToolDefinitionInput

const parameters: ModelRequestParametersInput = { functionTools: [divide] }
const ask = () => [ModelRequest.userTextPrompt("Divide 10 by 4")]
const KEY = "emu-plain-tools-key"

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  emulator.openaiBatches.reset()
  emulator.anthropicBatches.reset()
  // batches complete at create: Batch.run's first status check finds them done
  emulator.openaiBatches.lifecycle = { statusCalls: 0 }
  emulator.anthropicBatches.lifecycle = { statusCalls: 0 }
})

const providers = {
  openai: {
    model: () =>
      OpenAi.languageModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey: Redacted.make(KEY), baseURL: emulator.openaiBaseURL }))),
    batch: (): Layer.Layer<BatchModel.BatchModel> =>
      OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey: Redacted.make(KEY), baseURL: emulator.openaiBaseURL }))),
    /** The tools of the last chat request the emulator received. */
    wireTools: (): unknown => (emulator.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)?.body as { tools?: unknown } | undefined)?.tools,
    /** The tools of each line of the last uploaded batch file. */
    batchTools: (): ReadonlyArray<unknown> => {
      const batch = emulator.openaiBatches.batches().at(-1)
      const text = batch === undefined ? undefined : emulator.openaiBatches.fileText(batch.inputFileId)
      return (text ?? "").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { body: { tools?: unknown } }).body.tools)
    },
    expectedTools: [{ type: "function", function: { name: "divide", description: "Divide two numbers.", parameters: divide.parametersJsonSchema } }]
  },
  anthropic: {
    model: () =>
      Anthropic.languageModel("claude-haiku-4-5").pipe(Layer.provide(Anthropic.layer({ apiKey: Redacted.make(KEY), baseURL: emulator.anthropicBaseURL }))),
    batch: (): Layer.Layer<BatchModel.BatchModel> =>
      Anthropic.batchModel("claude-haiku-4-5").pipe(Layer.provide(Anthropic.layer({ apiKey: Redacted.make(KEY), baseURL: emulator.anthropicBaseURL }))),
    wireTools: (): unknown => (emulator.requests.filter((r) => r.path === "/v1/messages").at(-1)?.body as { tools?: unknown } | undefined)?.tools,
    batchTools: (): ReadonlyArray<unknown> => (emulator.anthropicBatches.batches().at(-1)?.params ?? []).map((p) => p.tools),
    expectedTools: [{ name: "divide", description: "Divide two numbers.", input_schema: divide.parametersJsonSchema }]
  }
} as const

/** The divide call the emulator's model makes with the numbers of the prompt. */
const expectDivideCall = (response: ModelResponse) => {
  const call = response.parts.find((p): p is ToolCallPart => p instanceof ToolCallPart)
  expect(call?.toolName).toBe("divide")
  expect(call?.argsAsObject).toEqual({ numerator: 10, denominator: 4 })
}

describe("plain-object tools", () => {
  it("are made ToolDefinitions (validated) by ModelRequestParameters, Output and OpenAi.Batch", () => {
    const built = new ModelRequestParameters({ functionTools: [divide], outputTools: [{ ...divide, name: "final_result" }] })
    expect(built.functionTools[0]).toBeInstanceOf(ToolDefinition)
    expect(built.functionTools[0]).toEqual(new ToolDefinition(divide))
    expect(built.outputTools[0]?.name).toBe("final_result")
    expect(ModelRequestParameters.from({ functionTools: [divide] }).allTools.map((t) => t instanceof ToolDefinition)).toEqual([true])
    // class instances are kept as they are
    const made = new ToolDefinition(divide)
    expect(new ModelRequestParameters({ functionTools: [made] }).functionTools[0]).toBe(made)
    const output = Output.tool(Schema.Struct({ quotient: Schema.Number }), { functionTools: [divide] })
    expect(output.functionTools[0]).toBeInstanceOf(ToolDefinition)
    const request = OpenAi.Batch.createChatRequest({ customId: "a", prompt: "Divide 10 by 4", model: "gpt-4o-mini", tools: [divide] })
    expect(request.parameters?.functionTools[0]).toBeInstanceOf(ToolDefinition)
    // a bad plain tool names the field
    expect(() => new ModelRequestParameters({ functionTools: [{ ...divide, name: "not a name" }] })).toThrow(/a tool name must match/)
    // from JavaScript, anything else says what a tool is
    expect(() => new ModelRequestParameters({ functionTools: [null as unknown as ToolDefinitionInput] })).toThrow(/a tool must be a ToolDefinition or an object/)
  })

  for (const [name, provider] of Object.entries(providers)) {
    describe(name, () => {
      it.effect("LanguageModel.request sends them and the model calls them", () =>
        Effect.gen(function*() {
          const response = yield* LanguageModel.request(ask(), { parameters }).pipe(Effect.provide(provider.model()))
          expectDivideCall(response)
          expect(provider.wireTools()).toEqual(provider.expectedTools)
        }))

      it.effect("LanguageModel.requestStream sends them and the model calls them", () =>
        Effect.gen(function*() {
          const events = yield* LanguageModel.requestStream(ask(), { parameters }).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(provider.model()))
          expectDivideCall(accumulate(events))
          expect(provider.wireTools()).toEqual(provider.expectedTools)
        }))

      it.effect("a bad plain tool is an InvalidInputError before any network call", () =>
        Effect.gen(function*() {
          const bad = { functionTools: [{ ...divide, name: "divide numbers" }] }
          const error = yield* Effect.flip(LanguageModel.request(ask(), { parameters: bad }).pipe(Effect.provide(provider.model())))
          expect(error).toBeInstanceOf(InvalidInputError)
          expect(error.message).toMatch(/a tool name must match/)
          const batchError = yield* Effect.flip(Batch.create([{ customId: "a", messages: ask(), parameters: bad }]).pipe(Effect.provide(provider.batch())))
          expect(batchError).toBeInstanceOf(InvalidInputError)
          expect(batchError.message).toMatch(/a tool name must match/)
          expect(emulator.requests).toEqual([])
        }))

      it.effect("Batch.create puts them in every request of the upload", () =>
        Effect.gen(function*() {
          const batch = yield* Batch.create([
            { customId: "a", messages: ask(), parameters },
            { customId: "b", messages: ask(), parameters: { functionTools: [divide], allowTextOutput: true } }
          ]).pipe(Effect.provide(provider.batch()))
          expect(batch.requestCount).toBe(2)
          expect(provider.batchTools()).toEqual([provider.expectedTools, provider.expectedTools])
        }))

      it.live("Batch.run returns the tool calls", () =>
        Effect.gen(function*() {
          const results = yield* Batch.run([{ customId: "a", messages: ask(), parameters }], { pollInterval: "10 millis" }).pipe(Effect.provide(provider.batch()))
          expect(results).toHaveLength(1)
          const [result] = results
          if (result === undefined || !result.isSuccessful) throw new Error(`expected a success, got ${JSON.stringify(result)}`)
          expectDivideCall(result.response)
          expect(provider.batchTools()).toEqual([provider.expectedTools])
        }))

      it("the facade: modelRequest, modelRequestStream, modelRequestBatch and batchCreate", async () => {
        expectDivideCall(await modelRequest(provider.model(), ask(), { modelRequestParameters: parameters }))
        expect(provider.wireTools()).toEqual(provider.expectedTools)
        const stream = modelRequestStream(provider.model(), ask(), { modelRequestParameters: parameters })
        for await (const _ of stream) {
          // drained
        }
        expectDivideCall(stream.response)
        const results = await modelRequestBatch(provider.batch(), [["a", ask(), parameters], ["b", ask()]], {
          modelRequestParameters: { functionTools: [divide] },
          pollInterval: 0.01
        })
        for (const result of results) {
          if (!result.isSuccessful) throw new Error(`expected a success, got ${JSON.stringify(result)}`)
          expectDivideCall(result.response)
        }
        const batch = await batchCreate(provider.batch(), [{ customId: "c", messages: ask(), parameters }])
        expect(batch.requestCount).toBe(1)
        expect(provider.batchTools()).toEqual([provider.expectedTools])
      })
    })
  }
})
