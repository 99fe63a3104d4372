/**
 * Documents, prompt caching, server tools and redacted thinking on Anthropic: hand-built
 * recordings (test/fixtures/anthropic, written from the Messages API reference) through the real
 * SDK, the emulator's answers streamed and not, and the request bodies that go out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Schema, Stream } from "effect"
import { readFileSync } from "node:fs"
import type { InvalidInputError } from "../src/AiError.js"
import { BatchRequest } from "../src/BatchData.js"
import * as LanguageModel from "../src/LanguageModel.js"
import {
  AudioUrl,
  BinaryContent,
  BuiltinToolCallPart,
  BuiltinToolReturnPart,
  CachePoint,
  DocumentUrl,
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
  type ModelRequestParametersInput,
  WebFetchTool,
  WebSearchTool
} from "../src/Parameters.js"
import { decodeResultLine, encodeItem } from "../src/providers/anthropic/batchCodec.js"
import { encodeRequest } from "../src/providers/anthropic/codec.js"
import { StreamDecoder } from "../src/providers/anthropic/streamDecoder.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { redactedThinkingTrigger } from "../src/testing/emulator/anthropic/features.js"
import * as Tool from "../src/Tool.js"
import { modelLayer, sseFramesOf, useEmulator, wireBody } from "./helpers/anthropic.js"

const emulator = useEmulator()
const route = "POST /v1/messages" as const

const fixture = (name: string) => readFileSync(new URL(`./fixtures/anthropic/${name}`, import.meta.url), "utf8")
const recordedMessage = JSON.parse(fixture("server-tools-message.json")) as { readonly content: ReadonlyArray<Record<string, unknown>> }
const recordedSse = fixture("server-tools-stream.sse")

const request = (messages: ReadonlyArray<ModelRequest | ModelResponse>, options?: LanguageModel.RequestOptions) =>
  LanguageModel.request(messages, options).pipe(Effect.provide(modelLayer(emulator())))
const events = (messages: ReadonlyArray<ModelRequest | ModelResponse>, options?: LanguageModel.RequestOptions) =>
  LanguageModel.requestStream(messages, options).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(modelLayer(emulator())))

/** A response as JSON without the timestamp, which differs between any two calls. */
const comparable = (response: ModelResponse) => {
  const { timestamp: _, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return rest
}

const prompt = (text: string) => [ModelRequest.userTextPrompt(text)]
const user = (...content: ReadonlyArray<string | DocumentUrl | AudioUrl | VideoUrl | BinaryContent | CachePoint>) =>
  new ModelRequest({ parts: [new UserPromptPart({ content })] })

const Lookup = Tool.make("lookup", { description: "Look a word up.", parameters: Schema.Struct({ word: Schema.String }) })
const thinking = { thinking: { type: "enabled", budget_tokens: 1024 } }
const anthropic = "anthropic"

describe("hand-built recording: server tools, redacted thinking and cache usage", () => {
  const expectRecordedParts = (response: ModelResponse) => {
    expect(response.parts).toEqual([
      new ThinkingPart({
        content: "The user wants today's weather in Paris and the square of 12. I will search, then compute.",
        signature: "EqQBCkYIBxgCKkBhand-built-signature-for-tests-only"
      }),
      new ThinkingPart({
        content: "",
        signature: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj2pLmN",
        providerName: anthropic,
        redacted: true
      }),
      new TextPart({ content: "I'll look up the weather first." }),
      new BuiltinToolCallPart({
        toolName: "web_search",
        args: { query: "Paris weather today" },
        toolCallId: "srvtoolu_01WebSearchParis",
        providerName: anthropic,
        providerDetails: { type: "server_tool_use", caller: { type: "direct" } }
      }),
      new BuiltinToolReturnPart({
        toolName: "web_search",
        content: recordedMessage.content[4]!.content,
        toolCallId: "srvtoolu_01WebSearchParis",
        providerName: anthropic,
        providerDetails: { type: "web_search_tool_result", caller: { type: "direct" } }
      }),
      new BuiltinToolCallPart({
        toolName: "web_fetch",
        args: { url: "https://weather.example/paris" },
        toolCallId: "srvtoolu_01WebFetchArticle",
        providerName: anthropic,
        providerDetails: { type: "server_tool_use", caller: { type: "direct" } }
      }),
      new BuiltinToolReturnPart({
        toolName: "web_fetch",
        content: recordedMessage.content[6]!.content,
        toolCallId: "srvtoolu_01WebFetchArticle",
        providerName: anthropic,
        providerDetails: { type: "web_fetch_tool_result", caller: { type: "direct" } }
      }),
      new BuiltinToolCallPart({
        toolName: "bash_code_execution",
        args: { command: "python3 -c 'print(12**2)'" },
        toolCallId: "srvtoolu_01BashSquare",
        providerName: anthropic,
        providerDetails: { type: "server_tool_use", caller: { type: "direct" } }
      }),
      new BuiltinToolReturnPart({
        toolName: "bash_code_execution",
        content: { type: "bash_code_execution_result", stdout: "144\n", stderr: "", return_code: 0, content: [] },
        toolCallId: "srvtoolu_01BashSquare",
        providerName: anthropic,
        providerDetails: { type: "bash_code_execution_tool_result" }
      }),
      new BuiltinToolCallPart({
        toolName: "echo",
        args: { text: "Paris" },
        toolCallId: "mcptoolu_01EchoCity",
        providerName: anthropic,
        providerDetails: { type: "mcp_tool_use", server_name: "city-tools" }
      }),
      new BuiltinToolReturnPart({
        toolName: "echo",
        content: [{ type: "text", text: "Paris" }],
        toolCallId: "mcptoolu_01EchoCity",
        providerName: anthropic,
        providerDetails: { type: "mcp_tool_result", is_error: false }
      }),
      // the container_upload block is not modelled: left out
      new TextPart({ content: "It is 18°C with light rain in Paris today, and 12 squared is 144." })
    ])
    expect(response.toolCalls).toEqual([])
    expect(response.builtinToolCalls.map((p) => p.toolName)).toEqual(["web_search", "web_fetch", "bash_code_execution", "echo"])
    expect(response.builtinToolReturns.map((p) => p.toolCallId)).toEqual(response.builtinToolCalls.map((p) => p.toolCallId))
    expect(response.usage.cacheReadTokens).toBe(4096)
    expect(response.usage.cacheWriteTokens).toBe(1536)
    expect(response.usage.inputTokens).toBe(2107 + 4096 + 1536)
    expect(response.usage.outputTokens).toBe(412)
    expect(response.usage.details).toEqual({ ephemeral_1h_input_tokens: 1536, web_search_requests: 1, web_fetch_requests: 1 })
    expect(response.finishReason).toBe("stop")
  }

  it.effect("the JSON and the SSE recording, through the real SDK, accumulate to the same ModelResponse", () =>
    Effect.gen(function*() {
      emulator().script(route, { json: recordedMessage as Record<string, unknown> })
      const direct = yield* request(prompt("Weather in Paris, and 12 squared?"))
      emulator().script(route, { sse: sseFramesOf(recordedSse) })
      const streamed = StreamEvent.accumulate(yield* events(prompt("Weather in Paris, and 12 squared?")))
      expectRecordedParts(direct)
      expectRecordedParts(streamed)
      expect(comparable(streamed)).toEqual(comparable(direct))
    }))

  it.effect("streamed server tool calls are never function tool calls: no ToolCallPart in any event", () =>
    Effect.gen(function*() {
      emulator().script(route, { sse: sseFramesOf(recordedSse) })
      const all = yield* events(prompt("Weather in Paris, and 12 squared?"))
      const parts = all.flatMap((e) => (e._tag === "PartStartEvent" || e._tag === "PartEndEvent" ? [e.part] : []))
      expect(parts.filter((p) => p._tag === "ToolCallPart")).toEqual([])
      expect(parts.filter((p) => p._tag === "BuiltinToolCallPart").every((p) => p.toolName !== "")).toBe(true)
      // the one final result is the text answer's, not a server tool's
      expect(all.filter((e) => e._tag === "FinalResultEvent")).toEqual([new StreamEvent.FinalResultEvent({})])
    }))

  it.effect("sent back, the response goes out as the blocks it came from (redacted thinking and server tools included), with the MCP beta", () =>
    Effect.gen(function*() {
      emulator().script(route, { json: recordedMessage as Record<string, unknown> })
      const first = yield* request(prompt("Weather in Paris, and 12 squared?"))
      yield* request([...prompt("Weather in Paris, and 12 squared?"), first, ...prompt("Thanks. And tomorrow?")])
      const body = wireBody(emulator())
      const messages = body.messages as ReadonlyArray<{ readonly role: string; readonly content: ReadonlyArray<unknown> }>
      expect(messages[1]?.role).toBe("assistant")
      expect(messages[1]?.content).toEqual(recordedMessage.content.filter((b) => b.type !== "container_upload"))
      expect(emulator().requests.at(-1)?.headers["anthropic-beta"]).toContain("mcp-client-2025-04-04")
    }))

  it("the stream decoder drops JSON of blocks it does not model or never saw start: no tool call with an empty name", () => {
    const decoder = new StreamDecoder(ModelRequestParameters.from(), "m")
    const wire: ReadonlyArray<unknown> = [
      { type: "message_start", message: { id: "msg_p", model: "claude-x", usage: { input_tokens: 3, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "{\"query\":\"x\"}" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "some_future_tool_block", id: "x" } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"a\":1}" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "{\"b\":2}" } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 4 } },
      { type: "message_stop" }
    ]
    const pushed = wire.flatMap((e) => Either.getOrThrow(decoder.push(e)))
    const viaSchema = new StreamDecoder(ModelRequestParameters.from(), "m")
    expect(wire.flatMap((e) => Either.getOrThrow(viaSchema.decodeWithSchema(e)))).toEqual(pushed)
    const response = StreamEvent.accumulate(pushed)
    expect(response.toolCalls).toEqual([])
    expect(response.parts).toEqual([
      new BuiltinToolCallPart({ toolName: "web_search", args: { query: "x" }, toolCallId: "srvtoolu_1", providerName: anthropic, providerDetails: { type: "server_tool_use" } })
    ])
  })
})

describe("built-in tools on the emulator", () => {
  const builtinTools = [
    new WebSearchTool({ maxUses: 3, allowedDomains: ["example.com"], userLocation: { city: "Paris", country: "FR" } }),
    new WebFetchTool({ citations: true, maxContentTokens: 5000 }),
    new CodeExecutionTool(),
    new McpServerTool({ name: "city-tools", url: "https://mcp.example/sse", authorizationToken: "tok", allowedTools: ["echo"] })
  ]

  it.effect("map to server tool definitions and mcp_servers, and come back as built-in parts, streamed and not alike", () =>
    Effect.gen(function*() {
      const parameters: ModelRequestParametersInput = { builtinTools }
      const options = { parameters, settings: { extraHeaders: { "x-emulator-id": "bt" } } }
      const messages = prompt("Read https://example.com/paris and tell me about Paris")
      const direct = yield* request(messages, options)
      const body = wireBody(emulator())
      expect(body.tools).toEqual([
        { type: "web_search_20250305", name: "web_search", max_uses: 3, allowed_domains: ["example.com"], user_location: { type: "approximate", city: "Paris", country: "FR" } },
        { type: "web_fetch_20250910", name: "web_fetch", citations: { enabled: true }, max_content_tokens: 5000 },
        { type: "code_execution_20250825", name: "code_execution" }
      ])
      expect(body.mcp_servers).toEqual([
        { type: "url", url: "https://mcp.example/sse", name: "city-tools", authorization_token: "tok", tool_configuration: { allowed_tools: ["echo"] } }
      ])
      expect(emulator().requests.at(-1)?.headers["anthropic-beta"]).toBe("mcp-client-2025-04-04")
      expect(direct.builtinToolCalls.map((p) => [p.toolName, p.args])).toEqual([
        ["web_search", { query: "Read https://example.com/paris and tell me about Paris" }],
        ["web_fetch", { url: "https://example.com/paris" }],
        ["bash_code_execution", { command: "echo \"Read https://example.com/paris and tell me about Paris\"" }],
        ["echo", { text: "Read https://example.com/paris and tell me about Paris" }]
      ])
      expect(direct.builtinToolReturns).toHaveLength(4)
      expect(direct.builtinToolCalls.every((p) => p.providerName === anthropic)).toBe(true)
      expect(direct.usage.details).toMatchObject({ web_search_requests: 1, web_fetch_requests: 1 })
      const streamed = StreamEvent.accumulate(yield* events(messages, options))
      expect(comparable(streamed)).toEqual(comparable(direct))
      // and the conversation continues: the blocks go back, the emulator accepts them
      const next = yield* request([...messages, direct, ...prompt("Thanks")], options)
      expect(next.text).not.toBe("")
      const sent = (wireBody(emulator()).messages as ReadonlyArray<{ readonly content: ReadonlyArray<{ readonly type: string }> }>)[1]!.content
      expect(sent.map((b) => b.type)).toEqual(expect.arrayContaining(["server_tool_use", "web_search_tool_result", "mcp_tool_use", "mcp_tool_result"]))
    }))

  it.effect("FileSearchTool, which Anthropic lacks, fails with an InvalidInputError before any request", () =>
    Effect.gen(function*() {
      const error = yield* request(prompt("find it"), { parameters: { builtinTools: [new FileSearchTool({ vectorStoreIds: ["vs_1"] })] } }).pipe(Effect.flip)
      expect(error._tag).toBe("InvalidInputError")
      expect((error as InvalidInputError).provider).toBe(anthropic)
      expect(error.message).toContain("FileSearchTool")
      expect(emulator().requests).toHaveLength(0)
    }))
})

describe("redacted thinking on the emulator", () => {
  it.effect("comes back streamed and not alike, with its data, and goes back as a redacted_thinking block", () =>
    Effect.gen(function*() {
      const options = { settings: { extraBody: thinking, extraHeaders: { "x-emulator-id": "rt" } } }
      const messages = prompt(`Think about this: ${redactedThinkingTrigger}`)
      const direct = yield* request(messages, options)
      const redacted = direct.parts.find((p): p is ThinkingPart => p._tag === "ThinkingPart" && p.redacted === true)
      expect(redacted?.content).toBe("")
      expect(redacted?.providerName).toBe(anthropic)
      expect(redacted?.signature).toMatch(/^[A-Za-z0-9+/=]+$/)
      const streamed = StreamEvent.accumulate(yield* events(messages, options))
      expect(comparable(streamed)).toEqual(comparable(direct))
      yield* request([...messages, streamed, ...prompt("go on")], options)
      const sent = (wireBody(emulator()).messages as ReadonlyArray<{ readonly content: ReadonlyArray<unknown> }>)[1]!.content
      expect(sent).toContainEqual({ type: "redacted_thinking", data: redacted!.signature })
    }))

  it.effect("the header asks for it too; without it or the test string there is none", () =>
    Effect.gen(function*() {
      const withHeader = yield* request(prompt("hello"), { settings: { extraBody: thinking, extraHeaders: { "x-emulator-redacted-thinking": "1" } } })
      expect(withHeader.parts.some((p) => p._tag === "ThinkingPart" && p.redacted === true)).toBe(true)
      const without = yield* request(prompt("hello"), { settings: { extraBody: thinking } })
      expect(without.parts.some((p) => p._tag === "ThinkingPart" && p.redacted === true)).toBe(false)
    }))
})

describe("documents", () => {
  const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70, 45]), mediaType: "application/pdf" })
  const markdown = new BinaryContent({ data: new TextEncoder().encode("# Notes\nshort"), mediaType: "text/markdown" })

  it.effect("PDFs by URL and base64 and text go out as document blocks, as the API reference has them", () =>
    Effect.gen(function*() {
      const response = yield* request([user(new DocumentUrl({ url: "https://example.com/report" }), pdf, markdown, "Summarise these.")])
      expect(response.text).not.toBe("")
      expect((wireBody(emulator()).messages as ReadonlyArray<{ readonly content: unknown }>)[0]!.content).toEqual([
        { type: "document", source: { type: "url", url: "https://example.com/report" } },
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
        { type: "document", source: { type: "text", media_type: "text/plain", data: "# Notes\nshort" } },
        { type: "text", text: "Summarise these." }
      ])
    }))

  it.effect("audio, video and documents Anthropic cannot fetch fail with an InvalidInputError naming the provider and the part, before any request", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ModelRequest, string]> = [
        [user(new AudioUrl({ url: "https://example.com/a.mp3" }), "transcribe"), "AudioUrl"],
        [user(new VideoUrl({ url: "https://example.com/v.mp4", mediaType: "video/mp4" }), "describe"), "VideoUrl (video/mp4)"],
        [user(new BinaryContent({ data: new Uint8Array([1]), mediaType: "audio/wav" })), "BinaryContent (audio/wav)"],
        [user(new BinaryContent({ data: new Uint8Array([1]), mediaType: "video/webm" })), "BinaryContent (video/webm)"],
        [user(new DocumentUrl({ url: "https://example.com/notes.docx", mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" })), "DocumentUrl"]
      ]
      for (const [message, part] of cases) {
        const error = yield* request([message]).pipe(Effect.flip)
        expect(error._tag).toBe("InvalidInputError")
        expect((error as InvalidInputError).provider).toBe(anthropic)
        expect(error.message).toContain(part)
      }
      expect(emulator().requests).toHaveLength(0)
    }))
})

describe("prompt caching", () => {
  // the emulator's cache lives as long as the emulator (reset() keeps it): each test caches its own document
  const cached = (document: string, question: string) => [
    new ModelRequest({
      parts: [new UserPromptPart({ content: [`${document} `.repeat(80), new CachePoint({ ttl: "1h" }), question] })],
      instructions: "Answer from the document."
    })
  ]
  const options = { parameters: { functionTools: [Lookup] }, settings: { cacheInstructions: true, cacheTools: "5m" as const } }

  it.effect("CachePoint, cacheInstructions and cacheTools put cache_control where the API reference puts it", () =>
    Effect.gen(function*() {
      yield* request(cached("Where the breakpoints go.", "First question?"), { ...options, settings: { cacheInstructions: "1h", cacheTools: "1h" } })
      const body = wireBody(emulator())
      expect(body.system).toEqual([{ type: "text", text: "Answer from the document.", cache_control: { type: "ephemeral", ttl: "1h" } }])
      expect((body.tools as ReadonlyArray<Record<string, unknown>>).at(-1)?.cache_control).toEqual({ type: "ephemeral", ttl: "1h" })
      expect((body.messages as ReadonlyArray<{ readonly content: unknown }>)[0]!.content).toEqual([
        { type: "text", text: "Where the breakpoints go. ".repeat(80), cache_control: { type: "ephemeral", ttl: "1h" } },
        { type: "text", text: "First question?" }
      ])
    }))

  it.effect("the first request with a prefix writes the cache, later ones read it, streamed or not", () =>
    Effect.gen(function*() {
      const first = yield* request(cached("Write then read.", "First question?"), options)
      expect(first.usage.cacheWriteTokens).toBeGreaterThan(0)
      expect(first.usage.cacheReadTokens).toBe(0)
      expect(first.usage.details.ephemeral_1h_input_tokens).toBe(first.usage.cacheWriteTokens)
      const second = yield* request(cached("Write then read.", "Second question?"), options)
      expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens)
      expect(second.usage.cacheWriteTokens).toBe(0)
      const third = StreamEvent.accumulate(yield* events(cached("Write then read.", "Third question?"), options))
      expect(third.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens)
      // a different prefix is a new cache entry
      const other = yield* request([user("Another document entirely.", new CachePoint(), "Q?")], options)
      expect(other.usage.cacheWriteTokens).toBeGreaterThan(0)
    }))

  it.effect("more than four breakpoints fail with an InvalidInputError before any request", () =>
    Effect.gen(function*() {
      // four cache points and cacheTools: five breakpoints
      const five = [user("a", new CachePoint(), "b", new CachePoint(), "c", new CachePoint(), "d", new CachePoint())]
      const error = yield* request(five, options).pipe(Effect.flip)
      expect(error._tag).toBe("InvalidInputError")
      expect((error as InvalidInputError).provider).toBe(anthropic)
      expect(error.message).toContain("5 cache breakpoints")
      const streamError = yield* events(five, options).pipe(Effect.flip)
      expect(streamError._tag).toBe("InvalidInputError")
      expect(emulator().requests).toHaveLength(0)
      // four are fine
      const four = yield* request([user("a", new CachePoint(), "b", new CachePoint(), "c", new CachePoint())], options)
      expect(four.usage.cacheWriteTokens).toBeGreaterThan(0)
    }))

  it.effect("a 5-minute breakpoint before a 1-hour one is raised to 1 hour, with a warning, as the API requires the longer first", () =>
    Effect.gen(function*() {
      // cacheInstructions (5 minutes) and cacheTools (5 minutes) come before the 1-hour cache point
      const response = yield* request(cached("Lifetimes in order.", "Q?"), options)
      expect(response.parts).not.toEqual([])
      const body = wireBody(emulator())
      expect(body.system).toEqual([{ type: "text", text: "Answer from the document.", cache_control: { type: "ephemeral", ttl: "1h" } }])
      expect((body.tools as ReadonlyArray<Record<string, unknown>>).at(-1)?.cache_control).toEqual({ type: "ephemeral", ttl: "1h" })
      const encoded = Either.getOrThrow(encodeRequest("m", cached("Lifetimes in order.", "Q?"), {
        parameters: ModelRequestParameters.from({ functionTools: [Lookup] }),
        settings: options.settings
      }))
      expect(encoded.warnings).toContain("2 cache breakpoints before a 1-hour one were raised to 1 hour: Anthropic takes no 5-minute breakpoint before a 1-hour one.")
      // the emulator refuses the wrong order as the API does
      const wrong = { ...encoded.body, system: [{ type: "text", text: "s", cache_control: { type: "ephemeral" } }], tools: [{ name: "t", input_schema: { type: "object" }, cache_control: { type: "ephemeral", ttl: "1h" } }] }
      const reply = yield* Effect.promise(() =>
        fetch(`${emulator().anthropicBaseURL}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "k" },
          body: JSON.stringify({ ...wrong, messages: [{ role: "user", content: [{ type: "text", text: "q", cache_control: { type: "ephemeral", ttl: "1h" } }] }] })
        })
      )
      expect(reply.status).toBe(400)
    }))

  it("a cache point with nothing before it fails; cache settings without instructions or tools warn", () => {
    const context = { parameters: ModelRequestParameters.from(), settings: { cacheInstructions: true, cacheTools: true } }
    const lone = encodeRequest("m", [user(new CachePoint(), "q")], context)
    expect(Either.isLeft(lone) && lone.left._tag).toBe("InvalidInputError")
    const plain = Either.getOrThrow(encodeRequest("m", prompt("q"), context))
    expect(plain.body.system).toBeUndefined()
    expect(plain.warnings).toEqual([
      "cacheTools was ignored: the request offers no tools.",
      "cacheInstructions was ignored: the request has no instructions or system prompt."
    ])
  })
})

describe("batches", () => {
  it("cache points and built-in tools pass through a batch item's params as in a direct request", () => {
    const messages = [user("A long shared prefix.", new CachePoint(), "Q?")]
    const parameters = new ModelRequestParameters({ builtinTools: [new WebSearchTool({})] })
    const settings = { cacheInstructions: "1h" as const }
    const batchRequest = BatchRequest.from({ customId: "r1", messages, parameters, settings })
    const item = Either.getOrThrow(encodeItem("claude-haiku-4-5", undefined, batchRequest))
    const direct = Either.getOrThrow(encodeRequest("claude-haiku-4-5", messages, { parameters, settings }))
    expect(item.item.params).toEqual(direct.body)
    expect(item.item.params.tools).toEqual([{ type: "web_search_20250305", name: "web_search" }])
    expect(JSON.stringify(item.item.params.messages)).toContain("\"cache_control\":{\"type\":\"ephemeral\"}")
    // and a batch request with them survives its JSON form (stored batches)
    const json = Schema.encodeSync(BatchRequest)(batchRequest)
    expect(Schema.decodeUnknownSync(BatchRequest)(JSON.parse(JSON.stringify(json)))).toEqual(batchRequest)
  })

  it("a batch result line reports cache reads and writes, and server tool parts, as a direct response does", () => {
    const line = { custom_id: "r1", result: { type: "succeeded", message: recordedMessage } }
    const result = Either.getOrThrow(decodeResultLine(line, { batchId: "msgbatch_1", line: 1, timestamp: new Date(0) }))
    expect(result.isSuccessful).toBe(true)
    if (!result.isSuccessful) return
    expect(result.response.usage.cacheReadTokens).toBe(4096)
    expect(result.response.usage.cacheWriteTokens).toBe(1536)
    expect(result.response.builtinToolCalls).toHaveLength(4)
    expect(result.response.toolCalls).toEqual([])
  })
})
