/**
 * The facade's streams on the provider Layers, through the real SDKs and the emulator. These
 * are read directly from the provider's decoding loop (internal/stream/streamProducer.ts), not by
 * running the Stream, so every guarantee of `modelRequestStream` is checked again on that path:
 * the same events and response as `LanguageModel.requestStream`, `break` and an aborted signal
 * cut the HTTP response, errors are the library's own, and a user's own service is respected.
 */
import { Chunk, Effect, Layer, Stream } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { AuthenticationError, ConnectionError, modelRequestStream, ModelRequest, type ModelResponseStreamEvent } from "../src/direct/index.js"
import { streamOpenerOf } from "../src/internal/stream/streamOpener.js"
import * as LanguageModel from "../src/LanguageModel.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { messagesHandler } from "../src/testing/emulator/anthropic.js"
import { chatCompletions } from "../src/testing/emulator/openai.js"
import type { Scripted } from "../src/testing/emulator/Server.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"

const KEY = "direct-stream-key-93b1c07e"
const prompt = [ModelRequest.userTextPrompt("What is the capital of France?")]

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator.close()
})
beforeEach(() => emulator.reset())

const providers = [
  {
    name: "OpenAI",
    route: "POST /v1/chat/completions",
    handler: chatCompletions,
    layer: (apiKey = KEY) =>
      OpenAi.languageModel("gpt-4o-mini", { retry: false }).pipe(Layer.provide(OpenAi.layer({ apiKey, baseURL: emulator.openaiBaseURL })))
  },
  {
    name: "Anthropic",
    route: "POST /v1/messages",
    handler: messagesHandler,
    layer: (apiKey = KEY) =>
      Anthropic.languageModel("claude-haiku-4-5", { retry: false }).pipe(Layer.provide(Anthropic.layer({ apiKey, baseURL: emulator.anthropicBaseURL })))
  }
] as const

const collect = async (events: AsyncIterable<ModelResponseStreamEvent>): Promise<Array<ModelResponseStreamEvent>> => {
  const out: Array<ModelResponseStreamEvent> = []
  for await (const event of events) out.push(event)
  return out
}

/** Scripts the provider's next answer: its usual one in `deltas` text deltas, with delays or a fault. */
const scriptAnswer = (provider: (typeof providers)[number], deltas: number, extra: Partial<Scripted>) =>
  emulator.script(provider.route, async (request) => ({
    ...(await provider.handler({ ...request, headers: { ...request.headers, "x-emulator-deltas": String(deltas) } })),
    ...extra
  }))

const withoutTimestamps = (events: ReadonlyArray<ModelResponseStreamEvent>) =>
  JSON.parse(JSON.stringify(events, (key, value: unknown) => (key === "timestamp" ? undefined : value))) as unknown

describe.each(providers)("facade stream on the $name Layer", (provider) => {
  it("is opened for direct reading (the service built by LanguageModel.make carries the opener)", async () => {
    const service = await Effect.runPromise(Effect.provide(LanguageModel.LanguageModel, provider.layer()))
    expect(streamOpenerOf(service)).toBeTypeOf("function")
    // not enumerable: a service spread into a new object does not inherit it
    expect(streamOpenerOf({ ...service })).toBeUndefined()
  })

  it("yields the events of LanguageModel.requestStream (metadata folded into the response)", async () => {
    const settings = { extraHeaders: { "x-emulator-deltas": "40" } }
    const layer = provider.layer()
    const viaEffect = await Effect.runPromise(
      LanguageModel.requestStream(prompt, { settings }).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.provide(layer))
    )
    const stream = modelRequestStream(layer, prompt, { modelSettings: settings })
    const events = await collect(stream)
    expect(withoutTimestamps(events)).toEqual(withoutTimestamps(viaEffect.filter((e) => e._tag !== "ResponseMetadataEvent")))
    const text = viaEffect.flatMap((e) => (e._tag === "PartDeltaEvent" && e.delta._tag === "TextPartDelta" ? [e.delta.contentDelta] : e._tag === "PartStartEvent" && e.part._tag === "TextPart" ? [e.part.content] : []))
    expect(stream.response.text).toBe(text.join(""))
    expect(stream.response.text.length).toBeGreaterThan(0)
    expect(stream.usage.outputTokens).toBeGreaterThan(0)
    // read to its end: the response was not aborted
    expect(emulator.aborted).toHaveLength(0)
  })

  it("break mid-body aborts the HTTP response", async () => {
    const aborted = emulator.waitForAbort(3_000)
    scriptAnswer(provider, 100, { chunkDelayMs: 30 })
    const stream = modelRequestStream(provider.layer(), prompt)
    let deltas = 0
    for await (const event of stream) {
      if (event._tag === "PartDeltaEvent" && ++deltas === 3) break
    }
    const request = await aborted
    expect(request.path).toBe(provider.route.split(" ")[1])
    expect(deltas).toBe(3)
  })

  it("an aborted signal rejects with its reason and aborts the HTTP response", async () => {
    const aborted = emulator.waitForAbort(3_000)
    const controller = new AbortController()
    const reason = new Error("user stopped")
    scriptAnswer(provider, 100, { chunkDelayMs: 30 })
    const stream = modelRequestStream(provider.layer(), prompt, { signal: controller.signal })
    const consumed = (async () => {
      for await (const event of stream) if (event._tag === "PartDeltaEvent") controller.abort(reason)
    })()
    await expect(consumed).rejects.toBe(reason)
    await aborted
  })

  it("an aborted signal during the open rejects with its reason and aborts the request", async () => {
    const aborted = emulator.waitForAbort(3_000)
    const controller = new AbortController()
    const reason = new Error("gave up waiting")
    scriptAnswer(provider, 5, { delayMs: 10_000 })
    const stream = modelRequestStream(provider.layer(), prompt, { signal: controller.signal })
    const consumed = collect(stream)
    while (emulator.requests.length === 0) await new Promise((r) => setTimeout(r, 5))
    controller.abort(reason)
    await expect(consumed).rejects.toBe(reason)
    await aborted
  })

  it("a connection cut mid-body rejects with the library's error after the events before it", async () => {
    // eight deltas, a frame every 20 ms, the connection broken after half of them
    scriptAnswer(provider, 8, { chunkDelayMs: 20, fault: "truncate" })
    const seen: Array<string> = []
    const error = await (async () => {
      for await (const event of modelRequestStream(provider.layer(), prompt)) seen.push(event._tag)
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(seen).toContain("PartStartEvent")
  })

  it("a failed open rejects with the library's error, without the key", async () => {
    const error = await collect(modelRequestStream(provider.layer("invalid-key-5d1e"), prompt)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(String((error as Error).message)).not.toContain("invalid-key-5d1e")
  })
})

describe("facade stream on a user's service", () => {
  it("runs the service's own requestStream when it overrides a provider's", async () => {
    const base = OpenAi.languageModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey: KEY, baseURL: emulator.openaiBaseURL })))
    const layer = Layer.effect(
      LanguageModel.LanguageModel,
      Effect.map(LanguageModel.LanguageModel, (service) => ({
        ...service,
        requestStream: (messages: Parameters<typeof service.requestStream>[0], options?: LanguageModel.RequestOptions) =>
          service.requestStream(messages, options).pipe(Stream.take(2))
      }))
    ).pipe(Layer.provide(base))
    const events = await collect(modelRequestStream(layer, prompt))
    expect(events.map((e) => e._tag)).toEqual(["PartStartEvent", "FinalResultEvent"])
  })
})
