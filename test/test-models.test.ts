import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema, Stream } from "effect"
import { RateLimitError } from "../src/AiError.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart } from "../src/Message.js"
import { accumulateStream } from "../src/StreamEvent.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import * as TestModel from "../src/testing/TestModel.js"
import * as Tool from "../src/Tool.js"

const DivideArgs = Schema.Struct({
  numerator: Schema.Number,
  denominator: Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)),
  onInf: Schema.optionalWith(Schema.Literal("error", "infinity"), { default: () => "infinity" as const })
})
const Divide = Tool.make("divide", { description: "Divide two numbers.", parameters: DivideArgs })
const PersonArgs = Schema.Struct({ name: Schema.String.pipe(Schema.minLength(3)), tags: Schema.Array(Schema.String), address: Schema.Struct({ city: Schema.String }) })
const Person = Tool.make("person", { parameters: PersonArgs })

describe("TestModel", () => {
  it.effect("calls every tool with arguments valid for its schema", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("What is 123 / 456?")], {
        parameters: { functionTools: [Divide, Person] }
      })
      expect(response.toolCalls.map((c) => c.toolName)).toEqual(["divide", "person"])
      Schema.decodeUnknownSync(DivideArgs)(response.toolCalls[0]!.args)
      const person = Schema.decodeUnknownSync(PersonArgs)(response.toolCalls[1]!.args)
      expect(person.name.length).toBeGreaterThanOrEqual(3)
      expect(response.finishReason).toBe("tool_call")
      expect(response.providerName).toBe("test")
    }).pipe(Effect.provide(TestModel.layer())))

  it.effect("answers text after tool results, and the output tool when there is one", () =>
    Effect.gen(function* () {
      const call = new ToolCallPart({ toolName: "divide", args: { numerator: 1, denominator: 2 }, toolCallId: "c" })
      const history = [
        ModelRequest.userTextPrompt("What is 1 / 2?"),
        new ModelResponse({ parts: [call], modelName: "test", providerName: "test" }),
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: 0.5, toolCallId: "c" })] })
      ]
      const text = yield* LanguageModel.request(history, { parameters: { functionTools: [Divide] } })
      expect(text.text).toBe("{\"divide\":0.5}")
      const Final = Tool.make("final_result", { parameters: Schema.Struct({ answer: Schema.Number }) })
      const out = yield* LanguageModel.request(history, { parameters: { functionTools: [Divide], outputTools: [Final], allowTextOutput: false } })
      expect(out.toolCalls[0]?.toolName).toBe("final_result")
      expect(out.toolCalls[0]?.args).toEqual({ answer: 0 })
    }).pipe(Effect.provide(TestModel.layer())))

  it.effect("streams the same response it returns", () =>
    Effect.gen(function* () {
      const messages = [ModelRequest.userTextPrompt("hello")]
      const direct = yield* LanguageModel.request(messages)
      const streamed = yield* accumulateStream(LanguageModel.requestStream(messages))
      expect(streamed.parts).toEqual(direct.parts)
      expect(streamed.usage).toEqual(direct.usage)
      expect(direct.text).toBe("success (no tool calls)")
    }).pipe(Effect.provide(TestModel.layer())))

  it.effect("fails an empty message list before calling anything", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.request([]))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toMatch(/message list is empty/)
    }).pipe(Effect.provide(TestModel.layer())))
})

describe("FunctionModel", () => {
  it.effect("returns what the function decides, and its errors", () =>
    Effect.gen(function* () {
      let calls = 0
      const layer = FunctionModel.layer((messages) => {
        calls++
        return calls === 1 ? Effect.fail(new RateLimitError({ provider: "function" })) : `echo: ${messages.length}`
      })
      const first = yield* Effect.flip(LanguageModel.request([ModelRequest.userTextPrompt("a")])).pipe(Effect.provide(layer))
      expect(first._tag).toBe("RateLimitError")
      const second = yield* LanguageModel.request([ModelRequest.userTextPrompt("a")]).pipe(Effect.provide(layer))
      expect(second.parts).toEqual([new TextPart({ content: "echo: 1" })])
    }))

  it.effect("streams text chunks from a stream function", () =>
    Effect.gen(function* () {
      const layer = FunctionModel.layer(() => "unused", { stream: () => Stream.make("Hel", "lo") })
      const events = yield* Stream.runCollect(LanguageModel.requestStream([ModelRequest.userTextPrompt("a")])).pipe(Effect.provide(layer))
      const tags = Array.from(events).map((e) => e._tag)
      expect(tags).toEqual(["PartStartEvent", "FinalResultEvent", "PartDeltaEvent", "PartEndEvent", "ResponseMetadataEvent"])
    }))

  it.effect("warns about an unsupported setting by name", () =>
    Effect.gen(function* () {
      const logs: Array<string> = []
      const { Logger } = yield* Effect.promise(() => import("effect"))
      const logger = Logger.make(({ message }) => logs.push(String(message)))
      const impl = LanguageModel.make({
        provider: "p",
        modelName: "m",
        supportedSettings: ["temperature"],
        request: () => Effect.succeed(new ModelResponse({ parts: [], modelName: "m", providerName: "p" })),
        openStream: () => Effect.succeed(Stream.empty)
      })
      yield* impl.request([ModelRequest.userTextPrompt("x")], { settings: { temperature: 0, seed: 3 } }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      expect(logs.join("\n")).toMatch(/p does not support the setting seed; ignored/)
      expect(logs.join("\n")).not.toMatch(/temperature/)
    }))
})

describe("TestModel structured output", () => {
  it.effect("answers JSON valid for the schema in native and prompted modes", () =>
    Effect.gen(function* () {
      const { Output } = yield* Effect.promise(() => import("../src/index.js"))
      const Weather = Schema.Struct({ location: Schema.String, temperature: Schema.Number, humidity: Schema.Int })
      for (const parameters of [Output.native(Weather), Output.prompted(Weather)]) {
        const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("Weather in Paris?")], { parameters })
        const weather = yield* Output.decode(Weather, response, parameters)
        expect(typeof weather.location).toBe("string")
      }
    }).pipe(Effect.provide(TestModel.layer())))
})
