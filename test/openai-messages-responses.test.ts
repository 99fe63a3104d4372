/**
 * OpenAI Responses and the message model's newer parts: documents as input_file, audio and video
 * refused, the prompt cache settings, built-in tools (request tools, output items as built-in
 * call and result parts, sent back as the same items), raw reasoning text, and cached tokens,
 * on hand-built recordings of the API reference (test/fixtures/openai), streamed and not.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { readFileSync } from "node:fs"
import {
  AudioUrl,
  BinaryContent,
  BuiltinToolCallPart,
  BuiltinToolReturnPart,
  CachePoint,
  DocumentUrl,
  ModelMessages,
  ModelRequest,
  ModelResponse,
  UserPromptPart,
  VideoUrl
} from "../src/Message.js"
import { CodeExecutionTool, FileSearchTool, McpServerTool, ModelRequestParameters, WebFetchTool, WebSearchTool } from "../src/Parameters.js"
import { BatchRequest } from "../src/BatchData.js"
import { encodeLine, responsesApi } from "../src/providers/openai/batchCodec.js"
import { decodeResponse, encodeInput, encodeRequest, ResponsesStreamDecoder } from "../src/providers/openai/responsesCodec.js"
import { accumulate, type ModelResponseStreamEvent } from "../src/StreamEvent.js"

const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
const wav = new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
const mp4 = new BinaryContent({ data: new Uint8Array([0, 0, 0, 24]), mediaType: "video/mp4" })

const prompt = (...content: ReadonlyArray<UserPromptPart["content"][number]>) => [new ModelRequest({ parts: [new UserPromptPart({ content })] })]
const noParameters = new ModelRequestParameters({})
const encode = (messages: ReadonlyArray<ModelRequest | ModelResponse>, parameters = noParameters, settings = {}) => encodeRequest("gpt-4.1", messages, parameters, settings)

const raw = (name: string): string => readFileSync(new URL(`./fixtures/openai/${name}`, import.meta.url), "utf8")
const fixture = (name: string): Record<string, unknown> => JSON.parse(raw(name))
const events = (name: string): ReadonlyArray<unknown> => raw(name).split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)))

const decoded = (name: string): ModelResponse => Either.getOrThrow(decodeResponse(fixture(name), { requestedModel: "m" }))
const streamed = (name: string, parameters = noParameters): { readonly response: ModelResponse; readonly events: ReadonlyArray<ModelResponseStreamEvent> } => {
  const decoder = new ResponsesStreamDecoder(parameters, { requestedModel: "m" })
  const out: Array<ModelResponseStreamEvent> = []
  for (const event of events(name.replace(".json", ".sse"))) out.push(...Either.getOrThrow(decoder.event(event)))
  out.push(...Either.getOrThrow(decoder.end()))
  return { response: accumulate(out), events: out }
}
/** A response without its timestamp (the stream's is when its first event arrived). */
const comparable = (response: ModelResponse) => ({ ...response, timestamp: undefined })

describe("Responses codec: user content and settings", () => {
  it("documents as input_file (bytes as file_data, URLs as file_url), cache points left out", () => {
    const encoded = Either.getOrThrow(encode(prompt("Compare.", pdf, new CachePoint(), new DocumentUrl({ url: "https://example.com/spec.pdf" }))))
    expect(encoded.body.input).toEqual([{
      role: "user",
      content: [
        { type: "input_text", text: "Compare." },
        { type: "input_file", file_data: "data:application/pdf;base64,JVBERg==", filename: "file.pdf" },
        { type: "input_file", file_url: "https://example.com/spec.pdf" }
      ]
    }])
  })

  it("refuses audio and video with an InvalidInputError naming openai and the part", () => {
    for (const [item, named] of [[wav, "BinaryContent (audio/wav)"], [new AudioUrl({ url: "https://x/a.mp3" }), "AudioUrl"], [mp4, "BinaryContent (video/mp4)"], [new VideoUrl({ url: "https://x/a.mp4" }), "VideoUrl"]] as const) {
      const encoded = encode(prompt("x", item))
      if (Either.isRight(encoded)) throw new Error("expected a refusal")
      expect(encoded.left._tag).toBe("InvalidInputError")
      expect(encoded.left.provider).toBe("openai")
      expect(encoded.left.message).toContain(named)
    }
  })

  it("sends the prompt cache key and retention", () => {
    const body = Either.getOrThrow(encode(prompt("hi"), noParameters, { promptCacheKey: "tenant-7", promptCacheRetention: "24h" })).body
    expect(body.prompt_cache_key).toBe("tenant-7")
    expect(body.prompt_cache_retention).toBe("24h")
  })
})

describe("Responses codec: built-in tools, request side", () => {
  it("maps web search, file search, code execution and MCP servers to Responses tools, with their includes", () => {
    const parameters = new ModelRequestParameters({
      builtinTools: [
        new WebSearchTool({ allowedDomains: ["ecb.europa.eu"], userLocation: { country: "FR", city: "Paris" }, searchContextSize: "low", maxUses: 3 }),
        new FileSearchTool({ vectorStoreIds: ["vs_1"], maxNumResults: 5 }),
        new CodeExecutionTool(),
        new McpServerTool({ name: "crm", url: "https://mcp.example.com/sse", authorizationToken: "tok", allowedTools: ["lookup"], headers: { "x-tenant": "7" } })
      ]
    })
    const encoded = Either.getOrThrow(encode(prompt("go"), parameters))
    expect(encoded.body.tools).toEqual([
      { type: "web_search", filters: { allowed_domains: ["ecb.europa.eu"] }, user_location: { type: "approximate", country: "FR", city: "Paris" }, search_context_size: "low" },
      { type: "file_search", vector_store_ids: ["vs_1"], max_num_results: 5 },
      { type: "code_interpreter", container: { type: "auto" } },
      { type: "mcp", server_label: "crm", server_url: "https://mcp.example.com/sse", authorization: "tok", allowed_tools: ["lookup"], headers: { "x-tenant": "7" }, require_approval: "never" }
    ])
    expect(encoded.body.include).toEqual(["web_search_call.action.sources", "file_search_call.results", "code_interpreter_call.outputs"])
    expect(encoded.warnings).toEqual([expect.stringContaining("WebSearchTool.maxUses was ignored")])
  })

  it("refuses WebFetchTool before any request", () => {
    const encoded = encode(prompt("go"), new ModelRequestParameters({ builtinTools: [new WebFetchTool({})] }))
    if (Either.isRight(encoded)) throw new Error("expected a refusal")
    expect(encoded.left._tag).toBe("InvalidInputError")
    expect(encoded.left.message).toContain("WebFetchTool")
  })
})

describe("Responses codec: built-in tool items, response side", () => {
  it("decodes each built-in item as a call and a result, never a function tool call", () => {
    const response = decoded("responses-builtin-tools.json")
    expect(response.toolCalls).toEqual([])
    expect(response.finishReason).toBe("stop")
    expect(response.parts.map((p) => p._tag)).toEqual([
      "ThinkingPart",
      ...Array(5).fill(["BuiltinToolCallPart", "BuiltinToolReturnPart"]).flat(),
      "TextPart"
    ])
    expect(response.builtinToolCalls.map((c) => [c.toolName, c.toolCallId])).toEqual([
      ["web_search", "ws_68builtin0001"],
      ["file_search", "fs_68builtin0001"],
      ["code_interpreter", "ci_68builtin0001"],
      ["mcp_list_tools", "mcpl_68builtin0001"],
      ["lookup", "mcp_68builtin0001"]
    ])
    const [search, searchResult] = response.parts.slice(1, 3) as [BuiltinToolCallPart, BuiltinToolReturnPart]
    expect(search).toEqual(new BuiltinToolCallPart({
      toolName: "web_search",
      args: { type: "search", query: "EUR USD exchange rate today", sources: [{ type: "url", url: "https://www.ecb.europa.eu/stats/eurofxref" }] },
      toolCallId: "ws_68builtin0001",
      providerName: "openai",
      providerDetails: { type: "web_search_call" }
    }))
    expect(searchResult.content).toEqual({ status: "completed", sources: [{ type: "url", url: "https://www.ecb.europa.eu/stats/eurofxref" }] })
    const mcp = response.builtinToolCalls[4]!
    expect(mcp.args).toEqual({ customer: "ACME" })
    expect(mcp.providerDetails).toEqual({ type: "mcp_call", approval_request_id: null, server_label: "crm" })
    expect(response.builtinToolReturns[4]!.content).toEqual({ output: "ACME Corp, Paris", error: null, status: "completed" })
    expect(response.builtinToolReturns[2]!.content).toEqual({ status: "completed", outputs: [{ type: "logs", logs: "4546.8\n" }] })
  })

  it("reads cached tokens as cache reads", () => {
    const usage = decoded("responses-builtin-tools.json").usage
    expect(usage.inputTokens).toBe(3120)
    expect(usage.cacheReadTokens).toBe(2048)
    expect(usage.details.reasoning_tokens).toBe(128)
  })

  it("a streamed and a non-streamed response with built-in tools and cached usage accumulate to the same ModelResponse", () => {
    const { response, events: out } = streamed("responses-builtin-tools.json")
    expect(comparable(response)).toEqual(comparable(decoded("responses-builtin-tools.json")))
    // a built-in call starts, grows by a ToolCallPartDelta, and its result arrives whole
    const callStart = out.findIndex((e) => e._tag === "PartStartEvent" && e.part._tag === "BuiltinToolCallPart")
    expect(out[callStart + 1]).toMatchObject({ _tag: "PartDeltaEvent", delta: { _tag: "ToolCallPartDelta" } })
    expect(out.some((e) => e._tag === "PartStartEvent" && e.part._tag === "BuiltinToolReturnPart")).toBe(true)
    expect(out.filter((e) => e._tag === "FinalResultEvent")).toHaveLength(1)
  })

  it("sends the built-in items back as the items they came from, by id", () => {
    const original = fixture("responses-builtin-tools.json").output as ReadonlyArray<Record<string, unknown>>
    const { input, warnings } = Either.getOrThrow(encodeInput([...prompt("go"), decoded("responses-builtin-tools.json")]))
    expect(warnings).toEqual([])
    expect(input.slice(2, 7)).toEqual(original.slice(1, 6))
    // and the same from a history that went through JSON
    const history = [...prompt("go"), decoded("responses-builtin-tools.json")]
    const roundTripped = Schema.decodeUnknownSync(ModelMessages)(JSON.parse(JSON.stringify(Schema.encodeSync(ModelMessages)(history))))
    expect(Either.getOrThrow(encodeInput(roundTripped)).input).toEqual(input)
  })

  it("an image generation item (its tool passed in extraBody) is a built-in call and result too, streamed and not, and goes back as it came", () => {
    const item = { id: "ig_1", type: "image_generation_call", status: "completed", result: "iVBORw0KGgo=", revised_prompt: "A red cat" }
    const body = { id: "resp_ig", object: "response", created_at: 1764000000, status: "completed", model: "gpt-4.1", output: [item], usage: { input_tokens: 5, output_tokens: 9 } }
    const response = Either.getOrThrow(decodeResponse(body, { requestedModel: "m" }))
    expect(response.builtinToolCalls).toEqual([new BuiltinToolCallPart({ toolName: "image_generation", args: {}, toolCallId: "ig_1", providerName: "openai", providerDetails: { type: "image_generation_call", revised_prompt: "A red cat" } })])
    expect(response.builtinToolReturns[0]!.content).toEqual({ status: "completed", result: "iVBORw0KGgo=" })
    const decoder = new ResponsesStreamDecoder(noParameters, { requestedModel: "m" })
    const out: Array<ModelResponseStreamEvent> = []
    for (const event of [
      { type: "response.output_item.added", output_index: 0, item: { id: "ig_1", type: "image_generation_call", status: "in_progress", result: null } },
      { type: "response.output_item.done", output_index: 0, item },
      { type: "response.completed", response: body }
    ]) out.push(...Either.getOrThrow(decoder.event(event)))
    out.push(...Either.getOrThrow(decoder.end()))
    expect(comparable(accumulate(out))).toEqual(comparable(response))
    expect(Either.getOrThrow(encodeInput([response])).input).toEqual([item])
  })

  it("leaves out another provider's built-in parts with a warning", () => {
    const anthropic = new ModelResponse({
      parts: [new BuiltinToolCallPart({ toolName: "web_search", args: { query: "x" }, toolCallId: "srvtoolu_1", providerName: "anthropic", providerDetails: { type: "server_tool_use" } })],
      modelName: "claude-sonnet-4-5",
      providerName: "anthropic"
    })
    const { input, warnings } = Either.getOrThrow(encodeInput([...prompt("go"), anthropic]))
    expect(input).toHaveLength(1)
    expect(warnings).toEqual([expect.stringContaining("1 built-in tool part")])
  })
})

describe("Responses codec: raw reasoning text", () => {
  it("keeps reasoning_text content as the thinking part's content, streamed and not", () => {
    const response = decoded("responses-reasoning-text.json")
    expect(response.thinking).toBe("The user asks for 2+2. That is 4.")
    expect(response.parts[0]).toMatchObject({ _tag: "ThinkingPart", id: "rs_gptoss0001", providerName: "openai" })
    expect(comparable(streamed("responses-reasoning-text.json").response)).toEqual(comparable(response))
  })
})

describe("OpenAI batch lines carry the new parts and settings", () => {
  it("a document, a cache point and the prompt cache key reach the line's body, on both endpoints", () => {
    const request = new BatchRequest({
      customId: "doc-1",
      messages: prompt("Extract the total.", pdf, new CachePoint({ ttl: "1h" })),
      settings: { promptCacheKey: "invoices", promptCacheRetention: "24h" }
    })
    const chat = Either.getOrThrow(encodeLine(request, "gpt-4o-mini", undefined))
    expect(chat.body).toMatchObject({ prompt_cache_key: "invoices", prompt_cache_retention: "24h" })
    expect(JSON.parse(chat.line).body.messages[0].content[1]).toEqual({ type: "file", file: { file_data: "data:application/pdf;base64,JVBERg==", filename: "file.pdf" } })
    const responses = Either.getOrThrow(encodeLine(request, "gpt-4.1", undefined, undefined, responsesApi))
    expect(JSON.parse(responses.line).body.input[0].content[1]).toEqual({ type: "input_file", file_data: "data:application/pdf;base64,JVBERg==", filename: "file.pdf" })
    expect(responses.warnings).toEqual([])
  })

  it("a part the API cannot take fails the line with an InvalidInputError naming the request", () => {
    const request = new BatchRequest({ customId: "audio-1", messages: prompt(wav) })
    const encoded = encodeLine(request, "gpt-4.1", undefined, undefined, responsesApi)
    if (Either.isRight(encoded)) throw new Error("expected a refusal")
    expect(encoded.left._tag).toBe("InvalidInputError")
    expect(encoded.left.message).toContain("audio-1")
    expect(encoded.left.message).toContain("BinaryContent (audio/wav)")
  })
})
