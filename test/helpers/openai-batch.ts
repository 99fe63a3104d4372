/**
 * Shared pieces of the OpenAI batch tests: an emulator per file with its batch controls, a
 * `BatchModel` over an SDK whose fetch tracks requests in flight (bodies included) and bytes
 * read, and a driver that moves the TestClock only while no HTTP is in flight, so polls and
 * retries run at once while the HTTP runs for real.
 */
import { afterAll, beforeAll, beforeEach } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import OpenAI from "openai"
import type { BatchModel } from "../../src/BatchModel.js"
import * as OpenAi from "../../src/providers/openai/index.js"
import { type Emulator, startEmulator } from "../../src/testing/Emulator.js"
import { type BatchRouteKey, batchRouteKeys, type OpenAiBatchEmulator, openAiBatchEmulator } from "../../src/testing/emulator/openai.js"
import { TEST_KEY } from "./openai.js"


/** The emulator of a test file and its batch controls, both reset before each test. */
export interface BatchEmulator {
  readonly emulator: () => Emulator
  readonly batches: () => OpenAiBatchEmulator
}

/** Starts one emulator for the file; before each test its scripts, records and batches are reset. */
export const useBatchEmulator = (): BatchEmulator => {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await emulator?.close()
  })
  beforeEach(() => {
    emulator?.reset()
    if (emulator !== undefined) openAiBatchEmulator(emulator).reset()
  })
  const get = () => {
    if (emulator === undefined) throw new Error("emulator not started")
    return emulator
  }
  return { emulator: get, batches: () => openAiBatchEmulator(get()) }
}

/** What the tracking fetch saw. */
export interface Traffic {
  /** HTTP exchanges whose response body is not fully read yet (or that wait for headers). */
  readonly inFlight: () => number
  /** Bytes of response bodies handed to the SDK so far. */
  readonly bytesRead: () => number
}

/** An SDK on the emulator whose fetch tracks traffic; its body is pulled only on demand. */
export const trackedSdk = (emulator: Emulator, apiKey = TEST_KEY): { readonly sdk: OpenAI; readonly traffic: Traffic } => {
  let inFlight = 0
  let bytes = 0
  const trackingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    inFlight++
    let response: Response
    try {
      response = await fetch(input, init)
    } catch (error) {
      inFlight--
      throw error
    }
    const source = response.body
    if (source === null) {
      inFlight--
      return response
    }
    let open = true
    const finish = () => {
      if (open) {
        open = false
        inFlight--
      }
    }
    const reader = source.getReader()
    // highWaterMark 0: a chunk is fetched from the network body only when the consumer asks
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) {
            finish()
            controller.close()
            return
          }
          bytes += value.byteLength
          controller.enqueue(value)
        } catch (error) {
          finish()
          controller.error(error)
        }
      },
      cancel(reason) {
        finish()
        return reader.cancel(reason)
      }
    }, { highWaterMark: 0 })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  const sdk = new OpenAI({ apiKey, baseURL: emulator.openaiBaseURL, maxRetries: 0, fetch: trackingFetch })
  return { sdk, traffic: { inFlight: () => inFlight, bytesRead: () => bytes } }
}

/** The OpenAI client service over an SDK. */
export const clientLayer = (sdk: OpenAI, apiKey = TEST_KEY): Layer.Layer<OpenAi.OpenAiClient> =>
  Layer.succeed(OpenAi.OpenAiClient, { sdk, apiKey: Redacted.make(apiKey) })

/** The OpenAI BatchModel on the emulator, with its traffic. */
export const batchModel = (
  emulator: Emulator,
  options?: OpenAi.ModelOptions & { readonly model?: string; readonly apiKey?: string }
): { readonly layer: Layer.Layer<BatchModel>; readonly traffic: Traffic; readonly sdk: OpenAI } => {
  const { sdk, traffic } = trackedSdk(emulator, options?.apiKey)
  return {
    layer: OpenAi.batchModel(options?.model ?? "gpt-4o-mini", options).pipe(Layer.provide(clientLayer(sdk, options?.apiKey))),
    traffic,
    sdk
  }
}

const realSleep = (ms: number): Effect.Effect<void> => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/**
 * Joins a fiber while moving the TestClock to each pending wake-up (polls, retry delays,
 * timeouts), but only while no HTTP exchange is in flight and only by at most `maxStepMs` at a
 * time, so a create's or a download's time-out never fires because the test jumped ahead.
 */
export const drive = <A, E>(
  fiber: Fiber.Fiber<A, E>,
  traffic: Traffic,
  options?: { readonly maxStepMs?: number; readonly timeoutMs?: number }
): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    const maxStep = options?.maxStepMs ?? 60_000
    const deadline = Date.now() + (options?.timeoutMs ?? 20_000)
    while ((yield* Fiber.poll(fiber))._tag === "None") {
      if (Date.now() > deadline) {
        const wakes = Chunk.toReadonlyArray(yield* TestClock.sleeps())
        const now = yield* TestClock.currentTimeMillis
        return yield* Effect.die(new Error(`drive: the fiber did not finish in time (in flight: ${traffic.inFlight()}, clock: ${now} ms, wake-ups: ${wakes.join(", ") || "none"})`))
      }
      if (traffic.inFlight() === 0) {
        const now = yield* TestClock.currentTimeMillis
        const wakes = Chunk.toReadonlyArray(yield* TestClock.sleeps())
        const next = wakes.length === 0 ? undefined : Math.min(...wakes)
        // (jittered retry delays make the clock fractional: allow a millisecond of rounding)
        if (next !== undefined && next - now <= maxStep + 1) {
          yield* TestClock.adjust(Math.max(0, next - now))
          yield* realSleep(1)
          continue
        }
      }
      yield* realSleep(1)
    }
    return yield* Fiber.join(fiber)
  })

/** Runs an effect to its end under the TestClock, driving the clock as {@link drive} does. */
export const driven = <A, E, R>(self: Effect.Effect<A, E, R>, traffic: Traffic, options?: { readonly maxStepMs?: number; readonly timeoutMs?: number }): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.fork(self), (fiber) => drive(fiber, traffic, options))

const routeRegex = (key: BatchRouteKey | "POST /v1/chat/completions"): { method: string; regex: RegExp } => {
  const [method, path] = key.split(" ") as [string, string]
  return { method, regex: new RegExp(`^${path.replace(/:[A-Za-z_]+/g, "[^/]+")}$`) }
}

/** How many requests of a route the emulator received. */
export const callsTo = (emulator: Emulator, key: BatchRouteKey | "POST /v1/chat/completions"): number => {
  const { method, regex } = routeRegex(key)
  return emulator.requests.filter((r) => r.method === method && regex.test(r.path)).length
}

/** Waits (real time) until `condition` holds. */
export const waitFor = (condition: () => boolean, what: string, timeoutMs = 5_000): Effect.Effect<void> =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })

/** The routes' keys, re-exported for scripts. */
export const KEYS = batchRouteKeys
