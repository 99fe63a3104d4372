import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  BinaryContent,
  ImageUrl,
  ModelMessages,
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
import { ModelRequestParameters } from "../src/Parameters.js"
import * as Tool from "../src/Tool.js"
import { RequestUsage } from "../src/Usage.js"

const history = [
  new ModelRequest({
    parts: [
      new SystemPromptPart({ content: "Be brief." }),
      new UserPromptPart({
        content: ["Describe these", new ImageUrl({ url: "https://example.com/a.png" }), new BinaryContent({ data: new Uint8Array([1, 2, 3]), mediaType: "image/png" })]
      })
    ],
    instructions: "Answer in French."
  }),
  new ModelResponse({
    parts: [new ThinkingPart({ content: "hmm", signature: "sig" }), new TextPart({ content: "Voici" }), new ToolCallPart({ toolName: "divide", args: { numerator: 1, denominator: 2 }, toolCallId: "c1" })],
    usage: new RequestUsage({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, details: { reasoning_tokens: 3 } }),
    modelName: "gpt-4o",
    providerName: "openai",
    providerResponseId: "chatcmpl-1",
    finishReason: "tool_call",
    timestamp: new Date("2025-01-02T03:04:05.000Z")
  }),
  new ModelRequest({
    parts: [
      new ToolReturnPart({ toolName: "divide", content: { result: 0.5 }, toolCallId: "c1" }),
      new RetryPromptPart({ content: "denominator must not be 0", toolName: "divide", toolCallId: "c2" })
    ]
  })
]

describe("Message", () => {
  it("round-trips a history through JSON", () => {
    const encoded = Schema.encodeSync(ModelMessages)(history)
    const json = JSON.parse(JSON.stringify(encoded))
    const decoded = Schema.decodeUnknownSync(ModelMessages)(json)
    expect(decoded).toEqual(history)
    const response = decoded[1] as ModelResponse
    expect(response.timestamp).toBeInstanceOf(Date)
    expect(response.text).toBe("Voici")
    expect(response.thinking).toBe("hmm")
    expect(response.toolCalls.map((c) => c.toolName)).toEqual(["divide"])
    expect(response.usage.totalTokens).toBe(15)
    expect((json[0].parts[1].content[2] as { data: string }).data).toBe("AQID")
  })

  it("builds a user text prompt with instructions", () => {
    const request = ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Be brief." })
    expect(request.parts).toEqual([new UserPromptPart({ content: "What is the capital of France?" })])
    expect(request.instructions).toBe("Be brief.")
    expect(ModelRequest.userTextPrompt("hi").instructions).toBeUndefined()
  })

  it("normalises tool-call arguments", () => {
    expect(new ToolCallPart({ toolName: "t", args: "{\"a\":1}", toolCallId: "x" }).argsAsObject).toEqual({ a: 1 })
    expect(new ToolCallPart({ toolName: "t", args: "", toolCallId: "x" }).argsAsJson).toBe("{}")
    expect(new ToolCallPart({ toolName: "t", args: "{broken", toolCallId: "x" }).argsAsObject).toEqual({ _raw: "{broken" })
  })

  it("adds usages", () => {
    const total = new RequestUsage({ inputTokens: 1, outputTokens: 2, details: { a: 1 } }).add(new RequestUsage({ inputTokens: 3, cacheWriteTokens: 4, details: { a: 2, b: 1 } }))
    expect(total).toEqual(new RequestUsage({ inputTokens: 4, outputTokens: 2, cacheWriteTokens: 4, details: { a: 3, b: 1 } }))
    // built without constructor validation: the same instance a validating construction makes, keys in the same order
    expect(total).toStrictEqual(new RequestUsage({ inputTokens: 4, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 4, details: { a: 3, b: 1 } }))
    expect(JSON.stringify(total)).toBe(JSON.stringify(new RequestUsage({ inputTokens: 4, outputTokens: 2, cacheWriteTokens: 4, details: { a: 3, b: 1 } })))
  })

  it("applies field defaults with constructor validation off too, as the codecs construct", () => {
    // the codecs and the event builder build classes with `true` (no validation): defaults must still apply
    expect(new RequestUsage({}, true)).toStrictEqual(new RequestUsage({}))
    // (an unvalidated construction appends the defaults after the given fields: ours give every field but the last, timestamp)
    expect(new RequestUsage({ outputTokens: 2 }, true)).toStrictEqual(new RequestUsage({ outputTokens: 2 }))
    const response = new ModelResponse({ parts: [new TextPart({ content: "a" }, true)], modelName: "m", providerName: "p" }, true)
    expect(response.usage).toStrictEqual(RequestUsage.empty)
    expect(response.timestamp).toBeInstanceOf(Date)
    expect(response).toStrictEqual(new ModelResponse({ parts: [new TextPart({ content: "a" })], modelName: "m", providerName: "p", timestamp: response.timestamp }))
  })
})

describe("Tool", () => {
  it("makes a JSON Schema from an Effect Schema", () => {
    const Divide = Tool.make("divide", {
      description: "Divide two numbers.",
      parameters: Schema.Struct({
        numerator: Schema.Number,
        denominator: Schema.Number,
        onInf: Schema.optional(Schema.Literal("error", "infinity"))
      })
    })
    expect(Divide.name).toBe("divide")
    expect(Divide.parametersJsonSchema).toMatchObject({
      type: "object",
      required: ["numerator", "denominator"],
      properties: { numerator: { type: "number" }, denominator: { type: "number" }, onInf: { type: "string", enum: ["error", "infinity"] } }
    })
    expect(Divide.parametersJsonSchema).not.toHaveProperty("$schema")
  })

  it("rejects a tool name providers would refuse", () => {
    expect(() => Tool.fromJsonSchema({ name: "has space", parametersJsonSchema: {} })).toThrow(/must match/)
  })

  it.effect("parameters accept plain objects", () =>
    Effect.sync(() => {
      const p = ModelRequestParameters.from({ functionTools: [Tool.fromJsonSchema({ name: "x", parametersJsonSchema: { type: "object" } })] })
      expect(p.allowTextOutput).toBe(true)
      expect(p.outputMode).toBe("text")
      expect(p.allTools.map((t) => t.name)).toEqual(["x"])
    }))
})
