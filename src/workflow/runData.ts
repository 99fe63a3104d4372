/**
 * The data of a durable batch run: what it takes ({@link RunPayload}, journaled as the
 * workflow's payload), what it returns ({@link RunResult}), how it fails ({@link RunError}), and
 * the workflow itself ({@link BatchRun}). Use it through `BatchWorkflow`.
 *
 * @since 0.2.0
 */
import * as Workflow from "@effect/workflow/Workflow"
import type { Duration } from "effect"
import { Schema } from "effect"
import { AiError, BatchFailedError, BatchTimeoutError } from "../AiError.js"
import { Batch, BatchRequest } from "../BatchData.js"
import { defaultBackoffWaits } from "../internal/batch/lifecycle.js"

/**
 * The metadata key that labels every provider batch a workflow creates, with the value
 * `<executionId>/<part>`: the lookup before a create finds a batch a crashed attempt created.
 *
 * @since 0.1.0
 * @category constants
 */
export const runLabelKey = "effect_llm_direct_run"

/**
 * What a run takes: its id (the idempotency key) and the requests, plus the polling plan.
 *
 * @since 0.1.0
 * @category models
 */
export const RunPayload = Schema.Struct({
  /** The run's id: the same id is the same workflow execution (started once, joined after). */
  runId: Schema.String,
  requests: Schema.Array(BatchRequest),
  /** Time between status rounds (durable sleeps), in milliseconds in the journal. */
  pollInterval: Schema.DurationFromMillis,
  /** Cancel and fail with BatchTimeoutError after this much polling (counted in poll intervals). */
  timeout: Schema.optional(Schema.DurationFromMillis),
  maxRequestsPerBatch: Schema.optional(Schema.Number),
  maxBytesPerBatch: Schema.optional(Schema.Number),
  /** Labels stored with each provider batch (where the provider keeps metadata). */
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** At most this many provider batches of the run live at once. */
  maxConcurrentBatches: Schema.optional(Schema.Number),
  /** At most this many estimated tokens in the run's live batches. */
  maxEnqueuedTokens: Schema.optional(Schema.Number),
  /**
   * The token estimate of each request (in request order), when the run was started with
   * `estimateTokens`: figured once at start and journaled here, so a replay admits the same
   * parts. Without it the default estimate is computed from the payload.
   */
  tokens: Schema.optional(Schema.Array(Schema.Number)),
  /** The waits (durable sleeps) before submitting a queue-refused part again when none is live. */
  queueBackoff: Schema.optional(Schema.Array(Schema.DurationFromMillis)),
  /** Follow-up rounds for requests that failed with one of `codes` (default `Batch.defaultResubmitCodes`). */
  resubmit: Schema.optional(Schema.Struct({ times: Schema.Number, codes: Schema.optional(Schema.Array(Schema.String)) }))
})
/**
 * What a run takes, decoded.
 *
 * @since 0.1.0
 * @category models
 */
export type RunPayload = typeof RunPayload.Type

/**
 * A finished run: the provider batches (final snapshots, with their custom ids) and counts.
 * Read the results with `BatchWorkflow.results`.
 *
 * @since 0.1.0
 * @category models
 */
export class RunResult extends Schema.Class<RunResult>("effect-llm-direct/BatchWorkflow/RunResult")({
  /** Every batch that ran, round by round (the first submission, then each `resubmit` round), each round in submission order. */
  batches: Schema.Array(Batch),
  requestCount: Schema.Number,
  /** Requests that succeeded (the provider's counts; a request that succeeded is never resubmitted). */
  completedCount: Schema.Number,
  /**
   * Requests whose last attempt failed: counted from the results for the rounds whose results
   * were read for resubmission, from the provider's counts for the last round (where requests
   * an expired or cancelled batch never processed may count in neither).
   */
  failedCount: Schema.Number,
  /**
   * How many of `batches` each round holds, in order; empty (a result from before rounds, or a
   * run of one round) means one round of all of them.
   */
  roundSizes: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [] }),
  /**
   * The batches the provider failed with `token_limit_exceeded` (its queue was full, nothing
   * ran, nothing billed), whose requests were submitted again in new batches; without custom ids.
   */
  refused: Schema.optionalWith(Schema.Array(Batch), { default: () => [] })
}) {
  /** The batches by round: the first submission, then each `resubmit` round. */
  get rounds(): ReadonlyArray<ReadonlyArray<Batch>> {
    if (this.roundSizes.length <= 1) return [this.batches]
    const rounds: Array<ReadonlyArray<Batch>> = []
    let at = 0
    for (const size of this.roundSizes) {
      rounds.push(this.batches.slice(at, at + size))
      at += size
    }
    return rounds
  }
}

/**
 * How a run fails: an AiError a retry could not fix, a failed batch, or the timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export const RunError = Schema.Union(AiError, BatchFailedError, BatchTimeoutError)
/**
 * How a run fails.
 *
 * @since 0.1.0
 * @category errors
 */
export type RunError = typeof RunError.Type

/**
 * The workflow. Its execution id is derived from `runId`.
 *
 * @since 0.1.0
 * @category programs
 */
export const BatchRun = Workflow.make({
  name: "effect-llm-direct/BatchRun",
  payload: RunPayload,
  success: RunResult,
  error: RunError,
  idempotencyKey: (payload) => payload.runId
})

/**
 * The default `queueBackoff` of a workflow run: `Batch.defaultQueueBackoff` as a list of waits
 * (1, 2, 4, 8 minutes, then 10 minutes, 30 waits in all), since a Schedule cannot be journaled.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultQueueBackoff: ReadonlyArray<Duration.Duration> = defaultBackoffWaits
