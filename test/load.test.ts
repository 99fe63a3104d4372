/**
 * Load on the emulator through the public provider Layers: 1,000 direct requests 32 at a time
 * (OpenAi.model, and a share through Anthropic.model; every fourth one streamed, some slow
 * streams stopped early) with no error, each answer the one for its own prompt, every stopped
 * stream aborted, no leaked socket (about one connection per concurrent request, none still in
 * use afterwards) and no leaked fiber (a Supervisor sees every fiber the load started end, and the root fibers are
 * back to what they were); then a batch of 50,000 requests end to end, on each provider.
 */
import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Chunk, Effect, Exit, Fiber, ManagedRuntime, Stream, Supervisor } from "effect"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import { accumulate } from "../src/StreamEvent.js"
import { anthropicBatchEmulator } from "../src/testing/emulator/anthropic.js"
import { openAiBatchEmulator } from "../src/testing/emulator/openai.js"
import { type Emulator, type Handler, startEmulator } from "../src/testing/Emulator.js"
import { messagesHandler } from "../src/testing/emulator/anthropic.js"
import { chatCompletions } from "../src/testing/emulator/openai.js"
import { batchRoutes, callsTo, outcomes, type ProviderName, providerLayer } from "./helpers/reliability.js"

let emulator: Emulator
let port: number
beforeAll(async () => {
  emulator = await startEmulator()
  port = Number(new URL(emulator.url).port)
})
afterAll(async () => {
  await emulator.close()
})

/** The client sockets connected to the emulator right now. */
const socketsToEmulator = (): Array<net.Socket> =>
  ((process as unknown as { _getActiveHandles: () => Array<unknown> })._getActiveHandles())
    .filter((h): h is net.Socket => h instanceof net.Socket && h.remotePort === port)

const CONCURRENCY = 32

/** Streams stopped after their first event: the emulator sends these slowly, so only an abort ends them early. */
const stopsEarly = (i: number) => i % 40 === 3

/** One request of the load: plain, streamed to the end, or a slow stream stopped after its first event. */
const call = (i: number) => {
  const prompt = `load request ${stopsEarly(i) ? "slow " : ""}${i}`
  const messages = [ModelRequest.userTextPrompt(prompt)]
  const expected = `You said: ${prompt}`
  if (i % 4 !== 3) return Effect.map(LanguageModel.request(messages), (r) => r.text === expected)
  if (stopsEarly(i)) return Effect.map(Stream.runCollect(Stream.take(LanguageModel.requestStream(messages), 1)), (events) => Chunk.size(events) === 1)
  return Effect.map(Stream.runCollect(LanguageModel.requestStream(messages)), (events) => accumulate(events).text === expected)
}

/** The route's own answer, sent a frame every 100 ms when the prompt says "slow". */
const slowWhenAsked = (handler: Handler): Handler => async (request) => {
  const answer = await handler(request)
  return request.rawBody.includes("load request slow") ? { ...answer, chunkDelayMs: 100 } : answer
}

describe("load", () => {
  it("1,000 direct requests, 32 at a time: no error, every answer its own, no leaked socket or fiber", async () => {
    emulator.reset()
    emulator.setHandler("POST /v1/chat/completions", slowWhenAsked(chatCompletions))
    emulator.setHandler("POST /v1/messages", slowWhenAsked(messagesHandler))
    const rootsBefore = (await Effect.runPromise(Fiber.roots)).length
    const openai = ManagedRuntime.make(providerLayer("openai", emulator))
    const anthropic = ManagedRuntime.make(providerLayer("anthropic", emulator))
    // every socket the clients open, seen by sampling while the load runs
    const seen = new Set<net.Socket>()
    const sampler = setInterval(() => socketsToEmulator().forEach((s) => seen.add(s)), 10)

    const runShare = async (runtime: ManagedRuntime.ManagedRuntime<LanguageModel.LanguageModel | BatchModel, never>, from: number, to: number) => {
      const supervisor = await Effect.runPromise(Supervisor.track)
      const indices = Array.from({ length: to - from }, (_, k) => from + k)
      const exit = await runtime.runPromiseExit(
        Effect.forEach(indices, call, { concurrency: CONCURRENCY }).pipe(Effect.supervised(supervisor))
      )
      // every fiber the load started has ended
      const alive = (await Effect.runPromise(supervisor.value)).filter((f) => f.unsafePoll() === null)
      return { exit, alive: alive.length }
    }

    const started = Date.now()
    // 750 through OpenAI and 250 through Anthropic, both at once
    const [a, b] = await Promise.all([runShare(openai, 0, 750), runShare(anthropic, 750, 1000)])
    const elapsed = Date.now() - started
    clearInterval(sampler)

    for (const share of [a, b]) {
      expect(Exit.isSuccess(share.exit) ? "ok" : String(share.exit)).toBe("ok")
      if (Exit.isSuccess(share.exit)) expect(share.exit.value.every((matched) => matched)).toBe(true)
      expect(share.alive).toBe(0)
    }
    expect(emulator.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(750)
    expect(emulator.requests.filter((r) => r.path === "/v1/messages")).toHaveLength(250)
    // every stream stopped early aborted its HTTP response (the emulator saw the client go)
    const stoppedEarly = Array.from({ length: 1000 }, (_, i) => i).filter(stopsEarly).length
    const deadline = Date.now() + 5_000
    while (emulator.aborted.length < stoppedEarly && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(emulator.aborted).toHaveLength(stoppedEarly)
    // connections are pooled and reused: about one per request in flight (both providers share the
    // emulator's origin: 64) and one more for each aborted stream, where a socket per request would be 1,000
    expect(seen.size).toBeLessThan(2 * (2 * CONCURRENCY + stoppedEarly))

    await openai.dispose()
    await anthropic.dispose()
    // no fiber of the load survives it
    expect((await Effect.runPromise(Fiber.roots)).length).toBeLessThanOrEqual(rootsBefore)
    // no socket is still in use: Node lists a socket as an active handle while it carries a
    // request (an idle keep-alive socket is unref'd and drops out), so a response left unread or
    // unaborted would stay here
    while (socketsToEmulator().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(socketsToEmulator()).toHaveLength(0)
    // eslint-disable-next-line no-console
    console.log(`load: 1,000 requests in ${elapsed} ms, ${seen.size} connections`)
  }, 60_000)

  const batchOf = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ customId: `r${i}`, messages: [ModelRequest.userTextPrompt(`batch request ${i}`)] }))

  for (const provider of ["openai", "anthropic"] as const satisfies ReadonlyArray<ProviderName>) {
    it(`${provider}: a batch of 50,000 requests end to end, one result per request in order`, async () => {
      emulator.reset()
      if (provider === "openai") {
        openAiBatchEmulator(emulator).reset()
        openAiBatchEmulator(emulator).lifecycle = { statusCalls: 2, order: "shuffled" }
      } else {
        anthropicBatchEmulator(emulator).reset()
        anthropicBatchEmulator(emulator).lifecycle = { statusCalls: 2, order: "shuffled" }
      }
      const started = Date.now()
      const requests = batchOf(50_000)
      const built = Date.now()
      const results = await Effect.runPromise(
        Batch.run(requests, { pollInterval: "1 millis" }).pipe(Effect.provide(providerLayer(provider, emulator)))
      )
      const elapsed = Date.now() - started
      expect(results).toHaveLength(50_000)
      let misplaced = 0
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!
        if (r.customId !== `r${i}` || !r.isSuccessful || r.response.text !== `You said: batch request ${i}`) misplaced++
      }
      expect(misplaced).toBe(0)
      expect(outcomes(results.slice(0, 2))).toEqual(["r0:ok", "r1:ok"])
      expect(callsTo(emulator, batchRoutes[provider].create)).toBe(1)
      expect(callsTo(emulator, batchRoutes[provider].cancel)).toBe(0)
      // eslint-disable-next-line no-console
      console.log(`${provider}: 50,000-request batch in ${elapsed} ms (building the requests ${built - started} ms)`)
    }, 60_000)
  }
})
