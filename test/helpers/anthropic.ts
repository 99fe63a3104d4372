/**
 * Shared setup of the Anthropic tests: one emulator per test file (reset before each test), the
 * real SDK pointed at it, and a log capture for warnings.
 */
import { Effect, Layer, Logger, LogLevel } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import type { ModelSettings } from "../../src/Parameters.js"
import * as Anthropic from "../../src/providers/anthropic/index.js"
import type * as Retry from "../../src/Retry.js"
import { type Emulator, startEmulator } from "../../src/testing/Emulator.js"

/** The key the tests send; long and unusual so a leak is easy to spot. */
export const apiKey = "test-anthropic-key-7f3a9c2e51"
/** The model the tests ask for. */
export const modelName = "claude-haiku-4-5"

/** Starts an emulator for the file; returns a getter (the server exists only once `beforeAll` ran). */
export const useEmulator = (): (() => Emulator) => {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await emulator?.close()
  })
  beforeEach(() => emulator?.reset())
  return () => {
    if (emulator === undefined) throw new Error("the emulator is not started")
    return emulator
  }
}

/** Options of {@link modelLayer}. */
export interface ModelLayerOptions {
  readonly apiKey?: string
  readonly model?: string
  readonly settings?: ModelSettings
  /** retries are off unless given: a retry sleeps on the TestClock and would stall a test */
  readonly retry?: Retry.Policy | false
  /** client timeout, seconds */
  readonly timeout?: number
  readonly baseURL?: string
}

/** The Anthropic `LanguageModel` against the emulator. */
export const modelLayer = (emulator: Emulator, options: ModelLayerOptions = {}) =>
  Anthropic.languageModel(options.model ?? modelName, {
    settings: options.settings,
    retry: options.retry ?? false
  }).pipe(Layer.provide(Anthropic.layer({
    apiKey: options.apiKey ?? apiKey,
    baseURL: options.baseURL ?? emulator.anthropicBaseURL,
    timeout: options.timeout
  })))

/** A logged line: level and text (annotations and spans dropped). */
export interface LogLine {
  readonly level: string
  readonly message: string
}

/** A Logger layer that records every line into `lines`, replacing the default logger. */
export const captureLogs = (lines: Array<LogLine>) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const parts = Array.isArray(message) ? message : [message]
        lines.push({ level: logLevel.label, message: parts.map(String).join(" ") })
      })
    ),
    Logger.minimumLogLevel(LogLevel.All)
  )

/** The body of the n-th request the emulator received (default: the last), as JSON. */
export const wireBody = (emulator: Emulator, n?: number): Record<string, unknown> => {
  const request = n === undefined ? emulator.requests[emulator.requests.length - 1] : emulator.requests[n]
  if (request === undefined) throw new Error("the emulator received no request")
  return request.body as Record<string, unknown>
}

/** Waits (in real time: the TestClock does not move) until `condition` holds. */
export const waitUntil = (condition: () => boolean, timeoutMs = 5_000): Effect.Effect<void> =>
  Effect.promise(async () => {
    const start = Date.now()
    while (!condition()) {
      if (Date.now() - start > timeoutMs) throw new Error("waitUntil: the condition did not hold in time")
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })

/** Splits a recorded SSE body into frames, each with its trailing blank line, as written. */
export const sseFramesOf = (body: string): Array<string> =>
  body.split(/\n\n/).filter((f) => f.trim() !== "").map((f) => `${f}\n\n`)
