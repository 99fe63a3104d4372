/**
 * The batch functions' inputs as pydantic-ai writes them (request tuples, times in seconds), and
 * their translation into the options of the `Batch` programs (times as Durations).
 *
 * @since 0.2.0
 */
import type { Duration } from "effect"
import type * as Batch from "../Batch.js"
import type * as BatchModel from "../BatchModel.js"
import type { ModelMessage } from "../Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "../Parameters.js"
import type { BatchWebhookReceiver } from "../WebhookReceiver.js"
import type { ModelInput } from "./runtimes.js"

/**
 * A batch request as pydantic-ai writes it: `[customId, messages]` or
 * `[customId, messages, parameters]`.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchRequestTuple = readonly [customId: string, messages: ReadonlyArray<ModelMessage>, parameters?: ModelRequestParametersInput]

/**
 * A model for the batch functions: a model string, or a Layer providing a `BatchModel`.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchModelInput = ModelInput<BatchModel.BatchModel>

/**
 * Options of `batchCreate`.
 *
 * @since 0.1.0
 * @category options
 */
export interface BatchCreateOptions {
  /** Settings for every request; their `timeout` is in seconds. */
  readonly modelSettings?: ModelSettings | undefined
  /** Parameters for requests given without their own. */
  readonly modelRequestParameters?: ModelRequestParametersInput | undefined
  /** Labels stored with the batch (OpenAI only: at most 16 pairs). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** Aborts the call (a create already sent is cancelled); rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's spans off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

/**
 * Options of `modelRequestBatch`. Times are numbers of seconds, as in pydantic-ai (the Effect
 * API's `Batch.run` takes Durations instead).
 *
 * @since 0.1.0
 * @category options
 */
export interface BatchRunOptions extends BatchCreateOptions {
  /** Time between status checks, in seconds (default 60). */
  readonly pollInterval?: number | undefined
  /** Time, in seconds, before the batch is cancelled and the call rejects with BatchTimeoutError. */
  readonly timeout?: number | undefined
  /**
   * Records the submitted batch under this key (in `resumeDirectory`), so that a program stopped
   * after submission and started again resumes polling it instead of paying twice.
   */
  readonly resumeKey?: string | undefined
  /** Where resume records are kept (default `.effect-llm-direct/batches` in the working directory). */
  readonly resumeDirectory?: string | undefined
  /** Split into provider batches of at most this many requests. */
  readonly maxRequestsPerBatch?: number | undefined
  /** Split into provider batches of at most this many bytes. */
  readonly maxBytesPerBatch?: number | undefined
  /** At most this many provider batches live at once; later parts wait (see `Batch.RunOptions`). */
  readonly maxConcurrentBatches?: number | undefined
  /** At most this many estimated tokens enqueued at once; parts are split to fit and wait their turn. */
  readonly maxEnqueuedTokens?: number | undefined
  /** The tokens of one request for `maxEnqueuedTokens` (default `Batch.estimateTokens`). */
  readonly estimateTokens?: ((request: Batch.BatchRequest) => number) | undefined
  /** Submit requests that failed with a transient code again, up to `times` rounds (see `Batch.RunOptions`). */
  readonly resubmit?: Batch.ResubmitOptions | undefined
  /**
   * Learn of completion from OpenAI webhooks too: the run checks a batch's status as soon as its
   * event reaches the receiver, and otherwise polls every `webhookFallback` seconds.
   */
  readonly webhook?: BatchWebhookReceiver | undefined
  /** Time between fallback polls with `webhook`, in seconds (default 3600); replaces `pollInterval`. */
  readonly webhookFallback?: number | undefined
  /**
   * Before submitting, send each distinct cached prefix (messages up to a `CachePoint`) once as a
   * direct request of one token, so the batch's requests read the cache (`Batch.primeCache`).
   */
  readonly primeCache?: boolean | undefined
}

/**
 * Options of `modelRequestBatchWithSummary`: those of `modelRequestBatch`, and `cost`.
 *
 * @since 0.1.0
 * @category options
 */
export interface BatchSummaryOptions extends BatchRunOptions {
  /** Price the results too: `true` for the default prices, or your prices and multipliers. */
  readonly cost?: boolean | Batch.CostOptions | undefined
}

/**
 * Options of the single-batch calls (`batchStatus`, `batchResults`, `batchCancel`, `batchList`).
 *
 * @since 0.1.0
 * @category options
 */
export interface BatchCallOptions {
  /** Aborts the call; rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's spans off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

/** A number of seconds, as the facade counts time, as the Duration the Effect API takes. */
const seconds = (value: number): Duration.DurationInput => `${value} seconds`

/**
 * The requests as `Batch` takes them: each tuple with the shared parameters (unless it has its
 * own) and settings; request objects as they are.
 *
 * @since 0.2.0
 * @category utils
 */
export const toBatchRequests = (
  requests: ReadonlyArray<BatchRequestTuple | Batch.BatchRequestInput>,
  options: BatchCreateOptions | undefined
): Array<Batch.BatchRequestInput> =>
  requests.map((request) => {
    if (!Array.isArray(request)) return request as Batch.BatchRequestInput
    const [customId, messages, parameters] = request as BatchRequestTuple
    const chosen = parameters ?? options?.modelRequestParameters
    return {
      customId,
      messages,
      ...(chosen !== undefined ? { parameters: chosen } : {}),
      ...(options?.modelSettings !== undefined ? { settings: options.modelSettings } : {})
    }
  })

/**
 * The `Batch.create` options of facade options.
 *
 * @since 0.2.0
 * @category utils
 */
export const createOptions = (options: BatchCreateOptions | undefined): Batch.CreateOptions => ({
  ...(options?.metadata !== undefined ? { metadata: options.metadata } : {}),
  ...(options?.instrument !== undefined ? { instrument: options.instrument } : {})
})

/**
 * The `Batch.runWithSummary` options of facade options, times turned from seconds into
 * Durations (`resumeKey` is added by the caller, which provides the store it needs).
 *
 * @since 0.2.0
 * @category utils
 */
export const runOptions = (options: BatchSummaryOptions | undefined): Batch.SummaryOptions & { readonly resumeKey?: undefined } => ({
  ...createOptions(options),
  pollInterval: seconds(options?.pollInterval ?? 60),
  ...(options?.timeout !== undefined ? { timeout: seconds(options.timeout) } : {}),
  ...(options?.maxRequestsPerBatch !== undefined ? { maxRequestsPerBatch: options.maxRequestsPerBatch } : {}),
  ...(options?.maxBytesPerBatch !== undefined ? { maxBytesPerBatch: options.maxBytesPerBatch } : {}),
  ...(options?.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: options.maxConcurrentBatches } : {}),
  ...(options?.maxEnqueuedTokens !== undefined ? { maxEnqueuedTokens: options.maxEnqueuedTokens } : {}),
  ...(options?.estimateTokens !== undefined ? { estimateTokens: options.estimateTokens } : {}),
  ...(options?.resubmit !== undefined ? { resubmit: options.resubmit } : {}),
  ...(options?.cost !== undefined ? { cost: options.cost } : {}),
  ...(options?.webhook !== undefined ? { completion: options.webhook.completion(options.webhookFallback) } : {})
})
