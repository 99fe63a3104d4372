/**
 * The data of provider batches: what a batch takes ({@link BatchRequest}), what it is
 * ({@link Batch}, {@link BatchStatus}) and what it returns ({@link BatchResult},
 * {@link ResultError}). Schema classes that encode to JSON and back, so a batch can be stored
 * and resumed. This module holds data only: the programs that run batches are in `Batch`.
 *
 * @since 0.2.0
 */
import { type Duration, type Schedule, Schema } from "effect"
import { BatchErrorItem } from "./AiError.js"
import { blank } from "./internal/codec/fromFields.js"
import { ModelMessage, ModelResponse } from "./Message.js"
import { ModelRequestParameters, type ModelRequestParametersInput, ModelSettings } from "./Parameters.js"

/**
 * Where a batch is in its lifecycle. Final: completed, failed, expired, cancelled.
 * Each provider's batch codec maps its own statuses to these.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchStatus = Schema.Literal(
  "validating",
  "in_progress",
  "finalizing",
  "completed",
  "failed",
  "expired",
  "cancelling",
  "cancelled"
)
/**
 * Where a batch is in its lifecycle.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchStatus = typeof BatchStatus.Type

/**
 * The statuses after which nothing changes any more.
 *
 * @since 0.1.0
 * @category constants
 */
export const finalStatuses: ReadonlyArray<BatchStatus> = ["completed", "failed", "expired", "cancelled"]

/**
 * Whether a status is final.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFinalStatus = (status: BatchStatus): boolean => finalStatuses.includes(status)

/**
 * One request of a batch: its custom id (unique within the batch), the messages, and optionally
 * its own parameters, settings and model (Anthropic allows a model per request; OpenAI one model
 * per batch).
 *
 * @since 0.1.0
 * @category models
 */
export class BatchRequest extends Schema.Class<BatchRequest>("BatchRequest")({
  customId: Schema.String,
  messages: Schema.Array(ModelMessage),
  parameters: Schema.optional(ModelRequestParameters),
  settings: Schema.optional(ModelSettings),
  model: Schema.optional(Schema.String)
}) {
  /** Normalises the plain-object form (parameters may be a plain object too). */
  static from(input: BatchRequestInput): BatchRequest {
    if (input instanceof BatchRequest) return input
    // the fields are typed; a deep validation of every message costs ~150 µs a request, which
    // blocks the event loop for seconds on a large batch, so only the shape is checked here
    if (typeof input.customId !== "string" || !Array.isArray(input.messages)) {
      throw new TypeError(`a batch request needs a string customId and an array of messages (got ${JSON.stringify(input.customId)})`)
    }
    // nor is it constructed: the fields the constructor would set, in its order (internal/codec/fromFields.ts)
    const request = blank(BatchRequest)
    request.customId = input.customId
    request.messages = input.messages
    if (input.parameters !== undefined) request.parameters = ModelRequestParameters.from(input.parameters)
    if (input.settings !== undefined) request.settings = input.settings
    if (input.model !== undefined) request.model = input.model
    return request
  }
}

/**
 * A batch request as a {@link BatchRequest} or a plain object of its fields.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchRequestInput =
  | BatchRequest
  | {
      readonly customId: string
      readonly messages: ReadonlyArray<ModelMessage>
      readonly parameters?: ModelRequestParametersInput | undefined
      readonly settings?: ModelSettings | undefined
      readonly model?: string | undefined
    }

/**
 * A provider batch as last seen. `completedCount` counts succeeded requests, `failedCount`
 * errored + expired + cancelled ones. `customIds` are the submitted ids (empty when the batch
 * was only looked up by id). `errors` holds what the provider reported for the whole batch (an
 * OpenAI batch that failed validation); `details` the provider's own JSON fields (file ids,
 * results URL, per-kind counts, ...). Encodes to JSON and back, so it can be stored.
 *
 * @example
 * const json = Schema.encodeSync(Batch.Batch)(batch)      // store it
 * const again = Schema.decodeUnknownSync(Batch.Batch)(json)
 *
 * @since 0.1.0
 * @category models
 */
export class Batch extends Schema.Class<Batch>("Batch")({
  id: Schema.String,
  provider: Schema.String,
  status: BatchStatus,
  requestCount: Schema.Number,
  completedCount: Schema.Number,
  failedCount: Schema.Number,
  createdAt: Schema.Date,
  completedAt: Schema.optional(Schema.Date),
  customIds: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  errors: Schema.optionalWith(Schema.Array(BatchErrorItem), { default: () => [] }),
  details: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { default: () => ({}) })
}) {
  /** Whether the status is final (completed, failed, expired, cancelled). */
  get isComplete(): boolean {
    return isFinalStatus(this.status)
  }
  /** Whether the batch completed (single results may still have failed). */
  get isSuccessful(): boolean {
    return this.status === "completed"
  }
  /** The same batch with these custom ids. */
  withCustomIds(customIds: ReadonlyArray<string>): Batch {
    // validation is skipped: the fields come from a valid Batch and ids are strings
    return new Batch({ ...fieldsOf(this), customIds }, true)
  }
}

const fieldsOf = (batch: Batch): ConstructorParameters<typeof Batch>[0] => ({
  id: batch.id,
  provider: batch.provider,
  status: batch.status,
  requestCount: batch.requestCount,
  completedCount: batch.completedCount,
  failedCount: batch.failedCount,
  createdAt: batch.createdAt,
  completedAt: batch.completedAt,
  customIds: batch.customIds,
  errors: batch.errors,
  details: batch.details
})

/**
 * Why one request of a batch failed: the provider's code and message, or one of ours.
 *
 * @since 0.1.0
 * @category models
 */
export class ResultError extends Schema.Class<ResultError>("ResultError")({
  code: Schema.String,
  message: Schema.String
}) {}

/**
 * Our codes for requests without a provider result line: the batch expired or was cancelled
 * before the request ran, or the provider left it out of a completed batch.
 *
 * @since 0.1.0
 * @category constants
 */
export const ResultErrorCode = { expired: "expired", cancelled: "cancelled", missing: "missing" } as const

/**
 * A request that succeeded: the response, as a direct request would return it.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchResultSuccess extends Schema.Class<BatchResultSuccess>("BatchResultSuccess")({
  customId: Schema.String,
  isSuccessful: Schema.Literal(true).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => true as const)),
  response: ModelResponse,
  /** How many batches this request was submitted in (more than 1 after `resubmit` rounds). */
  attempts: Schema.optionalWith(Schema.Number, { default: () => 1 })
}) {}

/**
 * A request that failed: `error.code` is the provider's code or one of {@link ResultErrorCode}.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchResultFailure extends Schema.Class<BatchResultFailure>("BatchResultFailure")({
  customId: Schema.String,
  isSuccessful: Schema.Literal(false).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => false as const)),
  error: ResultError,
  /** How many batches this request was submitted in (more than 1 after `resubmit` rounds). */
  attempts: Schema.optionalWith(Schema.Number, { default: () => 1 })
}) {}

/**
 * The result of one request, told apart by `isSuccessful`.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchResult = Schema.Union(BatchResultSuccess, BatchResultFailure)
/**
 * The result of one request.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchResult = BatchResultSuccess | BatchResultFailure

/**
 * The failure reported for a request the provider returned no line for, by the batch's status.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unanswered = (customId: string, batch: Batch): BatchResultFailure => {
  const [code, message] =
    batch.status === "expired"
      ? [ResultErrorCode.expired, `batch ${batch.id} expired before this request was processed`]
      : batch.status === "cancelled" || batch.status === "cancelling"
        ? [ResultErrorCode.cancelled, `batch ${batch.id} was cancelled before this request was processed`]
        : [
            ResultErrorCode.missing,
            batch.status === "failed"
              ? `batch ${batch.id} failed: ${batch.errors.map((e) => `${e.code}: ${e.message}`).join("; ") || "no reason given"}`
              : `${batch.provider} returned no result for this request in batch ${batch.id}`
          ]
  return new BatchResultFailure({ customId, error: new ResultError({ code, message }) })
}

/**
 * A poll schedule: any `Schedule` (fed with the last snapshot), or a fixed interval.
 *
 * @since 0.1.0
 * @category models
 */
export type PollSchedule = Schedule.Schedule<unknown, Batch> | Duration.DurationInput
