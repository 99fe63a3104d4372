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
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Clock, Data, Duration, Effect, Exit, Option, Ref, Schedule, Schema, Stream } from "effect"
import {
  type AiError,
  BatchErrorItem,
  type BatchError,
  BatchFailedError,
  BatchTimeoutError,
  InvalidInputError,
  RequestTimeoutError
} from "./AiError.js"
import { BatchModel, type Service as BatchModelService } from "./BatchModel.js"
import { retryStream, uninterruptibleWithin } from "./internal/batchEffect.js"
import { fromFields } from "./internal/fromFields.js"
import { unwrapScopedStream } from "./internal/scopedStream.js"
import { checkCustomIds, effectiveLimits, split } from "./internal/batchPlan.js"
import {
  annotateBatch,
  annotateError,
  annotateResults,
  BatchAttributes,
  countListed,
  instrumented,
  instrumentedStream,
  modelAttributes,
  type ResultTally,
  tracingScoped,
  withResultTally
} from "./internal/batchSpans.js"
import { ModelMessage, ModelResponse } from "./Message.js"
import { ModelRequestParameters, type ModelRequestParametersInput, ModelSettings } from "./Parameters.js"
import * as Retry from "./Retry.js"

// ---------------------------------------------------------------------------------------------
// data
// ---------------------------------------------------------------------------------------------

/**
 * Where a batch is in its lifecycle. Final: completed, failed, expired, cancelled.
 * OpenAI's statuses map one to one; Anthropic's through {@link statusFromAnthropic}.
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
/** Where a batch is in its lifecycle. */
export type BatchStatus = typeof BatchStatus.Type

/** The statuses after which nothing changes any more. */
export const finalStatuses: ReadonlyArray<BatchStatus> = ["completed", "failed", "expired", "cancelled"]

/** Whether a status is final. */
export const isFinalStatus = (status: BatchStatus): boolean => finalStatuses.includes(status)

/**
 * OpenAI's batch status, which has our names: unknown future statuses count as `in_progress`,
 * so polling goes on (bounded by `timeout`) instead of failing a batch that may still succeed.
 */
export const statusFromOpenAi = (status: string): BatchStatus =>
  (BatchStatus.literals as ReadonlyArray<string>).includes(status) ? (status as BatchStatus) : "in_progress"

/** What {@link statusFromAnthropic} reads of an Anthropic message batch. */
export interface AnthropicBatchState {
  /** `processing_status`: "in_progress" | "canceling" | "ended". */
  readonly processingStatus: string
  /** Whether `cancel_initiated_at` is set. */
  readonly cancelInitiated: boolean
  /** `request_counts`. */
  readonly requestCounts: {
    readonly processing: number
    readonly succeeded: number
    readonly errored: number
    readonly canceled: number
    readonly expired: number
  }
}

/**
 * Anthropic's status in our terms: in_progress → in_progress, canceling → cancelling, ended →
 * cancelled if a cancel was initiated, expired if every request expired, else completed.
 */
export const statusFromAnthropic = (state: AnthropicBatchState): BatchStatus => {
  if (state.processingStatus === "canceling") return "cancelling"
  if (state.processingStatus !== "ended") return "in_progress"
  if (state.cancelInitiated) return "cancelled"
  const c = state.requestCounts
  const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
  return total > 0 && c.expired === total ? "expired" : "completed"
}

/**
 * One request of a batch: its custom id (unique within the batch), the messages, and optionally
 * its own parameters, settings and model (Anthropic allows a model per request; OpenAI one model
 * per batch).
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
    // nor is it constructed: fromFields sets the fields the constructor would (about 1 µs less a request)
    return fromFields(BatchRequest, {
      customId: input.customId,
      messages: input.messages,
      ...(input.parameters !== undefined ? { parameters: ModelRequestParameters.from(input.parameters) } : {}),
      ...(input.settings !== undefined ? { settings: input.settings } : {}),
      ...(input.model !== undefined ? { model: input.model } : {})
    })
  }
}

/** A batch request as a {@link BatchRequest} or a plain object of its fields. */
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

/** Why one request of a batch failed: the provider's code and message, or one of ours. */
export class ResultError extends Schema.Class<ResultError>("ResultError")({
  code: Schema.String,
  message: Schema.String
}) {}

/**
 * Our codes for requests without a provider result line: the batch expired or was cancelled
 * before the request ran, or the provider left it out of a completed batch.
 */
export const ResultErrorCode = { expired: "expired", cancelled: "cancelled", missing: "missing" } as const

/** A request that succeeded: the response, as a direct request would return it. */
export class BatchResultSuccess extends Schema.Class<BatchResultSuccess>("BatchResultSuccess")({
  customId: Schema.String,
  isSuccessful: Schema.Literal(true).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => true as const)),
  response: ModelResponse
}) {}

/** A request that failed: `error.code` is the provider's code or one of {@link ResultErrorCode}. */
export class BatchResultFailure extends Schema.Class<BatchResultFailure>("BatchResultFailure")({
  customId: Schema.String,
  isSuccessful: Schema.Literal(false).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => false as const)),
  error: ResultError
}) {}

/** The result of one request, told apart by `isSuccessful`. */
export const BatchResult = Schema.Union(BatchResultSuccess, BatchResultFailure)
/** The result of one request. */
export type BatchResult = BatchResultSuccess | BatchResultFailure

/** The failure reported for a request the provider returned no line for, by the batch's status. */
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

// ---------------------------------------------------------------------------------------------
// single calls
// ---------------------------------------------------------------------------------------------

/** Options every call takes. */
export interface CallOptions {
  /** Retry policy for transient faults (`false` for none); default {@link Retry.defaultPolicy}. */
  readonly retry?: Retry.Policy | false | undefined
  /**
   * `false` turns this call's spans off (nested ones included); `true` traces it with the global
   * tracer (`Telemetry.configure`) when the program provides none.
   */
  readonly instrument?: boolean | undefined
}

/** Options of {@link create}. */
export interface CreateOptions extends CallOptions {
  /** Labels stored with the batch (OpenAI: at most 16 pairs, keys 64 chars, values 512). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** How long upload + create may take; the create cannot be interrupted otherwise (default 10 minutes). */
  readonly createTimeout?: Duration.DurationInput | undefined
}

const DEFAULT_POLL_INTERVAL: Duration.DurationInput = "60 seconds"
const DEFAULT_CREATE_TIMEOUT: Duration.DurationInput = "10 minutes"

const policyOf = (retry: Retry.Policy | false | undefined): Retry.Policy =>
  retry === false ? Retry.none : retry ?? Retry.defaultPolicy

const spanOptions = (model: BatchModelService, attributes?: Record<string, unknown>) => ({
  kind: "client" as const,
  attributes: { ...modelAttributes(model), ...attributes }
})

/** Normalises and checks requests: any, unique ids, then the provider's rules. */
const prepare = (
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequestInput>,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<ReadonlyArray<BatchRequest>, InvalidInputError> =>
  Effect.gen(function* () {
    const prepared = yield* Effect.try({
      try: () => requests.map(BatchRequest.from),
      catch: (e) => new InvalidInputError({ provider: model.provider, reason: `a batch request is malformed: ${e instanceof Error ? e.message : String(e)}` })
    })
    yield* checkCustomIds(prepared, model.provider)
    yield* model.validate(prepared, { metadata })
    return prepared
  })

/** One create attempt, uninterruptible but bounded, so its batch id is always learnt. */
const submit = (
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequest>,
  options: Pick<CreateOptions, "metadata" | "createTimeout">
): Effect.Effect<Batch, AiError> => {
  const timeout = options.createTimeout ?? DEFAULT_CREATE_TIMEOUT
  return uninterruptibleWithin(model.create(requests, { metadata: options.metadata }), timeout, () =>
    new RequestTimeoutError({ provider: model.provider, detail: `creating the batch took longer than ${Duration.format(Duration.decode(timeout))}; raise createTimeout` })
  ).pipe(
    Effect.tap(annotateBatch),
    Effect.tapError(annotateError),
    Effect.withSpan("batch.create", spanOptions(model, { [BatchAttributes.requestCount]: requests.length }))
  )
}

class CreateRejected extends Data.TaggedError("CreateRejected")<{ readonly error: AiError }> {}

/**
 * acquireUseRelease around a create: the release sees the use's exit (cancel unless completed).
 * Only a create the provider rate-limited is retried: 429 means nothing was created, while after
 * a 5xx, a reset or a time-out a batch may exist, and submitting again would pay twice.
 */
const withCreated = <X, A, E, R>(
  acquire: Effect.Effect<X, AiError>,
  use: (created: X) => Effect.Effect<A, E, R>,
  release: (created: X, exit: Exit.Exit<A, E>) => Effect.Effect<void>,
  retry: Retry.Policy
): Effect.Effect<A, E | AiError, R> =>
  Effect.acquireUseRelease(
    Effect.mapError(acquire, (error) => new CreateRejected({ error })),
    // the use's failure is kept as a value so that only create rejections reach the retry
    (created) => Effect.exit(use(created)),
    (created, exit) => release(created, Exit.flatten(exit))
  ).pipe(
    Effect.retry(retry.pipe(
      Schedule.mapInput((rejected: CreateRejected) => rejected.error),
      Schedule.whileInput((rejected: CreateRejected) => rejected.error._tag === "RateLimitError")
    )),
    Effect.catchAll((rejected) => Effect.fail(rejected.error)),
    Effect.flatten
  )

/** Cancels with bounded retries; a cancel that keeps failing is logged, never raised. */
const cancelQuietly = (model: BatchModelService, batch: Batch, retry: Retry.Policy): Effect.Effect<void> =>
  Retry.retry(model.cancel(batch), retry).pipe(
    Effect.tap(annotateBatch),
    Effect.tapError(annotateError),
    Effect.withSpan("batch.cancel", spanOptions(model, { [BatchAttributes.id]: batch.id })),
    Effect.catchAll((error) => Effect.logWarning(`Could not cancel batch ${batch.id}: ${error.message}`)),
    Effect.asVoid
  )

/**
 * Submits one provider batch (validated first; no splitting: a list over the provider's limits
 * fails, use {@link run}). Returns at once with the batch, usually `validating`. If the fiber is
 * interrupted while the create runs, the batch is cancelled.
 *
 * @example
 * const batch = yield* Batch.create(requests)
 * console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
 */
export const create = (
  requests: ReadonlyArray<BatchRequestInput>,
  options: CreateOptions = {}
): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    const prepared = yield* prepare(model, requests, options.metadata)
    const chunks = yield* split(model.provider, prepared, model.limits, model.encodedSize)
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

/** The batch's current state, retried on transient faults. */
export const status = (batch: Batch | string, options?: CallOptions): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) =>
    Retry.retry(model.status(batch), options?.retry).pipe(
      Effect.tap(annotateBatch),
      Effect.tapError(annotateError),
      Effect.withSpan("batch.status", spanOptions(model, { [BatchAttributes.id]: typeof batch === "string" ? batch : batch.id })),
      (self) => instrumented(self, options?.instrument)
    ))

/** Asks the provider to cancel the batch; returns it (usually `cancelling`). */
export const cancel = (batch: Batch | string, options?: CallOptions): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) =>
    Retry.retry(model.cancel(batch), options?.retry).pipe(
      Effect.tap(annotateBatch),
      Effect.tapError(annotateError),
      Effect.withSpan("batch.cancel", spanOptions(model, { [BatchAttributes.id]: typeof batch === "string" ? batch : batch.id })),
      (self) => instrumented(self, options?.instrument)
    ))

/** Options of {@link list}. */
export interface ListOptions extends CallOptions {
  /** At most this many batches (newest first). */
  readonly limit?: number | undefined
  /** Start after this batch id. */
  readonly after?: string | undefined
}

/** The provider's batches, newest first, page by page; a page that fails transiently is fetched again. */
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
 * The results of a complete batch as a stream (memory stays bounded however large the batch):
 * the provider's lines in provider order, each custom id once (the first line wins), lines for
 * ids the batch did not submit dropped, then a failure for every submitted id the provider left
 * out: code "expired", "cancelled" or "missing" by the batch's status. Never a success the
 * provider did not return. Transient download faults re-read the file and skip ids already
 * emitted. With only an id, the submitted ids are unknown and nothing is added. `tally`, when
 * given, counts the results delivered and the failures among them.
 */
const resultsOf = (
  model: BatchModelService,
  batch: Batch,
  retry: Retry.Policy,
  tally?: ResultTally
): Stream.Stream<BatchResult, AiError> =>
  Stream.suspend(() => {
    const seen = new Set<string>()
    const submitted = batch.customIds.length > 0 ? new Set(batch.customIds) : undefined
    // one plain pass per chunk (a network read's lines) that drops repeated and unsubmitted ids
    // and counts what it keeps, rather than a stage per concern
    const keep = (chunk: Chunk.Chunk<BatchResult>): Chunk.Chunk<BatchResult> => {
      const results = Chunk.toReadonlyArray(chunk)
      const kept: Array<BatchResult> = []
      let failures = 0
      for (const result of results) {
        if (submitted !== undefined && !submitted.has(result.customId)) continue
        // one hash lookup per id, not has + add: an id already seen leaves the size unchanged
        const before = seen.size
        seen.add(result.customId)
        if (seen.size === before) continue
        kept.push(result)
        if (!result.isSuccessful) failures += 1
      }
      if (tally !== undefined) {
        tally.count += kept.length
        tally.failures += failures
      }
      return kept.length === results.length ? chunk : Chunk.unsafeFromArray(kept)
    }
    const lines = Stream.mapChunks(retryStream(() => model.results(batch), retry), keep)
    // with only an id, the submitted ids are unknown: nothing to add
    if (batch.customIds.length === 0) return lines
    const rest = Stream.suspend(() => {
      const missing = batch.customIds.filter((id) => !seen.has(id)).map((id) => unanswered(id, batch))
      if (tally !== undefined) {
        tally.count += missing.length
        tally.failures += missing.length
      }
      return Stream.fromIterable(missing)
    })
    return Stream.concat(lines, rest)
  })

/**
 * The results of a complete batch: one per submitted custom id, provider order first, then the
 * ids the provider left out (see {@link ResultErrorCode}). A batch not yet complete is looked up
 * again; if it is still running the stream fails with InvalidInputError.
 *
 * @example
 * yield* Batch.results(batch).pipe(Stream.runForEach((r) =>
 *   Console.log(r.isSuccessful ? `${r.customId}: ${r.response.text}` : `${r.customId}: ERROR ${r.error.message}`)))
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

/** A poll schedule: any `Schedule` (fed with the last snapshot), or a fixed interval. */
export type PollSchedule = Schedule.Schedule<unknown, Batch> | Duration.DurationInput

const toSchedule = (schedule: PollSchedule | undefined): Schedule.Schedule<unknown, Batch> =>
  schedule === undefined
    ? Schedule.spaced(DEFAULT_POLL_INTERVAL)
    : Schedule.isSchedule(schedule)
      ? (schedule as Schedule.Schedule<unknown, Batch>)
      : Schedule.spaced(schedule as Duration.DurationInput)

const watchWith = (
  model: BatchModelService,
  batch: Batch | string,
  schedule: PollSchedule | undefined,
  retry: Retry.Policy
): Stream.Stream<Batch, AiError> =>
  Stream.unwrap(
    Effect.map(Schedule.driver(toSchedule(schedule)), (driver) => {
      const poll = (previous: Batch | string) =>
        Retry.retry(model.status(previous), retry).pipe(
          Effect.tap(annotateBatch),
          Effect.tapError(annotateError),
          Effect.withSpan("batch.poll", spanOptions(model, { [BatchAttributes.id]: typeof previous === "string" ? previous : previous.id }))
        )
      // the stream ends after a final snapshot, or when the schedule ends
      type Step = { readonly _tag: "First" } | { readonly _tag: "Next"; readonly last: Batch } | { readonly _tag: "Done" }
      const toStep = (b: Batch) =>
        Option.some([b, b.isComplete ? ({ _tag: "Done" } as const) : ({ _tag: "Next", last: b } as const)] as const)
      return Stream.unfoldEffect<Step, Batch, AiError, never>({ _tag: "First" }, (step) => {
        if (step._tag === "Done") return Effect.succeed(Option.none())
        if (step._tag === "First") {
          // a snapshot already final cannot change: no call needed
          return typeof batch !== "string" && batch.isComplete ? Effect.succeed(toStep(batch)) : Effect.map(poll(batch), toStep)
        }
        return driver.next(step.last).pipe(
          Effect.matchEffect({
            onFailure: () => Effect.succeed(Option.none()), // the schedule ended
            onSuccess: () => Effect.map(poll(step.last), toStep)
          })
        )
      })
    })
  )

/**
 * The batch's progress: one snapshot per status check (the first right away, then on the
 * schedule, default every 60 seconds), ending after a final status or when the schedule ends.
 * Transient faults are retried. A snapshot that is already final is emitted without a call.
 *
 * @example
 * yield* Batch.watch(batch, "10 seconds").pipe(Stream.runForEach((b) =>
 *   Console.log(`${b.status}: ${b.completedCount + b.failedCount}/${b.requestCount}`)))
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
// run
// ---------------------------------------------------------------------------------------------

/** Options of {@link run}. */
export interface RunOptions extends CreateOptions {
  /** Time between status checks (default 60 seconds); ignored when `schedule` is given. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * When to check again, for example capped exponential backoff. If it ends before the batch is
   * final, the run is treated like a `timeout`.
   */
  readonly schedule?: Schedule.Schedule<unknown, Batch> | undefined
  /** Cancel the batches and fail with BatchTimeoutError if they are not done within this time. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Record the submitted batches under this key of the `KeyValueStore` in context, so that a
   * run interrupted after submission resumes polling them instead of submitting again.
   */
  readonly resumeKey?: string | undefined
  /** Split into provider batches of at most this many requests. */
  readonly maxRequestsPerBatch?: number | undefined
  /** Split into provider batches of at most this many upload bytes. */
  readonly maxBytesPerBatch?: number | undefined
  /** How many provider batches are created and polled at once (default all). */
  readonly concurrency?: number | "unbounded" | undefined
}

/** A resume record: the provider batches of one run, as stored under its `resumeKey`. */
const ResumeRecord = Schema.parseJson(Schema.Struct({ version: Schema.Literal(1), batches: Schema.Array(Batch) }))

interface Store {
  readonly kv: KeyValueStore.KeyValueStore
  readonly key: string
}

const loadRecord = (
  store: Store,
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequest>
): Effect.Effect<ReadonlyArray<Batch>, InvalidInputError | PlatformError> =>
  Effect.gen(function* () {
    const stored = yield* store.kv.get(store.key)
    if (Option.isNone(stored)) return []
    const invalid = (reason: string) => new InvalidInputError({ provider: model.provider, reason: `resumeKey ${JSON.stringify(store.key)}: ${reason}` })
    const record = yield* Schema.decodeUnknown(ResumeRecord)(stored.value).pipe(
      Effect.mapError(() => invalid("the stored record is unreadable; remove it from the store to start afresh."))
    )
    const ids = new Set(requests.map((r) => r.customId))
    for (const batch of record.batches) {
      if (batch.provider !== model.provider || batch.customIds.some((id) => !ids.has(id))) {
        return yield* invalid(`it records ${batch.provider} batch ${batch.id} for other requests; use another key for a different request list.`)
      }
    }
    return record.batches
  })

type Unit = { readonly _tag: "Resumed"; readonly batch: Batch } | { readonly _tag: "New"; readonly requests: ReadonlyArray<BatchRequest> }

interface Acquired {
  readonly batch: Batch
  /** Whether a resume record holds it (then interruption leaves it running). */
  readonly recorded: boolean
  /** Set when the record could not be written: the run fails with it (and cancels the batch). */
  readonly recordFailure: Effect.Effect<never, PlatformError> | undefined
}

class TimedOut extends Data.TaggedError("TimedOut") {}

/**
 * Runs requests through the provider's batch API and returns one result per request, in
 * submission order (pydantic-ai's `model_request_batch`).
 *
 * 1. Validates before any network call (InvalidInputError): an empty list, duplicate custom ids,
 *    the provider's rules. The seeds' "at least 2 requests" is not a provider rule: one is fine.
 * 2. Splits the list by the provider's limits and `maxRequestsPerBatch` / `maxBytesPerBatch`
 *    into provider batches that run together and merge back in submission order.
 * 3. Creates each batch uninterruptibly (bounded by `createTimeout`), so its id is always known;
 *    a rate-limited create is retried, any other create failure is not (a batch may exist).
 * 4. Checks the status right after create, then on the schedule (`pollInterval`, default 60 s,
 *    or `schedule`); transient faults while polling and downloading are retried and never
 *    resubmit.
 * 5. Collects results: duplicated lines count once, ids the provider left out fail with code
 *    "expired", "cancelled" or "missing". An expired or cancelled batch returns what exists plus
 *    failures for the rest.
 *
 * It fails with BatchFailedError when the provider failed a whole batch (an OpenAI input that
 * failed validation; the provider's errors attached), BatchTimeoutError when `timeout` passes
 * (or a finite `schedule` ends) first, after cancelling the remote batches, and with an AiError
 * a retry could not fix. On interruption or failure the unfinished remote batches are cancelled
 * (retried on transient faults a bounded number of times) — except with `resumeKey`, where
 * interruption and AiErrors leave them running for the next run with the same key; the record
 * is removed once the run succeeds, fails definitively or times out.
 *
 * With `resumeKey` the run needs a `KeyValueStore` (and may fail with its PlatformError);
 * without it, it does not.
 *
 * @example
 * const results = yield* Batch.run(requests, { timeout: "30 minutes" })
 * for (const r of results) console.log(r.customId, r.isSuccessful ? r.response.text : r.error.message)
 */
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options: RunOptions & { readonly resumeKey: string }
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel | KeyValueStore.KeyValueStore>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options?: RunOptions & { readonly resumeKey?: undefined }
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError, BatchModel>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options?: RunOptions
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel | KeyValueStore.KeyValueStore>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options: RunOptions = {}
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel | KeyValueStore.KeyValueStore> {
  return Effect.gen(function* () {
    const model = yield* BatchModel
    const started = yield* Clock.currentTimeMillis
    const retry = policyOf(options.retry)

    // ---- plan: validate, find what a previous run with this key submitted, split the rest
    const prepared = yield* prepare(model, requests, options.metadata)
    const limits = yield* effectiveLimits(model.provider, model.limits, options)
    // the store is looked up only with a resumeKey, so a plain run needs no KeyValueStore
    const store: Store | undefined =
      options.resumeKey === undefined ? undefined : { kv: yield* KeyValueStore.KeyValueStore, key: options.resumeKey }
    const recorded = store === undefined ? [] : yield* loadRecord(store, model, prepared)
    const covered = new Set(recorded.flatMap((b) => b.customIds))
    const chunks = yield* split(model.provider, prepared.filter((r) => !covered.has(r.customId)), limits, model.encodedSize)
    const units: ReadonlyArray<Unit> = [
      ...recorded.map((batch) => ({ _tag: "Resumed" as const, batch })),
      ...chunks.map((requests) => ({ _tag: "New" as const, requests }))
    ]
    yield* Effect.annotateCurrentSpan({
      ...modelAttributes(model),
      [BatchAttributes.requestCount]: prepared.length,
      [BatchAttributes.batchCount]: units.length,
      [BatchAttributes.resumed]: recorded.length > 0
    })

    // ---- shared state: a definitive end (timeout, failed batch) cancels even resumable batches
    const abandoned = yield* Ref.make(false)
    const latest: Array<Batch | undefined> = units.map((u) => (u._tag === "Resumed" ? u.batch : undefined))
    const remember = (index: number, batch: Batch) => Effect.sync(() => { latest[index] = batch })
    const registry: Array<Batch> = [...recorded]
    const lock = yield* Effect.makeSemaphore(1)
    const record = (batch: Batch): Effect.Effect<void, PlatformError> =>
      store === undefined
        ? Effect.void
        : lock.withPermits(1)(Effect.suspend(() => {
            registry.push(batch)
            return store.kv.set(store.key, Schema.encodeSync(ResumeRecord)({ version: 1, batches: registry }))
          }))

    // ---- one provider batch: create (or resume), poll, collect; cancel unless completed
    const acquire = (unit: Unit, index: number): Effect.Effect<Acquired, AiError> =>
      unit._tag === "Resumed"
        ? Effect.succeed({ batch: unit.batch, recorded: true, recordFailure: undefined })
        : submit(model, unit.requests, options).pipe(
            Effect.tap((batch) => remember(index, batch)),
            Effect.flatMap((batch) =>
              Effect.map(Effect.exit(record(batch)), (exit) => ({
                batch,
                recorded: store !== undefined && Exit.isSuccess(exit),
                recordFailure: Exit.isFailure(exit) ? Effect.failCause(exit.cause) : undefined
              })))
          )

    const follow = (index: number, batch: Batch): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError> =>
      Effect.gen(function* () {
        const last = yield* watchWith(model, batch, options.schedule ?? options.pollInterval, retry).pipe(
          Stream.tap((b) => remember(index, b)),
          Stream.runLast
        )
        const final = Option.getOrElse(last, () => batch)
        if (!final.isComplete) {
          yield* Ref.set(abandoned, true)
          const now = yield* Clock.currentTimeMillis
          return yield* new BatchTimeoutError({ batchId: final.id, provider: model.provider, timeout: Duration.millis(now - started) })
        }
        if (final.status === "failed") {
          yield* Ref.set(abandoned, true)
          return yield* new BatchFailedError({ batchId: final.id, provider: model.provider, errors: final.errors })
        }
        const collected = yield* Stream.runCollect(resultsOf(model, final, retry)).pipe(
          Effect.tap(annotateResults),
          Effect.withSpan("batch.results", spanOptions(model, { [BatchAttributes.id]: final.id }))
        )
        return Array.from(collected)
      })

    const release = (index: number, acquired: Acquired, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (Exit.isSuccess(exit)) return
        const current = latest[index] ?? acquired.batch
        if (current.isComplete) return
        if (acquired.recorded && !(yield* Ref.get(abandoned))) {
          return yield* Effect.logInfo(`Batch ${current.id} left running; run again with resumeKey ${JSON.stringify(options.resumeKey)} to resume it.`)
        }
        yield* cancelQuietly(model, current, retry)
      })

    const runUnit = (unit: Unit, index: number): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
      withCreated(
        acquire(unit, index),
        (acquired): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
          acquired.recordFailure ?? follow(index, acquired.batch),
        (acquired, exit) => release(index, acquired, exit),
        retry
      )

    const all = Effect.forEach(units, runUnit, { concurrency: options.concurrency ?? "unbounded" })

    // ---- timeout: mark the run abandoned first, so the interrupted units cancel their batches
    const timeout = options.timeout
    const timed =
      timeout === undefined
        ? all
        : Effect.raceFirst(
            all,
            Effect.sleep(timeout).pipe(Effect.zipRight(Ref.set(abandoned, true)), Effect.zipRight(Effect.fail(new TimedOut())))
          ).pipe(
            Effect.catchIf((e): e is TimedOut => e instanceof TimedOut, () => {
              const unfinished = latest.find((b) => b !== undefined && !b.isComplete) ?? latest.find((b) => b !== undefined)
              return Effect.fail(new BatchTimeoutError({
                batchId: unfinished?.id ?? "(not created)",
                provider: model.provider,
                timeout: Duration.decode(timeout)
              }))
            })
          )

    // ---- the record goes once there is nothing left to resume
    const finished =
      store === undefined
        ? timed
        : Effect.onExit(timed, (exit) =>
            Effect.flatMap(Ref.get(abandoned), (gone) =>
              Exit.isSuccess(exit) || gone
                ? store.kv.remove(store.key).pipe(
                    Effect.catchAll((e) => Effect.logWarning(`Could not remove resume record ${store.key}: ${e.message}`))
                  )
                : Effect.void))

    // ---- merge: one result per request, in submission order
    const byId = new Map<string, BatchResult>()
    for (const list of yield* finished) for (const result of list) if (!byId.has(result.customId)) byId.set(result.customId, result)
    const ran = units.map((_, i) => latest[i]).filter((b): b is Batch => b !== undefined)
    const results = prepared.map((r) =>
      byId.get(r.customId) ??
        new BatchResultFailure({
          customId: r.customId,
          error: new ResultError({ code: ResultErrorCode.missing, message: `no result for this request in batches ${ran.map((b) => b.id).join(", ")}` })
        }))
    yield* annotateResults(results)
    return results
  }).pipe(
    Effect.tapError(annotateError),
    Effect.withSpan("batch.run", { attributes: { [BatchAttributes.operationName]: "batch" } }),
    (self) => instrumented(self, options.instrument)
  )
}
