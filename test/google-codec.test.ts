/**
 * The Gemini codec and stream decoder as pure functions: what goes on the wire for each message
 * part, how responses, usage and finish reasons decode, and that streamed chunks add up to the
 * decoded response.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import {
  BinaryContent,
  ImageUrl,
  ModelRequest,
  ModelResponse,
  RetryPromptPart,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolReturnPart,
  UserPromptPart
} from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { decodeResponse, decodeUsage, encodeMessages, encodeRequest, finishReason } from "../src/providers/google/codec.js"
import { StreamDecoder } from "../src/providers/google/streamDecoder.js"
import { wireRequest } from "../src/providers/google/batchCodec.js"
import * as StreamEvent from "../src/StreamEvent.js"

const parameters = ModelRequestParameters.from(undefined)
const withoutTimestamp = (response: ModelResponse) => {
  const { timestamp: _, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return rest
}

describe("Gemini codec: encoding", () => {
  it("user content: text, image URLs as fileData (media type from the URL), bytes as inlineData", () => {
    const { contents, system } = encodeMessages([
      new ModelRequest({
        parts: [new UserPromptPart({ content: ["Look", new ImageUrl({ url: "https://example.com/cat.png" }), new BinaryContent({ data: new Uint8Array([1, 2, 3]), mediaType: "application/pdf" })] })]
      })
    ])
    expect(system).toBeUndefined()
    expect(contents).toEqual([{
      role: "user",
      parts: [
        { text: "Look" },
        { fileData: { fileUri: "https://example.com/cat.png", mimeType: "image/png" } },
        { inlineData: { mimeType: "application/pdf", data: "AQID" } }
      ]
    }])
  })

  it("an image URL of unknown type is sent as image/jpeg with a warning", () => {
    const warnings: Array<string> = []
    encodeMessages([new ModelRequest({ parts: [new UserPromptPart({ content: [new ImageUrl({ url: "https://example.com/x" })] })] })], warnings)
    expect(warnings[0]).toContain("media type")
  })

  it("tool results and retries become functionResponse parts; a retry without a tool is text", () => {
    const { contents } = encodeMessages([
      new ModelRequest({
        parts: [
          new ToolReturnPart({ toolName: "lookup", content: { city: "Paris" }, toolCallId: "call-1" }),
          new ToolReturnPart({ toolName: "count", content: 3, toolCallId: "gemini_call_r_0" }),
          new RetryPromptPart({ content: "bad args", toolName: "lookup", toolCallId: "call-2" }),
          new RetryPromptPart({ content: "answer in JSON" })
        ]
      })
    ])
    expect(contents[0]!.parts).toEqual([
      { functionResponse: { name: "lookup", response: { city: "Paris" }, id: "call-1" } },
      { functionResponse: { name: "count", response: { result: 3 } } },
      { functionResponse: { name: "lookup", response: { error: "bad args\n\nFix the errors and try again." }, id: "call-2" } },
      { text: "answer in JSON\n\nFix the errors and try again." }
    ])
  })

  it("model turns: an empty ThinkingPart's signature goes back on the part before it; turns of one role merge", () => {
    const { contents } = encodeMessages([
      ModelRequest.userTextPrompt("a"),
      ModelRequest.userTextPrompt("b"),
      new ModelResponse({
        parts: [
          new ThinkingPart({ content: "hmm", signature: "s0" }),
          new TextPart({ content: "x" }),
          new ThinkingPart({ content: "", signature: "s1" }),
          new ToolCallPart({ toolName: "t", args: "{\"n\":1}", toolCallId: "id-1" }),
          new ThinkingPart({ content: "", signature: "s2" })
        ],
        modelName: "m",
        providerName: "google"
      })
    ])
    expect(contents).toEqual([
      { role: "user", parts: [{ text: "a" }, { text: "b" }] },
      {
        role: "model",
        parts: [
          { text: "hmm", thought: true, thoughtSignature: "s0" },
          { text: "x", thoughtSignature: "s1" },
          { functionCall: { name: "t", args: { n: 1 }, id: "id-1" }, thoughtSignature: "s2" }
        ]
      }
    ])
  })

  it("a request with nothing to send fails with InvalidInputError; the native mode needs an output object", () => {
    const empty = encodeRequest("m", [new ModelRequest({ parts: [new UserPromptPart({ content: "" })] })], { parameters, settings: {} })
    expect(Either.isLeft(empty) && empty.left._tag).toBe("InvalidInputError")
    const native = encodeRequest("m", [ModelRequest.userTextPrompt("hi")], { parameters: new ModelRequestParameters({ outputMode: "native" }), settings: {} })
    expect(Either.isLeft(native) && native.left.message).toContain("Output.native")
  })

  it("timeout and extraHeaders go to the call's httpOptions; extraBody into the config", () => {
    const encoded = Either.getOrThrow(encodeRequest("m", [ModelRequest.userTextPrompt("hi")], {
      parameters,
      settings: { timeout: 2.5, extraHeaders: { "x-a": "1" }, extraBody: { topK: 3 } }
    }))
    expect(encoded.config).toEqual({ topK: 3, httpOptions: { timeout: 2500, headers: { "x-a": "1" } } })
  })

  it("a JSONL batch line carries the wire request: system instruction and tools beside contents, the rest in generationConfig", () => {
    expect(wireRequest([{ role: "user", parts: [{ text: "q" }] }], {
      systemInstruction: "be brief",
      tools: [{ functionDeclarations: [{ name: "f" }] }],
      toolConfig: { functionCallingConfig: {} },
      maxOutputTokens: 5,
      httpOptions: { timeout: 1 }
    })).toEqual({
      contents: [{ role: "user", parts: [{ text: "q" }] }],
      systemInstruction: { parts: [{ text: "be brief" }] },
      tools: [{ functionDeclarations: [{ name: "f" }] }],
      toolConfig: { functionCallingConfig: {} },
      generationConfig: { maxOutputTokens: 5 }
    })
  })
})

describe("Gemini codec: decoding", () => {
  it("usage: prompt + tool-use in, candidates + thoughts out, cached reads, details", () => {
    const usage = decodeUsage({ promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 6, cachedContentTokenCount: 3, toolUsePromptTokenCount: 2 })
    expect({ ...usage }).toEqual({ inputTokens: 12, outputTokens: 10, cacheReadTokens: 3, cacheWriteTokens: 0, details: { thoughts_tokens: 6, tool_use_prompt_tokens: 2 } })
  })

  it("finish reasons", () => {
    expect(finishReason("STOP", false)).toBe("stop")
    expect(finishReason("STOP", true)).toBe("tool_call")
    expect(finishReason("MAX_TOKENS", false)).toBe("length")
    expect(finishReason("SAFETY", false)).toBe("content_filter")
    expect(finishReason("PROHIBITED_CONTENT", false)).toBe("content_filter")
    expect(finishReason("MALFORMED_FUNCTION_CALL", false)).toBe("error")
    expect(finishReason("SOMETHING_NEW", false)).toBeUndefined()
  })

  it("a blocked prompt (no candidate) has no parts and finish reason content_filter", () => {
    const response = Either.getOrThrow(decodeResponse({ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 3 } }, "m"))
    expect(response.parts).toEqual([])
    expect(response.finishReason).toBe("content_filter")
    expect(response.usage.inputTokens).toBe(3)
  })

  it("a part of the wrong shape is a ResponseDecodeError naming its path", () => {
    const bad = decodeResponse({ candidates: [{ content: { parts: [{ text: 3 }] } }] }, "m")
    expect(Either.isLeft(bad) && bad.left.path).toBe("candidates.0.content.parts.0.text")
  })

  it("streamed chunks add up to the decoded response (thought, text with a signature, a function call)", () => {
    const whole = {
      candidates: [{
        content: { role: "model", parts: [{ text: "thinking...", thought: true }, { functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "sig" }, { text: "done" }] },
        finishReason: "STOP"
      }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 1 },
      modelVersion: "gemini-x",
      responseId: "r1"
    }
    const chunks = [
      { candidates: [{ content: { parts: [{ text: "think", thought: true }] } }], responseId: "r1", modelVersion: "gemini-x" },
      { candidates: [{ content: { parts: [{ text: "ing...", thought: true }] } }], responseId: "r1" },
      { candidates: [{ content: { parts: [{ functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "sig" }] } }], responseId: "r1" },
      { candidates: [{ content: { parts: [{ text: "do" }] } }], responseId: "r1" },
      { candidates: [{ content: { parts: [{ text: "ne" }] }, finishReason: "STOP" }], usageMetadata: whole.usageMetadata, responseId: "r1" }
    ]
    const decoder = new StreamDecoder(parameters, "m")
    const events = [...chunks.flatMap((c) => Either.getOrThrow(decoder.push(c))), ...Either.getOrThrow(decoder.end())]
    const direct = Either.getOrThrow(decodeResponse(whole, "m"))
    expect(withoutTimestamp(StreamEvent.accumulate(events))).toEqual(withoutTimestamp(direct))
    expect(direct.toolCalls[0]!.toolCallId).toBe("gemini_call_r1_0")
  })

  it("a stream without a final chunk is a Left", () => {
    const decoder = new StreamDecoder(parameters, "m")
    Either.getOrThrow(decoder.push({ candidates: [{ content: { parts: [{ text: "partial" }] } }] }))
    expect(Either.isLeft(decoder.end())).toBe(true)
  })
})
