/**
 * `batched`: a model whose `modelRequest` and `modelRequestStream` calls go through the
 * provider's batch API at the batch price (`BatchedLanguageModel.layer`), with its options in
 * the facade's units (times in seconds). Concurrent calls share batches:
 * `await Promise.all(rows.map((row) => modelRequest(m, ...)))`.
 *
 * @since 0.2.0
 */
import { Effect, Fiber, Layer, type ManagedRuntime, Stream } from "effect"
import type * as BatchModel from "../BatchModel.js"
import * as BatchedLanguageModel from "../BatchedLanguageModel.js"
import type * as LanguageModel from "../LanguageModel.js"
import * as ModelString from "../ModelString.js"
import { type BatchSummaryOptions, runOptions } from "./batchOptions.js"
import * as FileStore from "./fileStore.js"
import { type ModelInput, runPromise, runtimeFor } from "./runtimes.js"

/**
 * Options of {@link batched}. Times are numbers of seconds.
 *
 * @since 0.2.0
 * @category options
 */
export interface BatchedOptions extends Omit<BatchSummaryOptions, "resumeKey" | "resumeDirectory" | "signal" | "modelSettings" | "modelRequestParameters" | "primeCache"> {
  /** A window of calls is submitted this many seconds after its first call (default 1). */
  readonly maxWait?: number | undefined
  /** A window is submitted once it holds this many calls (default: the provider's batch limit). */
  readonly maxRequests?: number | undefined
  /** `"batch"` (default): streamed calls go through the batch too; `"direct"`: straight to the provider. */
  readonly streams?: "batch" | "direct" | undefined
  /** Calls still unanswered after this many seconds are sent through the direct API. */
  readonly fallbackAfter?: number | undefined
  /**
   * Pending mode: each call submits its request and rejects at once with BatchPendingError; run
   * the script again later and the same calls resolve from `directory` once the batch has ended.
   */
  readonly pending?: { readonly directory: string } | undefined
}

/**
 * A model made by {@link batched}: pass it to `modelRequest` and `modelRequestStream`.
 *
 * @since 0.2.0
 * @category models
 */
export type BatchedModel = Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel | BatchedLanguageModel.BatchedLanguageModel, unknown, never>

/**
 * A model whose calls go through the provider's batch API: calls made at about the same time
 * (within `maxWait` seconds) share one provider batch, and each resolves with its own response
 * or rejects with the error a direct call would have raised. Build it once and reuse it: every
 * call on it shares its windows.
 *
 * @example
 * import { batched, modelRequest, ModelRequest } from "effect-llm-direct/direct"
 *
 * const m = batched("openai:gpt-4o-mini", { maxWait: 2, pollInterval: 30 })
 * const answers = await Promise.all(rows.map((row) => modelRequest(m, [ModelRequest.userTextPrompt(row)])))
 *
 * @since 0.2.0
 * @category constructors
 */
export const batched = (model: ModelInput<LanguageModel.LanguageModel | BatchModel.BatchModel>, options: BatchedOptions = {}): BatchedModel => {
  const { maxWait, maxRequests, streams, fallbackAfter, pending, ...run } = options
  const base = typeof model === "string" ? ModelString.layer(model) : model
  return BatchedLanguageModel.layer({
    ...runOptions(run),
    ...(maxWait !== undefined ? { maxWait: `${maxWait} seconds` } : {}),
    ...(maxRequests !== undefined ? { maxRequests } : {}),
    ...(streams !== undefined ? { streams } : {}),
    ...(fallbackAfter !== undefined ? { fallbackAfter: `${fallbackAfter} seconds` } : {}),
    ...(pending !== undefined ? { pending: { store: FileStore.make(pending.directory) } } : {})
  }).pipe(Layer.provideMerge(base))
}

type Services = LanguageModel.LanguageModel | BatchModel.BatchModel | BatchedLanguageModel.BatchedLanguageModel
// the runtime of a batched model's Layer provides what the Layer does
const runtimeOf = (model: BatchedModel) => runtimeFor(model) as unknown as ManagedRuntime.ManagedRuntime<Services, unknown>

/**
 * The progress of a batched model now: requests queued, in flight, done, failed, sent direct
 * or left pending, its batches, and the cost at the batch price with what it saved.
 *
 * @since 0.2.0
 * @category programs
 */
export const batchedProgress = (model: BatchedModel): Promise<BatchedLanguageModel.Progress> =>
  runPromise(runtimeOf(model), Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot))

/**
 * Calls `onProgress` with the progress of a batched model now and after each change, until the
 * returned function is called.
 *
 * @example
 * const stop = watchBatchedProgress(m, (p) => process.stdout.write(`\r${p.done}/${p.total}`))
 *
 * @since 0.2.0
 * @category programs
 */
export const watchBatchedProgress = (model: BatchedModel, onProgress: (progress: BatchedLanguageModel.Progress) => void): (() => void) => {
  const fiber = runtimeOf(model).runFork(Stream.runForEach(BatchedLanguageModel.progress, (p) => Effect.sync(() => onProgress(p))))
  return () => {
    Effect.runFork(Fiber.interrupt(fiber))
  }
}
