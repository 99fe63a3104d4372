/**
 * The message model's new parts (documents, audio and video URLs, cache points, built-in tool
 * calls and results, redacted thinking) on their own: JSON round trips, stream accumulation, and
 * what the providers that do not map them yet do with them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { responseToEvents } from "../src/internal/stream/eventBuilder.js"
import {
  AudioUrl,
  BinaryContent,
  BuiltinToolCallPart,
  BuiltinToolReturnPart,
  CachePoint,
  describeUserContent,
  DocumentUrl,
  ModelMessages,
  ModelRequest,
  ModelResponse,
  TextPart,
  ThinkingPart,
  UserPromptPart,
  VideoUrl
} from "../src/Message.js"
import {
  CodeExecutionTool,
  FileSearchTool,
  McpServerTool,
  ModelRequestParameters,
  ModelSettings,
  WebFetchTool,
  WebSearchTool
} from "../src/Parameters.js"
import * as GoogleCodec from "../src/providers/google/codec.js"
import * as OpenAiCodec from "../src/providers/openai/codec.js"
import * as ResponsesCodec from "../src/providers/openai/responsesCodec.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { RequestUsage } from "../src/Usage.js"

const call = new BuiltinToolCallPart({
  toolName: "web_search",
  args: { query: "effect" },
  toolCallId: "srvtoolu_1",
  providerName: "anthropic",
  providerDetails: { type: "server_tool_use" }
})
const result = new BuiltinToolReturnPart({
  toolName: "web_search",
  content: [{ type: "web_search_result", url: "https://effect.website", title: "Effect" }],
  toolCallId: "srvtoolu_1",
  providerName: "anthropic",
  providerDetails: { type: "web_search_tool_result" }
})
const redacted = new ThinkingPart({ content: "", signature: "b3BhcXVl", providerName: "anthropic", redacted: true })
const response = new ModelResponse({
  parts: [new ThinkingPart({ content: "hm", signature: "s" }), redacted, call, result, new TextPart({ content: "Effect is a library." })],
  usage: new RequestUsage({ inputTokens: 100, outputTokens: 20, cacheReadTokens: 60, cacheWriteTokens: 30 }),
  modelName: "claude-x",
  providerName: "anthropic",
  providerResponseId: "msg_1",
  finishReason: "stop",
  timestamp: new Date(0)
})
const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
const request = new ModelRequest({
  parts: [new UserPromptPart({
    content: [
      "Compare:",
      new DocumentUrl({ url: "https://example.com/a.pdf", mediaType: "application/pdf" }),
      pdf,
      new AudioUrl({ url: "https://example.com/a.mp3" }),
      new VideoUrl({ url: "https://example.com/v.mp4", mediaType: "video/mp4" }),
      new CachePoint({ ttl: "1h" }),
      "which is longer?"
    ]
  })]
})

describe("message model", () => {
  it("a history with every new part encodes to JSON and decodes back equal", () => {
    const history = [request, response]
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(ModelMessages)(history)))
    expect(Schema.decodeUnknownSync(ModelMessages)(json)).toEqual(history)
    expect(json[1].parts[1]).toEqual({ _tag: "ThinkingPart", content: "", signature: "b3BhcXVl", providerName: "anthropic", redacted: true })
    expect(json[0].parts[0].content[5]).toEqual({ _tag: "CachePoint", ttl: "1h" })
  })

  it("BinaryContent tells images, audio, video and documents apart by media type", () => {
    const kinds = (mediaType: string) => {
      const b = new BinaryContent({ data: new Uint8Array(), mediaType })
      return [b.isImage, b.isAudio, b.isVideo, b.isDocument]
    }
    expect(kinds("image/png")).toEqual([true, false, false, false])
    expect(kinds("audio/wav")).toEqual([false, true, false, false])
    expect(kinds("video/mp4")).toEqual([false, false, true, false])
    expect(kinds("application/pdf")).toEqual([false, false, false, true])
    expect(kinds("text/plain")).toEqual([false, false, false, true])
  })

  it("names user content for error messages", () => {
    expect(describeUserContent("hi")).toBe("text")
    expect(describeUserContent(new AudioUrl({ url: "u" }))).toBe("AudioUrl")
    expect(describeUserContent(pdf)).toBe("BinaryContent (application/pdf)")
    expect(describeUserContent(new CachePoint({}))).toBe("CachePoint")
  })

  it("the response lists built-in tool calls and results apart from function tool calls", () => {
    expect(response.toolCalls).toEqual([])
    expect(response.builtinToolCalls).toEqual([call])
    expect(response.builtinToolReturns).toEqual([result])
    expect(response.text).toBe("Effect is a library.")
    expect(call.argsAsObject).toEqual({ query: "effect" })
  })

  it("built-in tool parts and redacted thinking stream and accumulate back to the same response", () => {
    const events = responseToEvents(response, ModelRequestParameters.from(), 3)
    const accumulated = StreamEvent.accumulate(events)
    expect({ ...accumulated, timestamp: 0 }).toEqual({ ...response, timestamp: 0 })
    // the built-in call's arguments grew by deltas; no final result but the text's
    expect(events.some((e) => e._tag === "PartDeltaEvent" && e.delta._tag === "ToolCallPartDelta")).toBe(true)
    expect(events.filter((e) => e._tag === "FinalResultEvent")).toEqual([new StreamEvent.FinalResultEvent({})])
    // and the events are JSON-safe like every other
    const json = JSON.parse(JSON.stringify(events.map((e) => Schema.encodeSync(StreamEvent.ModelResponseStreamEvent)(e))))
    expect(json.map((e: unknown) => Schema.decodeUnknownSync(StreamEvent.ModelResponseStreamEvent)(e))).toEqual(events)
  })

  it("built-in tools and the cache settings are schema values", () => {
    const parameters = new ModelRequestParameters({
      builtinTools: [
        new WebSearchTool({ maxUses: 2 }),
        new WebFetchTool({}),
        new CodeExecutionTool(),
        new McpServerTool({ name: "s", url: "https://mcp.example", allowedTools: ["a"] }),
        new FileSearchTool({ vectorStoreIds: ["vs_1"] })
      ]
    })
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(ModelRequestParameters)(parameters)))
    expect(Schema.decodeUnknownSync(ModelRequestParameters)(json)).toEqual(parameters)
    // parameters without built-in tools encode as they did before
    expect(Schema.encodeSync(ModelRequestParameters)(ModelRequestParameters.from())).not.toHaveProperty("builtinTools")
    expect(Schema.decodeUnknownSync(ModelSettings)({ cacheInstructions: "1h", cacheTools: true, promptCacheKey: "k", promptCacheRetention: "24h" }))
      .toEqual({ cacheInstructions: "1h", cacheTools: true, promptCacheKey: "k", promptCacheRetention: "24h" })
    expect(Either.isLeft(Schema.decodeUnknownEither(ModelSettings)({ cacheTools: "2h" }))).toBe(true)
  })
})

describe("providers that do not map the new parts yet", () => {
  const withTools = ModelRequestParameters.from({ builtinTools: [new WebSearchTool({})] })
  // OpenAI maps web search (both APIs) but offers no web fetch
  const withFetch = ModelRequestParameters.from({ builtinTools: [new WebFetchTool({})] })

  it("reject built-in tools with an InvalidInputError naming the provider and the tool, before any request", () => {
    const chat = OpenAiCodec.encodeRequest("gpt-4o", [ModelRequest.userTextPrompt("q")], withFetch, {})
    const responses = ResponsesCodec.encodeRequest("gpt-4o", [ModelRequest.userTextPrompt("q")], withFetch, {})
    // (Gemini maps web search: it refuses file search)
    const gemini = GoogleCodec.encodeRequest("gemini-2.5-flash", [ModelRequest.userTextPrompt("q")], {
      parameters: ModelRequestParameters.from({ builtinTools: [new FileSearchTool({ vectorStoreIds: ["vs_1"] })] }),
      settings: {}
    })
    const errors: ReadonlyArray<readonly [Either.Either<unknown, { readonly _tag: string; readonly message: string }>, string, string]> = [
      [chat, "openai", "WebFetchTool"],
      [responses, "openai", "WebFetchTool"],
      [gemini, "google", "FileSearchTool"]
    ]
    for (const [encoded, provider, tool] of errors) {
      expect(Either.isLeft(encoded)).toBe(true)
      if (Either.isLeft(encoded)) {
        expect(encoded.left._tag).toBe("InvalidInputError")
        expect(encoded.left.message).toContain(tool)
        expect((encoded.left as { readonly provider?: string }).provider).toContain(provider)
      }
    }
  })

  it("leave cache points out, and another provider's built-in tool parts and redacted thinking too", () => {
    const history = [new ModelRequest({ parts: [new UserPromptPart({ content: ["a", new CachePoint({}), "b"] })] }), response, ModelRequest.userTextPrompt("more")]
    const chat = OpenAiCodec.encodeRequest("gpt-4o", history, ModelRequestParameters.from(), {})
    expect(Either.isRight(chat)).toBe(true)
    if (Either.isRight(chat)) {
      expect(JSON.stringify(chat.right.body)).not.toContain("srvtoolu_1")
      expect(JSON.stringify(chat.right.body)).not.toContain("b3BhcXVl")
      expect(chat.right.warnings.some((w) => w.includes("built-in tool part"))).toBe(true)
    }
    const gemini = Either.getOrThrow(GoogleCodec.encodeRequest("gemini-2.5-flash", history, { parameters: ModelRequestParameters.from(), settings: {} }))
    expect(JSON.stringify(gemini)).not.toContain("srvtoolu_1")
    expect(JSON.stringify(gemini)).not.toContain("b3BhcXVl")
  })

  it("Chat Completions refuses audio and video URLs, naming the part", () => {
    const encoded = OpenAiCodec.encodeRequest("gpt-4o", [new ModelRequest({ parts: [new UserPromptPart({ content: [new AudioUrl({ url: "https://x/a.mp3" })] })] })], ModelRequestParameters.from(), {})
    expect(Either.isLeft(encoded) && encoded.left.message).toContain("AudioUrl")
  })
})
