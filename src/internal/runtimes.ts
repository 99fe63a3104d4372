/**
 * The facade's runtimes: one ManagedRuntime per model string (and configuration) or per Layer,
 * built once and reused, so repeated calls reuse the SDK clients instead of constructing them
 * on the hot path.
 */
import { Cause, type Effect, Exit, type Layer, ManagedRuntime } from "effect"
import type { InvalidInputError } from "../AiError.js"
import type * as BatchModel from "../BatchModel.js"
import type * as LanguageModel from "../LanguageModel.js"
import * as ModelString from "../ModelString.js"

/** A model for the facade: a model string, or a Layer that provides the services. */
export type ModelInput<R = LanguageModel.LanguageModel> = string | Layer.Layer<R, unknown, never>

type Runtime<R> = ManagedRuntime.ManagedRuntime<R, unknown>

type Services = LanguageModel.LanguageModel | BatchModel.BatchModel

const byString = new Map<string, Runtime<Services>>()
const byLayer = new WeakMap<object, Runtime<unknown>>()

// The configuration a model string reads; a change (a test pointing at another server, a new key)
// must build a new client, so it is part of the cache key.
const configVariables = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]

const stringKey = (model: string): string => `${model}\u0000${configVariables.map((name) => process.env[name] ?? "").join("\u0000")}`

/** The runtime for a model string. */
export const forString = (model: string, makeLayer: (model: string) => Layer.Layer<Services, InvalidInputError> = ModelString.layer): Runtime<Services> => {
  const key = stringKey(model)
  let runtime = byString.get(key)
  if (runtime === undefined) {
    runtime = ManagedRuntime.make(makeLayer(model))
    byString.set(key, runtime)
  }
  return runtime
}

/** The runtime for a model input. */
export const runtimeFor = <R>(model: ModelInput<R>, fromString: (model: string) => Runtime<R>): Runtime<R> => {
  if (typeof model === "string") return fromString(model)
  let runtime = byLayer.get(model) as Runtime<R> | undefined
  if (runtime === undefined) {
    runtime = ManagedRuntime.make(model)
    byLayer.set(model, runtime as Runtime<unknown>)
  }
  return runtime
}

/**
 * Runs an effect to a promise that rejects with the library's own error object (never Effect's
 * FiberFailure wrapper), or with `signal.reason` when the signal aborted it.
 */
export const runPromise = <A, E, R>(runtime: Runtime<R>, effect: Effect.Effect<A, E, R>, signal?: AbortSignal | undefined): Promise<A> => {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return runtime.runPromiseExit(effect, signal ? { signal } : undefined).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    if (signal?.aborted && Cause.isInterruptedOnly(exit.cause)) throw signal.reason
    throw Cause.squash(exit.cause)
  })
}

/** Disposes every cached runtime (closing SDK clients); for tests and graceful shutdown. */
export const disposeAll = async (): Promise<void> => {
  const all = [...byString.values()]
  byString.clear()
  await Promise.all(all.map((r) => r.dispose()))
}
