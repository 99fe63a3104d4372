/**
 * Shared setup of the Anthropic batch tests: the real SDK against the emulator, with a fetch
 * that knows which requests are still in flight, and a driver that moves the TestClock to the
 * next sleep whenever the program waits on the clock alone. So `Batch.run` runs with its real
 * schedules (60-second polls, retry-after, timeouts) in milliseconds, and every call the
 * emulator received is stamped with the virtual time it was made at.
 */
import Anthropic from "@anthropic-ai/sdk"
import { Chunk, Clock, Effect, Layer, Redacted, TestClock } from "effect"
import { beforeEach } from "vitest"
import type * as BatchModel from "../../src/BatchModel.js"
import type { ModelSettings } from "../../src/Parameters.js"
import { AnthropicClient } from "../../src/providers/anthropic/AnthropicClient.js"
import * as AnthropicBatchModel from "../../src/providers/anthropic/AnthropicBatchModel.js"
import type { Emulator } from "../../src/testing/Emulator.js"
import { type AnthropicBatchLifecycle, anthropicBatchEmulator, batchLifecycleHeader } from "../../src/testing/emulator/anthropic.js"
import { apiKey, modelName, useEmulator } from "./anthropic.js"

export { apiKey, modelName }

/** One emulator for the file, its requests and batches forgotten before each test. */
export const useBatchEmulator = (): (() => Emulator) => {
  const emulator = useEmulator()
  beforeEach(() => anthropicBatchEmulator(emulator()).reset())
  return emulator
}

/** A call the SDK made: method, path (no query) and the virtual time it started at, in seconds. */
export interface Call {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly at: number
}

/** Options of {@link harness}. */
export interface HarnessOptions {
  /** The lifecycle of the batches this client creates (the `x-emulator-batch` header). */
  readonly lifecycle?: AnthropicBatchLifecycle | undefined
  /** Default settings of the batch model. */
  readonly settings?: ModelSettings | undefined
  readonly model?: string | undefined
  readonly apiKey?: string | undefined
}

/** A batch model against the emulator and the clock driver. */
export interface Harness {
  readonly layer: Layer.Layer<BatchModel.BatchModel>
  /** The client alone (for `Anthropic.model`-style wiring). */
  readonly client: Layer.Layer<AnthropicClient>
  /** Every call so far. */
  readonly calls: Array<Call>
  /** Calls as "METHOD path" strings, ids replaced by `:id`. */
  readonly routes: () => ReadonlyArray<string>
  /** How many calls matched "METHOD path-pattern" (`:id` for a batch id). */
  readonly count: (route: string) => number
  /** Whether an HTTP request or response body is still under way. */
  readonly busy: () => boolean
  /**
   * Runs the effect while a companion fiber moves the TestClock to the next sleep whenever
   * nothing is in flight and the program has waited on the clock alone for a moment (real
   * time). Interrupting it interrupts the effect first, with the clock still moving for its
   * finalizers (a cancel's retries).
   */
  readonly drive: <A, E>(self: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

const routeOf = (method: string, path: string) => `${method} ${path.replace(/msgbatch_[A-Za-z0-9_]+/g, ":id")}`

/** Builds a harness: SDK client (maxRetries 0) with the counting fetch, batch model layer, driver. */
export const harness = (emulator: Emulator, options: HarnessOptions = {}): Harness => {
  const calls: Array<Call> = []
  let inFlight = 0
  let completed = 0
  let virtualNow = 0

  // in flight from the request until its response body is read to the end, fails or is cancelled
  const countingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url)
    calls.push({ method: (init?.method ?? "GET").toUpperCase(), path: url.pathname, query: url.search, at: virtualNow / 1000 })
    inFlight += 1
    let released = false
    const release = () => {
      if (!released) {
        released = true
        inFlight -= 1
        completed += 1
      }
    }
    try {
      const response = await fetch(input, init)
      if (response.body === null) {
        release()
        return response
      }
      const reader = response.body.getReader()
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { done, value } = await reader.read()
            if (done) {
              release()
              controller.close()
            } else controller.enqueue(value)
          } catch (error) {
            release()
            controller.error(error)
          }
        },
        cancel(reason) {
          release()
          return reader.cancel(reason)
        }
      })
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
    } catch (error) {
      release()
      throw error
    }
  }

  const key = options.apiKey ?? apiKey
  const client = Layer.sync(AnthropicClient, () => ({
    sdk: new Anthropic({
      apiKey: key,
      baseURL: emulator.anthropicBaseURL,
      maxRetries: 0,
      openTelemetry: false,
      fetch: countingFetch,
      ...(options.lifecycle !== undefined ? { defaultHeaders: batchLifecycleHeader(options.lifecycle) } : {})
    }),
    apiKey: Redacted.make(key),
    timeoutMs: undefined
  }))
  const layer = AnthropicBatchModel.layer(options.model ?? modelName, { settings: options.settings }).pipe(Layer.provide(client))

  const busy = () => inFlight > 0
  // Moves the clock to the next sleep once nothing is in flight and the sleeps have not changed
  // for a moment (real time): the program then waits on the clock alone. TestClock keeps the
  // sleeps of interrupted fibers listed (a create's time-out, say); jumping to one wakes nothing,
  // but done between a response and the sleep it leads to, it would shift that sleep. So after a
  // response the loop waits for a new sleep to appear (or, failing that, for 100 ms).
  const clockLoop: Effect.Effect<never> = Effect.gen(function*() {
    let last = ""
    let since = Date.now()
    let previousSleeps = ""
    let seenCompleted = completed
    let awaiting: { readonly sleeps: string; readonly at: number } | undefined
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      virtualNow = now
      const pending = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((t) => t > now)
      const sleeps = pending.join(",")
      if (completed !== seenCompleted) {
        seenCompleted = completed
        awaiting = { sleeps: previousSleeps, at: Date.now() }
      }
      previousSleeps = sleeps
      const state = `${sleeps}|${inFlight}`
      const settled = awaiting === undefined || sleeps !== awaiting.sleeps || Date.now() - awaiting.at >= 100
      if (state !== last) {
        last = state
        since = Date.now()
      } else if (inFlight === 0 && pending.length > 0 && settled && Date.now() - since >= 10) {
        // stamp first: the fibers the adjustment wakes make their calls during it
        virtualNow = Math.min(...pending)
        awaiting = undefined
        yield* TestClock.adjust(virtualNow - now)
        last = ""
        continue
      }
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
    }
  })
  const drive = <A, E>(self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.scoped(Effect.zipRight(Effect.forkScoped(clockLoop), self))

  return {
    layer,
    client,
    calls,
    routes: () => calls.map((c) => routeOf(c.method, c.path)),
    count: (route) => calls.filter((c) => routeOf(c.method, c.path) === route).length,
    busy,
    drive
  }
}

/** The route strings of {@link Harness.count}. */
export const routes = {
  create: "POST /v1/messages/batches",
  retrieve: "GET /v1/messages/batches/:id",
  cancel: "POST /v1/messages/batches/:id/cancel",
  list: "GET /v1/messages/batches",
  results: "GET /v1/messages/batches/:id/results"
} as const
