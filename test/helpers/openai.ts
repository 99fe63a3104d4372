/**
 * Shared pieces of the OpenAI tests: an emulator per test file, a model Layer pointed at it, log
 * capture, and real-time waiting (the SDK's HTTP runs on the real clock even under TestClock).
 */
import { afterAll, beforeAll, beforeEach } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, List, Logger, Schema } from "effect"
import { AiError } from "../../src/AiError.js"
import type * as LanguageModel from "../../src/LanguageModel.js"
import { ModelResponse } from "../../src/Message.js"
import * as OpenAi from "../../src/providers/openai/index.js"
import { type Emulator, startEmulator } from "../../src/testing/Emulator.js"

/** A key that is not `sk-`-shaped, so only our own redaction (not the pattern) can hide it. */
export const TEST_KEY = "emu-test-key-4f9c21a7"

/** The chat completions route key. */
export const CHAT = "POST /v1/chat/completions" as const

/** Starts one emulator for the file, resets its scripts and records before each test. */
export const useEmulator = (): (() => Emulator) => {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await emulator?.close()
  })
  beforeEach(() => {
    emulator?.reset()
  })
  return () => {
    if (emulator === undefined) throw new Error("emulator not started")
    return emulator
  }
}

/** The OpenAI LanguageModel against the emulator. */
export const modelLayer = (
  emulator: Emulator,
  options?: OpenAi.ModelOptions & { readonly model?: string; readonly apiKey?: string; readonly timeout?: number }
): Layer.Layer<LanguageModel.LanguageModel> =>
  OpenAi.languageModel(options?.model ?? "gpt-4o-mini", options).pipe(
    Layer.provide(OpenAi.layer({ apiKey: options?.apiKey ?? TEST_KEY, baseURL: emulator.openaiBaseURL, timeout: options?.timeout }))
  )

/** The JSON body of the i-th request the emulator received (default: the last). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const wireBody = (emulator: Emulator, index = -1): any => {
  const request = emulator.requests.at(index)
  if (request === undefined) throw new Error("the emulator received no request")
  return request.body
}

/** Collects log lines (level and message) while an effect runs. */
export const captureLogs = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<{ readonly result: Exit.Exit<A, E>; readonly logs: ReadonlyArray<string> }, never, R> =>
  Effect.suspend(() => {
    const logs: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      logs.push(`${logLevel.label} ${Array.isArray(message) ? message.map(String).join(" ") : String(message)}`)
    })
    return Effect.exit(self).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.map((result) => ({ result, logs }))
    )
  })

/** Waits (real time) until `condition` holds, polling every few milliseconds. */
export const waitUntil = (condition: () => boolean, timeoutMs = 5_000, what = "condition"): Effect.Effect<void> =>
  Effect.promise(async () => {
    const start = Date.now()
    while (!condition()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })

/** Sleeps on the real clock (TestClock does not move it). */
export const realSleep = (ms: number): Effect.Effect<void> => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** The typed failure of an exit, or a test failure if it succeeded or died. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got success: ${JSON.stringify(exit.value)}`)
  const failures = List.fromIterable(Cause.failures(exit.cause))
  const first = List.isCons(failures) ? failures.head : undefined
  if (first === undefined) throw new Error(`expected a typed failure, got: ${Cause.pretty(exit.cause)}`)
  return first
}

/** A response as JSON without its timestamp, to compare responses of different calls. */
export const withoutTimestamp = (response: ModelResponse): unknown => {
  const encoded = Schema.encodeSync(ModelResponse)(response) as Record<string, unknown>
  const { timestamp: _ignored, ...rest } = encoded
  return rest
}

/** An error as JSON through its Schema, as a program would persist it. */
export const encodeError = (error: AiError): string => JSON.stringify(Schema.encodeSync(AiError)(error))
