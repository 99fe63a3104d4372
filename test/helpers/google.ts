/**
 * Shared setup of the Gemini tests: one emulator per test file (reset before each test), the
 * real `@google/genai` SDK pointed at it.
 */
import { Layer } from "effect"
import type { ModelSettings } from "../../src/Parameters.js"
import * as Google from "../../src/providers/google/index.js"
import type * as Retry from "../../src/Retry.js"
import type { Emulator } from "../../src/testing/Emulator.js"

export { captureLogs, type LogLine, useEmulator, wireBody } from "./anthropic.js"

/** The key the tests send; long and unusual so a leak is easy to spot. */
export const apiKey = "test-gemini-key-4b8d1e6f27"
/** The model the tests ask for. */
export const modelName = "gemini-2.5-flash"

/** Options of {@link modelLayer}. */
export interface ModelLayerOptions {
  readonly apiKey?: string
  readonly model?: string
  readonly settings?: ModelSettings
  /** retries are off unless given: a retry sleeps on the TestClock and would stall a test */
  readonly retry?: Retry.Policy | false
  /** client timeout, seconds */
  readonly timeout?: number
  readonly defaultHeaders?: Readonly<Record<string, string>>
}

/** The Gemini client against the emulator. */
export const clientLayer = (emulator: Emulator, options: ModelLayerOptions = {}) =>
  Google.layer({
    apiKey: options.apiKey ?? apiKey,
    baseURL: emulator.googleBaseURL,
    timeout: options.timeout,
    defaultHeaders: options.defaultHeaders
  })

/** The Gemini `LanguageModel` against the emulator. */
export const modelLayer = (emulator: Emulator, options: ModelLayerOptions = {}) =>
  Google.languageModel(options.model ?? modelName, { settings: options.settings, retry: options.retry ?? false }).pipe(
    Layer.provide(clientLayer(emulator, options))
  )

/** The Gemini `BatchModel` against the emulator. */
export const batchLayer = (emulator: Emulator, options: ModelLayerOptions & { readonly inlineLimitBytes?: number } = {}) =>
  Google.batchModel(options.model ?? modelName, { settings: options.settings, inlineLimitBytes: options.inlineLimitBytes }).pipe(
    Layer.provide(clientLayer(emulator, options))
  )
