/**
 * Gemini and the richer message model: documents, audio and video as inline and file data,
 * built-in tools (Google Search grounding, code execution, URL context) decoded into built-in
 * tool parts, streamed and not, and sent back; cache reads in usage.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { readFileSync } from "node:fs"
import { BatchRequest } from "../src/BatchData.js"
import {
  AudioUrl,
  BinaryContent,
  BuiltinToolCallPart,
  BuiltinToolReturnPart,
  CachePoint,
  DocumentUrl,
  ImageUrl,
  ModelRequest,
  ModelResponse,
  TextPart,
  ThinkingPart,
  UserPromptPart,
  VideoUrl
} from "../src/Message.js"
import {
  type BuiltinTool,
  CodeExecutionTool,
  FileSearchTool,
  McpServerTool,
  ModelRequestParameters,
  WebFetchTool,
  WebSearchTool
} from "../src/Parameters.js"
import { decodeResult, encodeItem } from "../src/providers/google/batchCodec.js"
import { decodeResponse, encodeMessages, encodeRequest, supportedSettings } from "../src/providers/google/codec.js"
import { StreamDecoder } from "../src/providers/google/streamDecoder.js"
import * as StreamEvent from "../src/StreamEvent.js"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/google/${name}`, import.meta.url), "utf8")
const recordedResponse = JSON.parse(fixture("builtin-tools-response.json")) as Record<string, unknown>
const recordedChunks = fixture("builtin-tools-stream.sse").split("\r\n\r\n").filter((f) => f.startsWith("data: ")).map((f) => JSON.parse(f.slice(6)) as unknown)

const comparable = (response: ModelResponse) => {
  const { timestamp: _, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return rest
}

const streamed = (chunks: ReadonlyArray<unknown>, parameters = ModelRequestParameters.from(undefined)) => {
  const decoder = new StreamDecoder(parameters, "gemini-2.5-flash")
  const events = chunks.flatMap((chunk) => Either.getOrThrow(decoder.push(chunk)))
  events.push(...Either.getOrThrow(decoder.end()))
  return events
}

const parameters = ModelRequestParameters.from(undefined)
const prompt = (...content: ConstructorParameters<typeof UserPromptPart>[0]["content"][]) =>
  [new ModelRequest({ parts: [new UserPromptPart({ content: content.flat() as never })] })]
const encode = (messages: ReadonlyArray<ModelRequest>, p = parameters) => encodeRequest("gemini-2.5-flash", messages, { parameters: p, settings: {} })

describe("Gemini input parts", () => {
  it("bytes go as inlineData (PDF, text, audio, video, image), cache points are left out", () => {
    const bytes = new Uint8Array([104, 105])
    const encoded = Either.getOrThrow(encode(prompt([
      new BinaryContent({ data: bytes, mediaType: "application/pdf" }),
      new BinaryContent({ data: bytes, mediaType: "text/plain" }),
      new BinaryContent({ data: bytes, mediaType: "audio/wav" }),
      new BinaryContent({ data: bytes, mediaType: "video/mp4" }),
      new BinaryContent({ data: bytes, mediaType: "image/png" }),
      new CachePoint({ ttl: "1h" }),
      "Describe them."
    ])))
    expect(encoded.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: "application/pdf", data: "aGk=" } },
      { inlineData: { mimeType: "text/plain", data: "aGk=" } },
      { inlineData: { mimeType: "audio/wav", data: "aGk=" } },
      { inlineData: { mimeType: "video/mp4", data: "aGk=" } },
      { inlineData: { mimeType: "image/png", data: "aGk=" } },
      { text: "Describe them." }
    ])
    expect(encoded.warnings).toEqual([])
  })

  it("URLs go as fileData, the media type given or told from the extension (YouTube links are video)", () => {
    const encoded = Either.getOrThrow(encode(prompt([
      new DocumentUrl({ url: "https://example.com/report.pdf" }),
      new DocumentUrl({ url: "https://example.com/notes", mediaType: "text/markdown" }),
      new AudioUrl({ url: "https://example.com/talk.mp3?x=1" }),
      new VideoUrl({ url: "https://www.youtube.com/watch?v=abc" }),
      new VideoUrl({ url: "https://example.com/clip.webm" }),
      new ImageUrl({ url: "https://example.com/cat.jpeg" })
    ])))
    expect(encoded.contents[0]!.parts).toEqual([
      { fileData: { fileUri: "https://example.com/report.pdf", mimeType: "application/pdf" } },
      { fileData: { fileUri: "https://example.com/notes", mimeType: "text/markdown" } },
      { fileData: { fileUri: "https://example.com/talk.mp3?x=1", mimeType: "audio/mpeg" } },
      { fileData: { fileUri: "https://www.youtube.com/watch?v=abc", mimeType: "video/mp4" } },
      { fileData: { fileUri: "https://example.com/clip.webm", mimeType: "video/webm" } },
      { fileData: { fileUri: "https://example.com/cat.jpeg", mimeType: "image/jpeg" } }
    ])
  })

  it("a document, audio or video URL whose type cannot be told is an InvalidInputError asking for mediaType", () => {
    for (const item of [new DocumentUrl({ url: "https://example.com/doc" }), new AudioUrl({ url: "https://example.com/a" }), new VideoUrl({ url: "https://example.com/v" })]) {
      const result = encode(prompt([item]))
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("google")
      expect(error.message).toContain(`${item._tag}.mediaType`)
    }
  })

  it("a media type Gemini cannot take is an InvalidInputError naming google and the part", () => {
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for (const item of [new BinaryContent({ data: new Uint8Array([1]), mediaType: docx }), new DocumentUrl({ url: "https://example.com/a.zip", mediaType: "application/zip" })]) {
      const result = encode(prompt([item, "Summarise."]))
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("google")
      expect(error.message).toContain(`google cannot take the ${item._tag} (`)
    }
  })
})

describe("Gemini built-in tools", () => {
  const withBuiltins = (...builtinTools: Array<BuiltinTool>) => ModelRequestParameters.from({ builtinTools })

  it("web search, code execution and web fetch become googleSearch, codeExecution and urlContext tools beside the functions", () => {
    const parameters = ModelRequestParameters.from({
      functionTools: [{ name: "lookup", description: "Look up.", parametersJsonSchema: { type: "object", properties: {} } }],
      builtinTools: [new WebSearchTool({}), new CodeExecutionTool(), new WebFetchTool({})]
    })
    const encoded = Either.getOrThrow(encode(prompt(["q"]), parameters))
    expect(encoded.config.tools).toEqual([
      { functionDeclarations: [{ name: "lookup", description: "Look up.", parametersJsonSchema: { type: "object", properties: {} } }] },
      { googleSearch: {} },
      { codeExecution: {} },
      { urlContext: {} }
    ])
    expect(encoded.warnings).toEqual([])
  })

  it("options Gemini lacks are ignored with a warning", () => {
    const encoded = Either.getOrThrow(encode(prompt(["q"]), withBuiltins(new WebSearchTool({ maxUses: 2, allowedDomains: ["a.com"] }), new WebFetchTool({ citations: true }))))
    expect(encoded.config.tools).toEqual([{ googleSearch: {} }, { urlContext: {} }])
    expect(encoded.warnings).toEqual([
      "WebSearchTool's maxUses, allowedDomains have no Gemini equivalent; ignored.",
      "WebFetchTool's citations has no Gemini equivalent; ignored."
    ])
  })

  it("MCP servers and file search are an InvalidInputError naming google and the tool, before any request", () => {
    for (const tool of [new McpServerTool({ name: "crm", url: "https://mcp.example.com" }), new FileSearchTool({ vectorStoreIds: ["vs_1"] })]) {
      const error = Either.getLeft(encode(prompt(["q"]), withBuiltins(tool))).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("google")
      expect(error.message).toContain(tool._tag)
      expect(error.message).toContain("WebSearchTool, WebFetchTool, CodeExecutionTool")
    }
  })

  it("a recorded response: code execution, grounding and URL context decode to built-in tool parts, never function calls", () => {
    const response = Either.getOrThrow(decodeResponse(recordedResponse, "gemini-2.5-flash"))
    const id = "hAbCZ9yTHZ2M1dkP3rOkqQo"
    expect(response.parts).toEqual([
      new ThinkingPart({ content: "I should compute it and check a source." }),
      new BuiltinToolCallPart({ toolName: "code_execution", args: { language: "PYTHON", code: "print(sum(range(1, 11)))\n" }, toolCallId: `gemini_code_${id}_0`, providerName: "google" }),
      new ThinkingPart({ content: "", signature: "c2lnLWNvZGU=" }),
      new BuiltinToolReturnPart({ toolName: "code_execution", content: { outcome: "OUTCOME_OK", output: "55\n" }, toolCallId: `gemini_code_${id}_0`, providerName: "google" }),
      new BuiltinToolCallPart({ toolName: "code_execution", args: { language: "PYTHON", code: "print(2 ** 10)\n" }, toolCallId: `gemini_code_${id}_1`, providerName: "google" }),
      new BuiltinToolReturnPart({ toolName: "code_execution", content: { outcome: "OUTCOME_OK", output: "1024\n" }, toolCallId: `gemini_code_${id}_1`, providerName: "google" }),
      new TextPart({ content: "The sum is 55 and 2^10 is 1024, as the Python docs confirm." }),
      new BuiltinToolCallPart({ toolName: "web_search", args: { queries: ["python sum of range", "python power operator"] }, toolCallId: `gemini_search_${id}`, providerName: "google" }),
      new BuiltinToolReturnPart({
        toolName: "web_search",
        content: [
          { web: { uri: "https://docs.python.org/3/library/functions.html", title: "docs.python.org" } },
          { web: { uri: "https://docs.python.org/3/reference/expressions.html", title: "docs.python.org" } }
        ],
        toolCallId: `gemini_search_${id}`,
        providerName: "google",
        providerDetails: {
          searchEntryPoint: { renderedContent: "<div class=\"container\">python sum of range</div>" },
          groundingSupports: [{ segment: { startIndex: 0, endIndex: 16, text: "The sum is 55 an" }, groundingChunkIndices: [0], confidenceScores: [0.92] }]
        }
      }),
      new BuiltinToolCallPart({ toolName: "web_fetch", args: { urls: ["https://docs.python.org/3/"] }, toolCallId: `gemini_fetch_${id}`, providerName: "google" }),
      new BuiltinToolReturnPart({
        toolName: "web_fetch",
        content: [{ retrievedUrl: "https://docs.python.org/3/", urlRetrievalStatus: "URL_RETRIEVAL_STATUS_SUCCESS" }],
        toolCallId: `gemini_fetch_${id}`,
        providerName: "google"
      })
    ])
    expect(response.toolCalls).toEqual([])
    expect(response.finishReason).toBe("stop")
    expect(response.usage).toMatchObject({ inputTokens: 4330, outputTokens: 98, cacheReadTokens: 4096, cacheWriteTokens: 0 })
  })

  it("the recorded stream accumulates to the same response; calls start whole, results arrive whole, nothing is a function call", () => {
    const events = streamed(recordedChunks)
    const accumulated = StreamEvent.accumulate(events)
    const direct = Either.getOrThrow(decodeResponse(recordedResponse, "gemini-2.5-flash"))
    expect(comparable(accumulated)).toEqual(comparable(direct))
    const starts = events.filter((e): e is StreamEvent.PartStartEvent => e._tag === "PartStartEvent")
    expect(starts.map((e) => e.part._tag)).not.toContain("ToolCallPart")
    expect(starts.filter((e) => e.part._tag === "BuiltinToolReturnPart")).toHaveLength(4)
    // every part ends once, in order, before the metadata
    const ends = events.filter((e) => e._tag === "PartEndEvent").map((e) => (e as StreamEvent.PartEndEvent).index)
    expect([...ends].sort((a, b) => a - b)).toEqual(starts.map((e) => e.index))
    expect(events[events.length - 1]!._tag).toBe("ResponseMetadataEvent")
  })

  it("code execution parts go back as executableCode / codeExecutionResult (signature on the code part); grounding and other providers' tools are left out", () => {
    const response = Either.getOrThrow(decodeResponse(recordedResponse, "gemini-2.5-flash"))
    const anthropic = new BuiltinToolCallPart({ toolName: "web_search", args: { query: "x" }, toolCallId: "srvtoolu_1", providerName: "anthropic" })
    const { contents } = encodeMessages([
      ModelRequest.userTextPrompt("Compute."),
      new ModelResponse({ ...response, parts: [...response.parts, anthropic] }),
      ModelRequest.userTextPrompt("Thanks.")
    ])
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "I should compute it and check a source.", thought: true },
        { executableCode: { language: "PYTHON", code: "print(sum(range(1, 11)))\n" }, thoughtSignature: "c2lnLWNvZGU=" },
        { codeExecutionResult: { outcome: "OUTCOME_OK", output: "55\n" } },
        { executableCode: { language: "PYTHON", code: "print(2 ** 10)\n" } },
        { codeExecutionResult: { outcome: "OUTCOME_OK", output: "1024\n" } },
        { text: "The sum is 55 and 2^10 is 1024, as the Python docs confirm." }
      ]
    })
  })
})

describe("Gemini batches carry the new parts", () => {
  it("an inline request and its JSONL line hold inline and file data, built-in tools and cached content", () => {
    const item = Either.getOrThrow(encodeItem("gemini-2.5-flash", undefined, BatchRequest.from({
      customId: "doc-1",
      messages: prompt([new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" }), new DocumentUrl({ url: "https://example.com/b.pdf" }), "Extract."]),
      parameters: ModelRequestParameters.from({ builtinTools: [new CodeExecutionTool()] }),
      settings: { extraBody: { cachedContent: "cachedContents/abc" } }
    })))
    const parts = [
      { inlineData: { mimeType: "application/pdf", data: "JVBERg==" } },
      { fileData: { fileUri: "https://example.com/b.pdf", mimeType: "application/pdf" } },
      { text: "Extract." }
    ]
    expect(item.inline.contents).toEqual([{ role: "user", parts }])
    // with cached content, the tools belong in the cache: the request leaves them out
    expect(item.inline.config).toEqual({ cachedContent: "cachedContents/abc" })
    expect(JSON.parse(item.line)).toEqual({ key: "doc-1", request: { contents: [{ role: "user", parts }], cachedContent: "cachedContents/abc" } })
    const withTools = Either.getOrThrow(encodeItem("gemini-2.5-flash", undefined, BatchRequest.from({
      customId: "doc-2",
      messages: prompt(["Compute."]),
      parameters: ModelRequestParameters.from({ builtinTools: [new CodeExecutionTool(), new WebSearchTool({})] })
    })))
    expect(JSON.parse(withTools.line).request.tools).toEqual([{ codeExecution: {} }, { googleSearch: {} }])
  })

  it("a result line decodes built-in tool parts and the cache reads", () => {
    const result = Either.getOrThrow(decodeResult({ key: "doc-1", response: recordedResponse }, {
      modelName: "gemini-2.5-flash",
      fallbackKey: undefined,
      timestamp: new Date(0),
      secrets: [],
      line: 1
    }))
    expect(result.isSuccessful).toBe(true)
    if (result.isSuccessful) {
      expect(result.response.usage.cacheReadTokens).toBe(4096)
      expect(result.response.builtinToolCalls.map((p) => p.toolName)).toEqual(["code_execution", "code_execution", "web_search", "web_fetch"])
      expect(result.response.toolCalls).toEqual([])
    }
  })
})

describe("Gemini prompt-cache settings", () => {
  it("cacheInstructions and cacheTools are taken and left out (Gemini caches by itself); promptCacheKey is not one of its settings", () => {
    const settings = { cacheInstructions: "1h", cacheTools: true } as const
    const encoded = Either.getOrThrow(encodeRequest("gemini-2.5-flash", [ModelRequest.userTextPrompt("q", { instructions: "Be brief." })], { parameters, settings }))
    expect(encoded.config).toEqual({ systemInstruction: "Be brief." })
    expect(supportedSettings).toContain("cacheInstructions")
    expect(supportedSettings).toContain("cacheTools")
    expect(supportedSettings).not.toContain("promptCacheKey")
    expect(supportedSettings).not.toContain("promptCacheRetention")
  })

  it("with cachedContent (extraBody), the request's system instruction and tools are left out with warnings", () => {
    const encoded = Either.getOrThrow(encodeRequest("gemini-2.5-flash", [ModelRequest.userTextPrompt("q", { instructions: "Be brief." })], {
      parameters: ModelRequestParameters.from({ builtinTools: [new CodeExecutionTool()] }),
      settings: { toolChoice: "auto", extraBody: { cachedContent: "cachedContents/abc" } }
    }))
    expect(encoded.config).toEqual({ cachedContent: "cachedContents/abc" })
    expect(encoded.warnings).toEqual([
      expect.stringContaining("system instruction was left out"),
      expect.stringContaining("tools was left out")
    ])
  })
})
