/**
 * Provider batch APIs as a lifecycle: submit many requests at half price, poll on a `Schedule`,
 * collect one result per request. The data ({@link Batch}, {@link BatchRequest},
 * {@link BatchResult}) encodes to JSON and back; the programs ({@link run}, {@link watch},
 * {@link results}, ...) depend only on the `BatchModel` Tag, never on a provider.
 *
 * @example
 * const results = yield* Batch.run([
 *   { customId: "math-1", messages: [ModelRequest.userTextPrompt("What is 2 + 2?")] },
 *   { customId: "math-2", messages: [ModelRequest.userTextPrompt("What is 3 + 3?")] }
 * ], { pollInterval: "60 seconds", timeout: "30 minutes" })
 *
 * @since 0.1.0
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Exit, Schema, Stream } from "effect"
import { type AiError, type BatchError, InvalidInputError } from "./AiError.js"
import { BatchModel } from "./BatchModel.js"
import {
  type CallOptions,
  cancelQuietly,
  checkList,
  type CreateOptions,
  normalise,
  policyOf,
  resultsOf,
  spanOptions,
  submit,
  watchWith,
  withCreated
} from "./internal/batch/calls.js"
import { retryStream } from "./internal/batch/effect.js"
import { unwrapScopedStream } from "./internal/stream/scopedStream.js"
import { split } from "./internal/batch/plan.js"
import {
  annotateBatch,
  annotateError,
  BatchAttributes,
  countListed,
  instrumented,
  instrumentedStream,
  tracingScoped,
  withResultTally
} from "./internal/batch/spans.js"
import { type Batch, type BatchRequestInput, BatchResult, type PollSchedule } from "./BatchData.js"
import * as Retry from "./Retry.js"
import { BatchUsage as BatchUsageSchema, usage as summedUsage } from "./BatchUsage.js"
import {
  BatchCost as BatchCostSchema,
  type CostOptions,
  cost as computeCost,
  type PricesUnavailableError as PricesUnavailableErrorType
} from "./Cost.js"
import { run, type RunOptions } from "./BatchRun.js"

// ---------------------------------------------------------------------------------------------
// data (BatchData.ts) and webhook completion (BatchCompletion.ts), re-exported
// ---------------------------------------------------------------------------------------------

/**
 * The batch data, from `BatchData`: requests, batches, statuses and results.
 *
 * @since 0.1.0
 * @category models
 */
export {
  Batch,
  BatchRequest,
  type BatchRequestInput,
  BatchResult,
  BatchResultFailure,
  BatchResultSuccess,
  BatchStatus,
  finalStatuses,
  isFinalStatus,
  type PollSchedule,
  ResultError,
  ResultErrorCode,
  unanswered
} from "./BatchData.js"
/**
 * Webhook completion, from `BatchCompletion`: the `completion` option of {@link run}.
 *
 * @since 0.1.0
 * @category streams
 */
export { type BatchEvent, type Completion, finalEventTypes, webhook, type WebhookOptions } from "./BatchCompletion.js"
/**
 * The `resubmit` option of {@link run}: rounds at most, and the result codes they resubmit.
 *
 * @since 0.1.0
 * @category options
 */
export type { ResubmitOptions } from "./internal/batch/lifecycle.js"
/**
 * @since 0.1.0
 * @category deprecated
 */
export {
  /** @deprecated Use `OpenAi.BatchCodec.statusFromOpenAi`; the status map lives in the provider's batch codec. */
  statusFromOpenAi
} from "./providers/openai/batchCodec.js"
/**
 * @since 0.1.0
 * @category deprecated
 */
export {
  type AnthropicBatchState,
  /** @deprecated Use `Anthropic.BatchCodec.statusFromAnthropic`; the status map lives in the provider's batch codec. */
  statusFromAnthropic
} from "./providers/anthropic/batchCodec.js"

// ---------------------------------------------------------------------------------------------
// run (BatchRun.ts: the in-process driver of the lifecycle), re-exported
// ---------------------------------------------------------------------------------------------

/**
 * The run: one result per request in submission order, from `BatchRun`, the in-process driver
 * of the batch lifecycle (see {@link run}).
 *
 * @since 0.1.0
 * @category programs
 */
export { defaultQueueBackoff, defaultResubmitCodes, estimateTokens, run, type RunOptions } from "./BatchRun.js"

/**
 * Prompt caching for batches: {@link primeCache} sends each distinct cached prefix once before
 * the batch, so its requests read the cache; `cachedPrefix` finds a request's prefix.
 *
 * @since 0.2.0
 * @category programs
 */
export { cachedPrefix, type Primed, primeCache } from "./BatchCache.js"
/**
 * Options every call takes, and those of {@link create}.
 *
 * @since 0.1.0
 * @category options
 */
export type { CallOptions, CreateOptions } from "./internal/batch/calls.js"

// ---------------------------------------------------------------------------------------------
// single calls
// ---------------------------------------------------------------------------------------------

/**
 * Submits one provider batch (validated first; no splitting: a list over the provider's limits
 * fails, use {@link run}). Returns at once with the batch, usually `validating`. If the fiber is
 * interrupted while the create runs, the batch is cancelled.
 *
 * @example
 * const batch = yield* Batch.create(requests)
 * console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
 *
 * @since 0.1.0
 * @category programs
 */
export const create = (
  requests: ReadonlyArray<BatchRequestInput>,
  options: CreateOptions = {}
): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    const prepared = yield* normalise(model, requests)
    yield* checkList(model, prepared, options.metadata)
    const chunks = yield* split(model.provider, prepared, model.limits, model.encodedSize, model.encodedBytes)
    if (chunks.length > 1) {
      return yield* new InvalidInputError({
        provider: model.provider,
        reason: `${prepared.length} requests exceed one ${model.provider} batch (${model.limits.maxRequests} requests, ${model.limits.maxBytes} bytes); use Batch.run, which splits them.`
      })
    }
    const retry = policyOf(options.retry)
    return yield* withCreated(
      submit(model, prepared, options),
      Effect.succeed,
      (batch, exit) => (Exit.isInterrupted(exit) ? cancelQuietly(model, batch, retry) : Effect.void),
      retry
    )
  }).pipe((self) => instrumented(self, options.instrument))

/**
 * The batch's current state, retried on transient faults.
 *
 * @since 0.1.0
 * @category programs
 */
export const status = (batch: Batch | string, options?: CallOptions): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) =>
    Retry.retry(model.status(batch), options?.retry).pipe(
      Effect.tap(annotateBatch),
      Effect.tapError(annotateError),
      Effect.withSpan("batch.status", spanOptions(model, { [BatchAttributes.id]: typeof batch === "string" ? batch : batch.id })),
      (self) => instrumented(self, options?.instrument)
    ))

/**
 * Asks the provider to cancel the batch; returns it (usually `cancelling`).
 *
 * @since 0.1.0
 * @category programs
 */
export const cancel = (batch: Batch | string, options?: CallOptions): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) =>
    Retry.retry(model.cancel(batch), options?.retry).pipe(
      Effect.tap(annotateBatch),
      Effect.tapError(annotateError),
      Effect.withSpan("batch.cancel", spanOptions(model, { [BatchAttributes.id]: typeof batch === "string" ? batch : batch.id })),
      (self) => instrumented(self, options?.instrument)
    ))

/**
 * Options of {@link list}.
 *
 * @since 0.1.0
 * @category options
 */
export interface ListOptions extends CallOptions {
  /** At most this many batches (newest first). */
  readonly limit?: number | undefined
  /** Start after this batch id. */
  readonly after?: string | undefined
}

/**
 * The provider's batches, newest first, page by page; a page that fails transiently is fetched again.
 *
 * @since 0.1.0
 * @category streams
 */
export const list = (options: ListOptions = {}): Stream.Stream<Batch, AiError, BatchModel> =>
  Stream.unwrap(
    Effect.map(BatchModel, (model) =>
      Stream.suspend(() => {
        const seen = new Set<string>()
        return retryStream(() => model.list({ limit: options.limit, after: options.after }), policyOf(options.retry)).pipe(
          Stream.filter((batch) => !seen.has(batch.id) && (seen.add(batch.id), true))
        )
      }).pipe(countListed, Stream.withSpan("batch.list", spanOptions(model)))
    )
  ).pipe((self) => instrumentedStream(self, options.instrument))

/**
 * The results of a complete batch: one per submitted custom id, provider order first, then the
 * ids the provider left out (see {@link ResultErrorCode}). A batch not yet complete is looked up
 * again; if it is still running the stream fails with InvalidInputError.
 *
 * @example
 * yield* Batch.results(batch).pipe(Stream.runForEach((r) =>
 *   Console.log(r.isSuccessful ? `${r.customId}: ${r.response.text}` : `${r.customId}: ERROR ${r.error.message}`)))
 *
 * @since 0.1.0
 * @category streams
 */
export const results = (batch: Batch | string, options?: CallOptions): Stream.Stream<BatchResult, AiError, BatchModel> =>
  unwrapScopedStream(
    Effect.gen(function* () {
      // the instrument option for the whole stream, applied here rather than by a stage around it
      const traced = yield* tracingScoped(options?.instrument)
      const model = yield* BatchModel
      const retry = policyOf(options?.retry)
      const current = typeof batch !== "string" && batch.isComplete ? batch : yield* Retry.retry(model.status(batch), retry)
      if (!current.isComplete) {
        return yield* new InvalidInputError({
          provider: model.provider,
          reason: `batch ${current.id} is still ${current.status}; wait until it is complete (Batch.watch or Batch.run) before reading its results.`
        })
      }
      // untraced: no span, and no counting for it
      if (!traced) return resultsOf(model, current, retry)
      return withResultTally((tally) => resultsOf(model, current, retry, tally)).pipe(
        Stream.withSpan("batch.results", spanOptions(model, { [BatchAttributes.id]: current.id }))
      )
    })
  )


// ---------------------------------------------------------------------------------------------
// watch
// ---------------------------------------------------------------------------------------------

/**
 * The batch's progress: one snapshot per status check (the first right away, then on the
 * schedule, default every 60 seconds), ending after a final status or when the schedule ends.
 * Transient faults are retried. A snapshot that is already final is emitted without a call.
 *
 * @example
 * yield* Batch.watch(batch, "10 seconds").pipe(Stream.runForEach((b) =>
 *   Console.log(`${b.status}: ${b.completedCount + b.failedCount}/${b.requestCount}`)))
 *
 * @since 0.1.0
 * @category streams
 */
export const watch = (
  batch: Batch | string,
  schedule?: PollSchedule,
  options?: CallOptions
): Stream.Stream<Batch, AiError, BatchModel> =>
  Stream.unwrap(Effect.map(BatchModel, (model) => watchWith(model, batch, schedule, policyOf(options?.retry)))).pipe(
    (self) => instrumentedStream(self, options?.instrument)
  )

// ---------------------------------------------------------------------------------------------
// usage and cost
// ---------------------------------------------------------------------------------------------

/**
 * The summed token usage of results (`Batch.usage(results)`), from `BatchUsage`.
 *
 * @since 0.1.0
 * @category utils
 */
export { BatchUsage, usage } from "./BatchUsage.js"
/**
 * The cost data and options (`Cost.cost` prices results), from `Cost`.
 *
 * @since 0.1.0
 * @category models
 */
export { BatchCost, type CostOptions, ModelCost, ModelPrice, type ModelPriceInput, PricesUnavailableError } from "./Cost.js"

/**
 * A run's results with their summed usage and, when asked for, their cost.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchSummary extends Schema.Class<BatchSummary>("BatchSummary")({
  results: Schema.Array(BatchResult),
  usage: BatchUsageSchema,
  cost: Schema.optional(BatchCostSchema)
}) {}

/**
 * Options of {@link runWithSummary}: those of {@link run}, and `cost`.
 *
 * @since 0.1.0
 * @category options
 */
export interface SummaryOptions extends RunOptions {
  /** Price the results too: `true` for the default prices, or {@link CostOptions}. */
  readonly cost?: boolean | CostOptions | undefined
}

/**
 * {@link run}, then the results' usage ({@link usage}) and, with `cost`, what they cost
 * (`Cost.cost`: your prices or `@pydantic/genai-prices`, batch multiplier applied).
 *
 * @example
 * const summary = yield* Batch.runWithSummary(requests, { cost: true })
 * console.log(summary.usage.totalTokens, summary.cost?.totalCost)
 *
 * @since 0.1.0
 * @category programs
 */
export function runWithSummary(
  requests: ReadonlyArray<BatchRequestInput>,
  options: SummaryOptions & { readonly resumeKey: string }
): Effect.Effect<BatchSummary, AiError | BatchError | PlatformError | PricesUnavailableErrorType, BatchModel | KeyValueStore.KeyValueStore>
export function runWithSummary(
  requests: ReadonlyArray<BatchRequestInput>,
  options?: SummaryOptions & { readonly resumeKey?: undefined }
): Effect.Effect<BatchSummary, AiError | BatchError | PricesUnavailableErrorType, BatchModel>
export function runWithSummary(
  requests: ReadonlyArray<BatchRequestInput>,
  options: SummaryOptions = {}
): Effect.Effect<BatchSummary, AiError | BatchError | PlatformError | PricesUnavailableErrorType, BatchModel | KeyValueStore.KeyValueStore> {
  return Effect.gen(function* () {
    const results = yield* run(requests, options)
    const priced = options.cost === undefined || options.cost === false
      ? undefined
      : yield* computeCost(results, options.cost === true ? {} : options.cost)
    return new BatchSummary({ results, usage: summedUsage(results), ...(priced !== undefined ? { cost: priced } : {}) }, true)
  })
}
