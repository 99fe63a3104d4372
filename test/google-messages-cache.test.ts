/**
 * Gemini's explicit prompt cache as a scoped resource, end to end through the real
 * `@google/genai` SDK against the emulator: created with `caches.create`, used by name
 * (per request, as a model option, in batches), its tokens reported as cache reads streamed and
 * not, and deleted when its Scope closes, interrupted or not.
 */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Layer, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse } from "../src/Message.js"
import * as Google from "../src/providers/google/index.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { googleError } from "../src/testing/Emulator.js"
import * as Tool from "../src/Tool.js"
import { batchLayer, captureLogs, clientLayer, type LogLine, modelName, useEmulator, wireBody } from "./helpers/google.js"

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
