/**
 * Gemini's explicit prompt cache as a scoped resource, end to end through the real
 * `@google/genai` SDK against the emulator: created with `caches.create`, used by name
 * (per request, as a model option, in batches), its tokens reported as cache reads streamed and
 * not, and deleted when its Scope closes, interrupted or not; built-in tools and inline / file
 * data on the emulator.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Layer, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { AudioUrl, BinaryContent, ModelRequest, ModelResponse, UserPromptPart } from "../src/Message.js"
import { CodeExecutionTool, WebFetchTool, WebSearchTool } from "../src/Parameters.js"
import * as Google from "../src/providers/google/index.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { googleError } from "../src/testing/Emulator.js"
import * as Tool from "../src/Tool.js"
import { apiKey, batchLayer, captureLogs, clientLayer, type LogLine, modelName, useEmulator, wireBody } from "./helpers/google.js"

const emulator = useEmulator()
const client = () => clientLayer(emulator())
const model = (options?: Google.ModelOptions) => Google.languageModel(modelName, { retry: false, ...options }).pipe(Layer.provide(client()))

const manual = "You answer questions about the emulator's manual. ".repeat(40)
const Lookup = Tool.make("lookup", { description: "Look a word up.", parameters: Schema.Struct({ word: Schema.String }) })

const calls = (method: string, prefix = "/v1beta/cachedContents") => emulator().requests.filter((r) => r.method === method && r.path.startsWith(prefix))

const comparable = (response: ModelResponse) => {
  const { timestamp: _, ...rest } = Schema.encodeSync(ModelResponse)(response)
  return rest
}

describe("Google.cachedContent", () => {
  it.effect("is created through caches.create, used by name, reported as cache reads, and deleted when its Scope closes", () =>
    Effect.gen(function*() {
      const [response, name] = yield* Effect.scoped(Effect.gen(function*() {
        const cache = yield* Google.cachedContent({
          model: modelName,
          instructions: manual,
          messages: [ModelRequest.userTextPrompt("Chapter 1: the emulator answers every request.")],
          tools: [Lookup],
          ttl: "30 minutes",
          displayName: "manual"
        })
        expect(cache.name).toMatch(/^cachedContents\//)
        expect(cache.model).toBe(modelName)
        expect(cache.tokenCount).toBeGreaterThan(0)
        expect(cache.expireTime).toBeInstanceOf(Date)
        expect(cache.settings).toEqual({ extraBody: { cachedContent: cache.name } })
        const created = wireBody(emulator(), 0)
        expect(created.model).toBe(`models/${modelName}`)
        expect(created.ttl).toBe("1800s")
        expect(created.displayName).toBe("manual")
        expect(created.systemInstruction).toEqual({ parts: [{ text: manual }], role: "user" })
        expect(created.contents).toEqual([{ role: "user", parts: [{ text: "Chapter 1: the emulator answers every request." }] }])
        expect(created.tools).toEqual([{ functionDeclarations: [expect.objectContaining({ name: "lookup" })] }])
        const answer = yield* LanguageModel.request([ModelRequest.userTextPrompt("What does chapter 1 say?")], { settings: cache.settings }).pipe(Effect.provide(model()))
        expect(wireBody(emulator()).cachedContent).toBe(cache.name)
        expect(answer.usage.cacheReadTokens).toBe(cache.tokenCount)
        expect(answer.usage.inputTokens).toBeGreaterThan(cache.tokenCount!)
        expect(calls("DELETE")).toHaveLength(0)
        return [answer, cache.name] as const
      }).pipe(Effect.provide(client())))
      // the emulator answered with the cached tools offered
      expect(response.parts.map((p) => p._tag === "ToolCallPart" && p.toolName)).toEqual(["lookup"])
      expect(calls("DELETE").map((r) => r.path)).toEqual([`/v1beta/${name}`])
      // the cache is gone: a request naming it is refused
      const after = yield* LanguageModel.request([ModelRequest.userTextPrompt("again")], { settings: Google.cachedContentSettings(name) }).pipe(
        Effect.provide(model()),
        Effect.exit
      )
      expect(Exit.isFailure(after)).toBe(true)
    }))

  it.effect("the emulator's caches.get finds it while its Scope is open, and not after", () =>
    Effect.gen(function*() {
      const { sdk } = yield* Google.GoogleClient
      const name = yield* Effect.scoped(Effect.gen(function*() {
        const cache = yield* Google.cachedContent({ model: modelName, instructions: manual, displayName: "manual" })
        const got = yield* Effect.promise(() => sdk.caches.get({ name: cache.name }))
        expect(got).toMatchObject({ name: cache.name, model: `models/${modelName}`, displayName: "manual", usageMetadata: { totalTokenCount: cache.tokenCount } })
        return cache.name
      }))
      const after = yield* Effect.exit(Effect.tryPromise(() => sdk.caches.get({ name })))
      expect(Exit.isFailure(after)).toBe(true)
    }).pipe(Effect.provide(client())))

  it.effect("is deleted when the fiber holding its Scope is interrupted", () =>
    Effect.gen(function*() {
      const ready = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const cache = yield* Google.cachedContent({ model: modelName, instructions: manual })
        yield* Deferred.succeed(ready, cache.name)
        return yield* Effect.never
      })).pipe(Effect.provide(client())))
      const name = yield* Deferred.await(ready)
      expect(calls("DELETE")).toHaveLength(0)
      yield* Fiber.interrupt(fiber)
      expect(calls("DELETE").map((r) => r.path)).toEqual([`/v1beta/${name}`])
    }))

  it.effect("a failed delete is logged, not raised", () =>
    Effect.gen(function*() {
      const lines: Array<LogLine> = []
      emulator().script("DELETE /v1beta/cachedContents/:id", googleError(500, "backend unavailable"))
      const name = yield* Effect.scoped(Effect.map(Google.cachedContent({ model: modelName, instructions: manual }), (c) => c.name)).pipe(
        Effect.provide(Layer.merge(client(), captureLogs(lines)))
      )
      expect(name).toMatch(/^cachedContents\//)
      expect(lines.some((l) => l.level === "WARN" && l.message.includes(`could not delete the cached content ${name}`))).toBe(true)
    }))

  it.effect("the model option cachedContent sends every request with it; the request's own instructions and tools are left out with a warning", () =>
    Effect.gen(function*() {
      const lines: Array<LogLine> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const cache = yield* Google.cachedContent({ model: modelName, instructions: manual, tools: [Lookup] })
        const answer = yield* LanguageModel.request([ModelRequest.userTextPrompt("hello", { instructions: "Be brief." })], {
          parameters: { functionTools: [Lookup] }
        }).pipe(Effect.provide(Layer.merge(model({ cachedContent: cache.name }), captureLogs(lines))))
        const sent = wireBody(emulator())
        expect(sent.cachedContent).toBe(cache.name)
        expect(sent.systemInstruction).toBeUndefined()
        expect(sent.tools).toBeUndefined()
        expect(answer.usage.cacheReadTokens).toBe(cache.tokenCount)
      }).pipe(Effect.provide(client())))
      expect(lines.filter((l) => l.message.includes("with cachedContent")).map((l) => l.message)).toEqual([
        expect.stringContaining("system instruction was left out"),
        expect.stringContaining("tools was left out")
      ])
    }))

  it.effect("streamed, the cached tokens are cache reads too, and the stream adds up to the non-streamed response", () =>
    Effect.scoped(Effect.gen(function*() {
      const cache = yield* Google.cachedContent({ model: modelName, instructions: manual })
      const settings = { ...cache.settings, extraHeaders: { "x-emulator-id": "cached-1" } }
      const direct = yield* LanguageModel.request([ModelRequest.userTextPrompt("hi")], { settings }).pipe(Effect.provide(model()))
      const events = yield* LanguageModel.requestStream([ModelRequest.userTextPrompt("hi")], { settings }).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toArray),
        Effect.provide(model())
      )
      const streamed = StreamEvent.accumulate(events)
      expect(streamed.usage.cacheReadTokens).toBe(cache.tokenCount)
      expect(comparable(streamed)).toEqual(comparable(direct))
    }).pipe(Effect.provide(client()))))

  it.live("batch requests use it through their settings; results report the cache reads", () =>
    Effect.scoped(Effect.gen(function*() {
      const cache = yield* Google.cachedContent({ model: modelName, instructions: manual })
      for (const inlineLimitBytes of [undefined, 1]) {
        const results = yield* Batch.run(
          ["a", "b"].map((id) => ({ customId: id, messages: [ModelRequest.userTextPrompt(`question ${id}`)], settings: cache.settings })),
          { pollInterval: "5 millis" }
        ).pipe(Effect.provide(Layer.merge(batchLayer(emulator(), { inlineLimitBytes }), KeyValueStore.layerMemory)))
        expect(results.map((r) => r.isSuccessful && r.response.usage.cacheReadTokens)).toEqual([cache.tokenCount, cache.tokenCount])
      }
      const [inline, file] = emulator().googleBatches.batches()
      expect(inline!.requests[0]).toMatchObject({ cachedContent: cache.name })
      expect(file!.requests[0]).toMatchObject({ cachedContent: cache.name })
    }).pipe(Effect.provide(client()))))
})

describe("Gemini built-in tools and files on the emulator", () => {
  const builtins = { builtinTools: [new CodeExecutionTool(), new WebSearchTool({}), new WebFetchTool({})] }
  const ask = [ModelRequest.userTextPrompt("Summarise https://example.com/post and count its words.")]

  it.effect("the tools offered answer with code execution, grounding and URL context, streamed and not alike", () =>
    Effect.gen(function*() {
      const settings = { extraHeaders: { "x-emulator-id": "builtin-1" } }
      const direct = yield* LanguageModel.request(ask, { parameters: builtins, settings }).pipe(Effect.provide(model()))
      expect(wireBody(emulator()).tools).toEqual([{ codeExecution: {} }, { googleSearch: {} }, { urlContext: {} }])
      const events = yield* LanguageModel.requestStream(ask, { parameters: builtins, settings }).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(model()))
      const streamed = StreamEvent.accumulate(events)
      expect(comparable(streamed)).toEqual(comparable(direct))
      expect(direct.parts.map((p) => p._tag === "BuiltinToolCallPart" || p._tag === "BuiltinToolReturnPart" ? `${p._tag}:${p.toolName}` : p._tag)).toEqual([
        "BuiltinToolCallPart:code_execution",
        "BuiltinToolReturnPart:code_execution",
        "TextPart",
        "BuiltinToolCallPart:web_search",
        "BuiltinToolReturnPart:web_search",
        "BuiltinToolCallPart:web_fetch",
        "BuiltinToolReturnPart:web_fetch"
      ])
      expect(direct.builtinToolCalls.find((p) => p.toolName === "web_fetch")!.args).toEqual({ urls: ["https://example.com/post"] })
      expect(direct.toolCalls).toEqual([])
      // sent back, the code execution goes as it came
      yield* LanguageModel.request([...ask, direct, ModelRequest.userTextPrompt("Thanks.")], { parameters: builtins }).pipe(Effect.provide(model()))
      const history = wireBody(emulator()).contents as ReadonlyArray<{ readonly role: string; readonly parts: ReadonlyArray<Record<string, unknown>> }>
      expect(history[1]!.parts.map((p) => Object.keys(p)[0])).toEqual(["executableCode", "codeExecutionResult", "text"])
    }))

  it.effect("without built-in tools the answer has none (the emulator adds them only when asked)", () =>
    Effect.gen(function*() {
      const direct = yield* LanguageModel.request(ask).pipe(Effect.provide(model()))
      expect(direct.parts.map((p) => p._tag)).toEqual(["TextPart"])
    }))

  it.effect("inline and file data reach the emulator, which checks them as the API does", () =>
    Effect.gen(function*() {
      const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
      yield* LanguageModel.request([new ModelRequest({
        parts: [new UserPromptPart({ content: [pdf, new AudioUrl({ url: "https://example.com/a.mp3" }), "Compare them."] })]
      })]).pipe(Effect.provide(model()))
      expect((wireBody(emulator()).contents as Array<{ parts: unknown }>)[0]!.parts).toEqual([
        { inlineData: { mimeType: "application/pdf", data: "JVBERg==" } },
        { fileData: { fileUri: "https://example.com/a.mp3", mimeType: "audio/mpeg" } },
        { text: "Compare them." }
      ])
      const post = (part: unknown) =>
        Effect.promise(() =>
          fetch(`${emulator().googleBaseURL}/v1beta/models/${modelName}:generateContent`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-goog-api-key": apiKey },
            body: JSON.stringify({ contents: [{ role: "user", parts: [part] }] })
          }).then(async (r) => ({ status: r.status, body: await r.text() }))
        )
      expect((yield* post({ inlineData: { data: "JVBERg==" } })).body).toContain("inline_data.mime_type")
      expect((yield* post({ inlineData: { mimeType: "application/pdf", data: "not base64!" } })).status).toBe(400)
      expect((yield* post({ fileData: { mimeType: "application/pdf" } })).body).toContain("file_data.file_uri")
      expect((yield* post({ fileData: { fileUri: "https://example.com/a.pdf", mimeType: "application/pdf" } })).status).toBe(200)
    }))
})
