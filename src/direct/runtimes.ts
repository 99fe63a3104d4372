/**
 * The facade's runtimes: one ManagedRuntime per Layer, and one per model string and
 * configuration, built once and reused, so repeated calls reuse the SDK clients instead of
 * constructing them on the hot path.
 *
 * A model string's runtime is built with a ConfigProvider that notes each environment variable
 * the provider's Layer reads (its key, base URL, endpoint, API version, ...) with the value it
 * saw. A later call reuses that runtime only while every one of those variables still has that
 * value; otherwise it builds a new one. So the variables that matter are exactly the ones the
 * provider of that string reads, from the provider's own `Config`, never a list kept here.
 *
 * @since 0.1.0
 */
import { Cause, ConfigProvider, type Effect, Exit, Layer, ManagedRuntime } from "effect"
import type * as BatchModel from "../BatchModel.js"
import type * as LanguageModel from "../LanguageModel.js"
import * as ModelString from "../ModelString.js"

/**
 * A model for the facade: a model string (`"openai:gpt-4o-mini"`, configured from the
 * environment), or a Layer that provides the services.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelInput<R = LanguageModel.LanguageModel> = string | Layer.Layer<R, unknown, never>

type Runtime<R> = ManagedRuntime.ManagedRuntime<R, unknown>

/** What a model string provides. */
type Services = LanguageModel.LanguageModel | BatchModel.BatchModel

/** A model string's runtime and the environment variables its Layer read, with their values then. */
interface Built {
  readonly runtime: Runtime<Services>
  readonly read: Map<string, string | undefined>
}

const byString = new Map<string, Array<Built>>()
const byLayer = new WeakMap<object, Runtime<unknown>>()

/**
 * The environment as `ConfigProvider.fromEnv` reads it, noting each variable read (the first
 * value seen wins: that is the one the client was built with).
 */
const noting = (read: Map<string, string | undefined>): ConfigProvider.ConfigProvider => {
  const env = ConfigProvider.fromEnv().flattened
  return ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (path, primitive, split) => {
      // fromEnv's own key: the path joined with "_"
      const name = path.join("_")
      if (!read.has(name)) read.set(name, process.env[name])
      return env.load(path, primitive, split)
    },
    enumerateChildren: (path) => env.enumerateChildren(path),
    patch: env.patch
  }))
}

// A runtime still building has read nothing yet and so matches: calls made while the first one
// builds share it, as they would share a finished one.
const current = (built: Built): boolean => {
  for (const [name, value] of built.read) if (process.env[name] !== value) return false
  return true
}

/** The runtime for a model string (resolved by `ModelString.layer`), in the environment as it is now. */
const forString = (model: string): Runtime<Services> => {
  let all = byString.get(model)
  if (all === undefined) {
    all = []
    byString.set(model, all)
  }
  for (const built of all) if (current(built)) return built.runtime
  const read = new Map<string, string | undefined>()
  const runtime = ManagedRuntime.make(Layer.provide(ModelString.layer(model), Layer.setConfigProvider(noting(read))))
  // earlier runtimes stay: an older configuration (a test's previous server) may come back, and
  // calls still running on them finish
  all.push({ runtime, read })
  return runtime
}

/**
 * The runtime for a model input: the model string's (built again once a variable its provider
 * read has changed), or the Layer's (built once per Layer object).
 *
 * @since 0.2.0
 * @category constructors
 */
export const runtimeFor = <R extends Services>(model: ModelInput<R>): Runtime<R> => {
  if (typeof model === "string") return forString(model)
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
 *
 * @since 0.1.0
 * @category utils
 */
export const runPromise = <A, E, R>(runtime: Runtime<R>, effect: Effect.Effect<A, E, R>, signal?: AbortSignal | undefined): Promise<A> => {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return runtime.runPromiseExit(effect, signal ? { signal } : undefined).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    if (signal?.aborted && Cause.isInterruptedOnly(exit.cause)) throw signal.reason
    throw Cause.squash(exit.cause)
  })
}

/**
 * Disposes every runtime of a model string (closing SDK clients); for tests and graceful
 * shutdown. The next call builds a new one.
 *
 * @since 0.1.0
 * @category utils
 */
export const disposeAll = async (): Promise<void> => {
  const all = [...byString.values()].flat()
  byString.clear()
  await Promise.all(all.map((built) => built.runtime.dispose()))
}
