/**
 * OpenAI Chat Completions and the message model's newer parts: documents and audio as content
 * parts, refused parts as InvalidInputError before any request, cache points left out, the
 * prompt cache settings, web search options, cached tokens in usage, and generated ids for tool
 * calls that come without one. Codec level, then through the real SDK against the emulator.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import { readFileSync } from "node:fs"
import * as LanguageModel from "../src/LanguageModel.js"
import {
  AudioUrl,
  BinaryContent,
  CachePoint,
  DocumentUrl,
  ImageUrl,
  ModelRequest,
  type ModelResponse,
  UserPromptPart,
  VideoUrl
} from "../src/Message.js"
import { CodeExecutionTool, FileSearchTool, McpServerTool, ModelRequestParameters, WebFetchTool, WebSearchTool } from "../src/Parameters.js"
import { decodeChatCompletion, encodeRequest, StreamDecoder } from "../src/providers/openai/codec.js"
import { accumulate, type ModelResponseStreamEvent } from "../src/StreamEvent.js"
import { failureOf, modelLayer, useEmulator, wireBody } from "./helpers/openai.js"

const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
const text = new BinaryContent({ data: new TextEncoder().encode("hello"), mediaType: "text/plain" })
const wav = new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
const mp3 = new BinaryContent({ data: new Uint8Array([73, 68, 51]), mediaType: "audio/mpeg" })
const ogg = new BinaryContent({ data: new Uint8Array([79, 103, 103]), mediaType: "audio/ogg" })
const mp4 = new BinaryContent({ data: new Uint8Array([0, 0, 0, 24]), mediaType: "video/mp4" })

const prompt = (...content: ReadonlyArray<UserPromptPart["content"][number]>) => [new ModelRequest({ parts: [new UserPromptPart({ content })] })]
const noParameters = new ModelRequestParameters({})

const encode = (messages: ReturnType<typeof prompt>, parameters = noParameters, settings = {}) => encodeRequest("gpt-4o-mini", messages, parameters, settings)

const refusal = (messages: ReturnType<typeof prompt>, parameters = noParameters) => {
  const encoded = encode(messages, parameters)
  if (Either.isRight(encoded)) throw new Error("expected a refusal")
  return encoded.left
}

describe("Chat Completions codec: user content", () => {
  it("documents as file parts, WAV and MP3 as input_audio, cache points left out", () => {
    const encoded = Either.getOrThrow(encode(prompt("Read these.", pdf, new CachePoint({ ttl: "1h" }), text, wav, mp3)))
    expect(encoded.body.messages).toEqual([{
      role: "user",
      content: [
        { type: "text", text: "Read these." },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERg==", filename: "file.pdf" } },
        { type: "file", file: { file_data: "data:text/plain;base64,aGVsbG8=", filename: "file.txt" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } }
      ]
    }])
    expect(encoded.warnings).toEqual([])
  })

  it("refuses what Chat Completions cannot take with an InvalidInputError naming openai and the part", () => {
    const cases: ReadonlyArray<readonly [UserPromptPart["content"][number], string, string]> = [
      [new DocumentUrl({ url: "https://example.com/a.pdf" }), "DocumentUrl", "BinaryContent"],
      [new ImageUrl({ url: "https://example.com/a.pdf", mediaType: "application/pdf" }), "ImageUrl (application/pdf)", "BinaryContent"],
      [new AudioUrl({ url: "https://example.com/a.wav" }), "AudioUrl", "WAV or MP3"],
      [new VideoUrl({ url: "https://example.com/a.mp4", mediaType: "video/mp4" }), "VideoUrl (video/mp4)", "no video"],
      [ogg, "BinaryContent (audio/ogg)", "WAV"],
      [mp4, "BinaryContent (video/mp4)", "no video"]
    ]
    for (const [item, named, advice] of cases) {
      const error = refusal(prompt("x", item))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("openai")
      expect(error.message).toContain(named)
      expect(error.message).toContain(advice)
    }
  })
})

describe("Chat Completions codec: settings and built-in tools", () => {
  it("sends promptCacheKey and promptCacheRetention; cacheInstructions and cacheTools add nothing", () => {
    const encoded = Either.getOrThrow(encode(prompt("hi"), noParameters, { promptCacheKey: "tenant-7", promptCacheRetention: "24h", cacheInstructions: true, cacheTools: "1h" }))
    expect(encoded.body).toEqual({ model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], prompt_cache_key: "tenant-7", prompt_cache_retention: "24h" })
    expect(encoded.warnings).toEqual([])
  })

  it("maps WebSearchTool to web_search_options and warns about the options it has no field for", () => {
    const parameters = new ModelRequestParameters({
      builtinTools: [new WebSearchTool({ searchContextSize: "low", userLocation: { city: "Paris", country: "FR" }, maxUses: 2 })]
    })
    const encoded = Either.getOrThrow(encode(prompt("news?"), parameters))
    expect(encoded.body.web_search_options).toEqual({ search_context_size: "low", user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } } })
    expect(encoded.body.tools).toBeUndefined()
    expect(encoded.warnings).toEqual([expect.stringContaining("WebSearchTool.maxUses was ignored")])
    expect(Either.getOrThrow(encode(prompt("news?"), new ModelRequestParameters({ builtinTools: [new WebSearchTool({})] }))).body.web_search_options).toEqual({})
  })

  it("refuses the other built-in tools", () => {
    for (const tool of [new WebFetchTool({}), new CodeExecutionTool(), new McpServerTool({ name: "crm", url: "https://mcp.example.com" }), new FileSearchTool({ vectorStoreIds: ["vs_1"] })]) {
      const error = refusal(prompt("x"), new ModelRequestParameters({ builtinTools: [new WebSearchTool({}), tool] }))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain(tool._tag)
      expect(error.message).toContain("it offers WebSearchTool")
    }
  })
})

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/openai/${name}`, import.meta.url), "utf8"))
const chunksOf = (name: string): ReadonlyArray<unknown> =>
  readFileSync(new URL(`./fixtures/openai/${name}`, import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("data: ") && l !== "data: [DONE]").map((l) => JSON.parse(l.slice(6)))

const decodeStream = (chunks: ReadonlyArray<unknown>): ModelResponse => {
  const decoder = new StreamDecoder(noParameters, { requestedModel: "m" })
  const events: Array<ModelResponseStreamEvent> = []
  for (const chunk of chunks) events.push(...Either.getOrThrow(decoder.chunk(chunk)))
  events.push(...Either.getOrThrow(decoder.end()))
  return accumulate(events)
}

describe("Chat Completions codec: decoding", () => {
  it("reads cached tokens as cache reads, streamed and not", () => {
    const response = Either.getOrThrow(decodeChatCompletion(fixture("chat-cached-usage.json"), { requestedModel: "m" }))
    expect(response.usage.inputTokens).toBe(2006)
    expect(response.usage.cacheReadTokens).toBe(1920)
    expect(decodeStream(chunksOf("chat-cached-usage.sse")).usage).toEqual(response.usage)
  })

  it("gives tool calls that came without an id a generated, unique, non-empty one, streamed and not", () => {
    const first = Either.getOrThrow(decodeChatCompletion(fixture("chat-tool-calls-without-id.json"), { requestedModel: "m" }))
    const second = Either.getOrThrow(decodeChatCompletion(fixture("chat-tool-calls-without-id.json"), { requestedModel: "m" }))
    const ids = [...first.toolCalls, ...second.toolCalls].map((c) => c.toolCallId)
    expect(ids).toHaveLength(4)
    for (const id of ids) expect(id).toMatch(/^call_[a-z0-9]+_\d+$/)
    expect(new Set(ids).size).toBe(4)
    const streamed = decodeStream(chunksOf("chat-tool-calls-without-id.sse"))
    expect(streamed.toolCalls.map((c) => c.toolName)).toEqual(first.toolCalls.map((c) => c.toolName))
    expect(streamed.toolCalls.map((c) => c.args)).toEqual(first.toolCalls.map((c) => c.args))
    const streamedIds = streamed.toolCalls.map((c) => c.toolCallId)
    for (const id of streamedIds) expect(id).toMatch(/^call_[a-z0-9]+_\d+$/)
    expect(new Set([...streamedIds, ...ids]).size).toBe(6)
  })
})

const emulator = useEmulator()
const request = (...args: Parameters<typeof LanguageModel.request>) => LanguageModel.request(...args).pipe(Effect.provide(modelLayer(emulator())))
const stream = (...args: Parameters<typeof LanguageModel.requestStream>) =>
  LanguageModel.requestStream(...args).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(modelLayer(emulator())))

describe("Chat Completions through the SDK", () => {
  it.effect("sends documents, audio, and the prompt cache settings", () =>
    Effect.gen(function* () {
      const response = yield* request(prompt("Read these.", pdf, new CachePoint(), wav), { settings: { promptCacheKey: "k1", promptCacheRetention: "in_memory" } })
      expect(response.text).not.toBe("")
      const body = wireBody(emulator())
      expect(body.messages[0].content.map((p: { type: string }) => p.type)).toEqual(["text", "file", "input_audio"])
      expect(body.prompt_cache_key).toBe("k1")
      expect(body.prompt_cache_retention).toBe("in_memory")
    }))

  it.effect("refuses a document URL before any request", () =>
    Effect.gen(function* () {
      const error = failureOf(yield* Effect.exit(request(prompt(new DocumentUrl({ url: "https://example.com/a.pdf" })))))
      expect(error._tag).toBe("InvalidInputError")
      expect(emulator().requests).toHaveLength(0)
    }))

  it.effect("streams and requests with web_search_options", () =>
    Effect.gen(function* () {
      const parameters = { builtinTools: [new WebSearchTool({ searchContextSize: "high" })] }
      yield* request(prompt("news?"), { parameters })
      expect(wireBody(emulator()).web_search_options).toEqual({ search_context_size: "high" })
      const events = yield* stream(prompt("news?"), { parameters })
      expect(events.at(-1)?._tag).toBe("ResponseMetadataEvent")
    }))
})
