/**
 * Shared pieces of the reliability suites (property tests, fault injection, fuzzing, load): the
 * real provider Layers on an emulator with a short SDK timeout, counts of the calls each route
 * received, the expected outcome of a request under an emulator lifecycle, and fast-check
 * settings that make every failure reproducible.
 */
import { Cause, Effect, Exit, Layer, Option } from "effect"
import type { BatchResult } from "../../src/Batch.js"
import type * as BatchModel from "../../src/BatchModel.js"
import type * as LanguageModel from "../../src/LanguageModel.js"
import * as Anthropic from "../../src/providers/anthropic/index.js"
import * as OpenAi from "../../src/providers/openai/index.js"
import type { Emulator, Handler, RouteKey, Scripted } from "../../src/testing/Emulator.js"
import {
  type AnthropicBatchLifecycle,
  anthropicBatchEmulator,
  anthropicError,
  type BatchRouteKey as AnthropicBatchRouteKey,
  batchRouteKeys as anthropicRouteKeys
} from "../../src/testing/emulator/anthropic.js"
import {
  type BatchRouteKey as OpenAiBatchRouteKey,
  batchRouteKeys as openAiRouteKeys,
  type OpenAiBatchLifecycle,
  openAiBatchEmulator,
  openAiError
} from "../../src/testing/emulator/openai.js"

/** Keys the suites send (long and odd, so a leak would stand out). */
export const OPENAI_KEY = "rel-openai-key-0c4d9e1f"
export const ANTHROPIC_KEY = "rel-anthropic-key-7b2a6f30"

/**
 * fast-check settings: a fixed seed by default, so CI runs the same cases and a failure is
 * reproduced by running the file again; `FC_SEED=<n>` explores others, `FC_RUNS=<factor>`
 * multiplies the number of runs. fast-check prints the seed and path of a failing case.
 */
export const fcParams = (numRuns: number, salt = 0): { readonly seed: number; readonly numRuns: number; readonly endOnFailure: true } => ({
  seed: (process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_250_611) + salt,
  numRuns: Math.max(1, Math.round(numRuns * (process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 1))),
  endOnFailure: true
})

/** Which provider a case runs on. */
export type ProviderName = "openai" | "anthropic"

/** Options of {@link providerLayer}. */
export interface ProviderLayerOptions {
  /** The SDK's own request timeout in seconds (a "hang" fault ends with it). */
  readonly timeout?: number | undefined
  /** Headers every request carries (Anthropic's batch lifecycle header, say). */
  readonly defaultHeaders?: Readonly<Record<string, string>> | undefined
  /** Another key (one with "invalid" in it makes the emulator answer 401 and echo it). */
  readonly apiKey?: string | undefined
}

/** A provider's LanguageModel and BatchModel on the emulator, built by its public `model` Layer. */
export const providerLayer = (
  provider: ProviderName,
  emulator: Emulator,
  options: ProviderLayerOptions = {}
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel> => {
  const layer =
    provider === "openai"
      ? OpenAi.model("gpt-4o-mini", { client: { apiKey: options.apiKey ?? OPENAI_KEY, baseURL: emulator.openaiBaseURL, timeout: options.timeout }, retry: false })
      : Anthropic.model("claude-haiku-4-5", {
          client: { apiKey: options.apiKey ?? ANTHROPIC_KEY, baseURL: emulator.anthropicBaseURL, timeout: options.timeout, defaultHeaders: options.defaultHeaders },
          retry: false
        })
  // the client comes from options: no ConfigError is possible
  return Layer.orDie(layer)
}

/** A route as the suites name it, with the regular expression of its path. */
export interface Route {
  readonly method: string
  readonly path: RegExp
}

const route = (method: string, path: string): Route => ({ method, path: new RegExp(`^${path.replace(/:[a-z]+/g, "[^/]+")}$`) })

/** The batch routes of each provider, by lifecycle stage. */
export const batchRoutes = {
  openai: {
    upload: route("POST", "/v1/files"),
    create: route("POST", "/v1/batches"),
    poll: route("GET", "/v1/batches/:id"),
    download: route("GET", "/v1/files/:id/content"),
    cancel: route("POST", "/v1/batches/:id/cancel")
  },
  anthropic: {
    create: route("POST", "/v1/messages/batches"),
    poll: route("GET", "/v1/messages/batches/:id"),
    download: route("GET", "/v1/messages/batches/:id/results"),
    cancel: route("POST", "/v1/messages/batches/:id/cancel")
  }
} as const

/** How many requests of a route the emulator received. */
export const callsTo = (emulator: Emulator, r: Route): number =>
  emulator.requests.filter((q) => q.method === r.method && r.path.test(q.path)).length

/** An exit as a short text for assertions: "ok", "fail:<tag>", "die:<message>" or "interrupt". */
export const exitKind = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { readonly _tag?: unknown }
    return `fail:${typeof e._tag === "string" ? e._tag : "untagged"}`
  }
  const defects = [...Cause.defects(exit.cause)]
  if (defects.length > 0) return `die:${defects.map((d) => (d instanceof Error ? d.message : String(d))).join("; ").slice(0, 300)}`
  return Cause.isInterruptedOnly(exit.cause) ? "interrupt" : `cause:${Cause.pretty(exit.cause).slice(0, 300)}`
}

/** Results as "id:ok" / "id:<code>". */
export const outcomes = (results: ReadonlyArray<BatchResult>): ReadonlyArray<string> =>
  results.map((r) => `${r.customId}:${r.isSuccessful ? "ok" : r.error.code}`)

/** Splits ids into consecutive chunks of at most `size` (how `Batch.run` splits by count). */
export const chunksOf = <A>(items: ReadonlyArray<A>, size: number | undefined): ReadonlyArray<ReadonlyArray<A>> => {
  if (size === undefined || size >= items.length) return [items]
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A stable shuffle of `items` by `seed` (a permutation for the result lines' order). */
export const shuffled = <A>(items: ReadonlyArray<A>, seed: number): Array<A> => {
  const keyed = items.map((item, i) => ({ item, key: Math.imul((i + 1) ^ seed, 0x9e3779b1) >>> 0 }))
  keyed.sort((a, b) => a.key - b.key)
  return keyed.map((k) => k.item)
}

/** Waits (real time) until `condition` holds; fails the test with `what` otherwise. */
export const waitUntil = (condition: () => boolean, what: string, timeoutMs = 5_000): Effect.Effect<void> =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })

/** Sleeps on the real clock. */
export const realSleep = (ms: number): Effect.Effect<void> => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

// ---------------------------------------------------------------------------------------------
// emulator faults and batch state
// ---------------------------------------------------------------------------------------------

/** A fault the suites inject into one call. */
export type FaultName = "429" | "500" | "503" | "529" | "reset" | "hang" | "malformed"

/** The stages of a batch's life, as the calls that make them. */
export type Stage = "upload" | "create" | "poll" | "download" | "cancel"

/** The emulator route key of each stage, per provider (OpenAI alone uploads). */
export const stageRoutes = {
  openai: {
    upload: openAiRouteKeys.uploadFile,
    create: openAiRouteKeys.createBatch,
    poll: openAiRouteKeys.retrieveBatch,
    download: openAiRouteKeys.fileContent,
    cancel: openAiRouteKeys.cancelBatch
  },
  anthropic: {
    create: anthropicRouteKeys.createBatch,
    poll: anthropicRouteKeys.retrieveBatch,
    download: anthropicRouteKeys.batchResults,
    cancel: anthropicRouteKeys.cancelBatch
  }
} as const

/** The stages a provider has. */
export const stagesOf = (provider: ProviderName): ReadonlyArray<Stage> =>
  provider === "openai" ? ["upload", "create", "poll", "download", "cancel"] : ["create", "poll", "download", "cancel"]

/** The route key of a stage. */
export const routeKey = (provider: ProviderName, stage: Stage): RouteKey => {
  const key = (stageRoutes[provider] as Partial<Record<Stage, RouteKey>>)[stage]
  if (key === undefined) throw new Error(`${provider} has no ${stage} call`)
  return key
}

/** The route's own behaviour (to run before a fault that hits the answer, not the work). */
export const defaultHandler = (emulator: Emulator, provider: ProviderName, stage: Stage): Handler =>
  provider === "openai"
    ? openAiBatchEmulator(emulator).handler(routeKey(provider, stage) as OpenAiBatchRouteKey)
    : anthropicBatchEmulator(emulator).handler(routeKey(provider, stage) as AnthropicBatchRouteKey)

/** A short retry-after (seconds), so a rate limit is honoured without slowing the suite. */
export const RETRY_AFTER = "0.05"

/** The scripted answer of a fault (nothing is processed: the route's handler does not run). */
export const faultScript = (provider: ProviderName, fault: FaultName): Scripted => {
  const status = (code: number, type: string, message: string, headers?: Record<string, string>): Scripted =>
    provider === "openai" ? openAiError(code, message, headers !== undefined ? { headers } : undefined) : anthropicError(code, type, message, headers)
  switch (fault) {
    case "429":
      return status(429, "rate_limit_error", "Rate limit reached.", { "retry-after": RETRY_AFTER })
    case "500":
      return status(500, "api_error", "The server had an error while processing your request.")
    case "503":
      return status(503, "api_error", "The engine is currently overloaded.")
    case "529":
      return status(529, "overloaded_error", "Overloaded")
    case "reset":
      return { fault: "reset" }
    case "hang":
      return { fault: "hang" }
    case "malformed":
      return { fault: "malformed-json" }
  }
}

/** What the emulator knows of a batch, the same for both providers. */
export interface BatchState {
  readonly id: string
  readonly customIds: ReadonlyArray<string>
  readonly cancelCalls: number
  /** Whether it was cancelled (cancelling or cancelled / canceling or ended after a cancel). */
  readonly cancelled: boolean
  /** Whether it ended on its own (completed, failed, expired, or ended without a cancel). */
  readonly final: boolean
}

/** The emulator's batches of a provider, oldest first. */
export const emulatedBatches = (emulator: Emulator, provider: ProviderName): ReadonlyArray<BatchState> =>
  provider === "openai"
    ? openAiBatchEmulator(emulator).batches().map((b) => ({
        id: b.id,
        customIds: b.customIds,
        cancelCalls: b.cancelCalls,
        cancelled: b.status === "cancelling" || b.status === "cancelled",
        final: ["completed", "failed", "expired"].includes(b.status)
      }))
    : anthropicBatchEmulator(emulator).batches().map((b) => ({
        id: b.id,
        customIds: b.customIds,
        cancelCalls: b.cancelCalls,
        cancelled: b.processingStatus === "canceling" || (b.processingStatus === "ended" && b.cancelCalls > 0),
        final: b.processingStatus === "ended" && b.cancelCalls === 0
      }))

/** Forgets the emulator's scripts, records and batches, and sets the lifecycle of new batches. */
export const resetEmulator = (emulator: Emulator, provider: ProviderName, lifecycle: { readonly statusCalls?: number; readonly [key: string]: unknown }): void => {
  emulator.reset()
  openAiBatchEmulator(emulator).reset()
  anthropicBatchEmulator(emulator).reset()
  if (provider === "openai") openAiBatchEmulator(emulator).lifecycle = lifecycle as OpenAiBatchLifecycle
  else anthropicBatchEmulator(emulator).lifecycle = lifecycle as AnthropicBatchLifecycle
}
