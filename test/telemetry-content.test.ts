/**
 * The pure parts of the chat spans: messages in the conventions' JSON formats, the request
 * attributes of structured output, and error.type of failures that are not AiErrors.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FiberId } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ImageUrl, ModelRequest, ModelResponse, RetryPromptPart, SystemPromptPart, TextPart, ThinkingPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import * as Telemetry from "../src/Telemetry.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import { only, withSpans } from "./telemetry-helpers.js"

describe("message content in the conventions' format", () => {
  it("a conversation with tools: roles, tool calls and their responses, instructions apart", () => {
    const messages = [
      new ModelRequest({
        parts: [
          new SystemPromptPart({ content: "You divide numbers." }),
          new UserPromptPart({ content: ["What is 1 / 4? See", new ImageUrl({ url: "https://example.com/q.png", mediaType: "image/png" })] })
        ],
        instructions: "Use the tool."
      }),
      new ModelResponse({
        parts: [new ThinkingPart({ content: "divide" }), new ToolCallPart({ toolName: "divide", args: { numerator: 1, denominator: 4 }, toolCallId: "call_1" })],
        modelName: "m",
        providerName: "p"
      }),
      new ModelRequest({
        parts: [
          new ToolReturnPart({ toolName: "divide", content: { result: 0.25 }, toolCallId: "call_1" }),
          new RetryPromptPart({ content: "Answer in words." })
        ]
      })
    ]
    const { instructions, messages: input } = Telemetry.inputContent(messages)
    expect(instructions).toEqual([{ type: "text", content: "Use the tool." }])
    expect(input).toEqual([
      { role: "system", parts: [{ type: "text", content: "You divide numbers." }] },
      {
        role: "user",
        parts: [
          { type: "text", content: "What is 1 / 4? See" },
          { type: "uri", modality: "image", uri: "https://example.com/q.png", mime_type: "image/png" }
        ]
      },
      {
        role: "assistant",
        parts: [
          { type: "reasoning", content: "divide" },
          { type: "tool_call", id: "call_1", name: "divide", arguments: { numerator: 1, denominator: 4 } }
        ]
      },
      { role: "tool", parts: [{ type: "tool_call_response", id: "call_1", response: { result: 0.25 } }] },
      { role: "user", parts: [{ type: "text", content: "Answer in words.\n\nFix the errors and try again." }] }
    ])
    expect(Telemetry.outputContent(new ModelResponse({ parts: [new TextPart({ content: "A quarter." })], modelName: "m", providerName: "p", finishReason: "stop" }))).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "A quarter." }], finish_reason: "stop" }
    ])
  })

  it("structured output asks for gen_ai.output.type json; plain text sets nothing", () => {
    expect(Telemetry.requestAttributes("openai", "m", {}, { outputMode: "native" })["gen_ai.output.type"]).toBe("json")
    expect(Telemetry.requestAttributes("openai", "m", {}, { outputMode: "prompted" })["gen_ai.output.type"]).toBe("json")
    expect(Telemetry.requestAttributes("openai", "m", {})["gen_ai.output.type"]).toBeUndefined()
  })

  it("error.type: the error's tag, _OTHER for a defect, nothing for an interruption", () => {
    expect(Telemetry.errorType(Cause.fail({ _tag: "RateLimitError" }))).toBe("RateLimitError")
    expect(Telemetry.errorType(Cause.die(new Error("boom")))).toBe("_OTHER")
    expect(Telemetry.errorType(Cause.interrupt(FiberId.none))).toBeUndefined()
  })

  it.effect("a provider defect ends the span with error.type _OTHER", () =>
    Effect.gen(function* () {
      const model = FunctionModel.layer(() => Effect.die(new Error("bug in a provider")))
      const { exit, spans } = yield* withSpans(LanguageModel.request([ModelRequest.userTextPrompt("hi")]).pipe(Effect.provide(model)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(only(spans, "chat function").attributes["error.type"]).toBe("_OTHER")
    }))
})
