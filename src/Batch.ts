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
import { unwrapScopedStream } from "./internal/scopedStream.js"
import { checkCustomIds, effectiveLimits, split } from "./internal/batchPlan.js"
import * as BatchQueue from "./internal/batchQueue.js"
import * as BatchResubmit from "./internal/batchResubmit.js"
import type { ResubmitOptions } from "./internal/batchResubmit.js"
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
import { Batch, BatchRequest, type BatchRequestInput, BatchResult, BatchResultFailure, type PollSchedule, ResultError, ResultErrorCode, unanswered } from "./BatchData.js"
import { type Completion, wakeUps } from "./BatchCompletion.js"
import * as Retry from "./Retry.js"
import { BatchUsage as BatchUsageSchema, usage as summedUsage } from "./BatchUsage.js"
import {
  BatchCost as BatchCostSchema,
  type CostOptions,
  cost as computeCost,
  type PricesUnavailableError as PricesUnavailableErrorType
} from "./Cost.js"

// ---------------------------------------------------------------------------------------------
// data (BatchData.ts) and webhook completion (BatchCompletion.ts), re-exported
// ---------------------------------------------------------------------------------------------

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
export { type BatchEvent, type Completion, finalEventTypes, webhook, type WebhookOptions } from "./BatchCompletion.js"
export type { ResubmitOptions } from "./internal/batchResubmit.js"
export {
  /** @deprecated Use `OpenAi.BatchCodec.statusFromOpenAi`; the status map lives in the provider's batch codec. */
  statusFromOpenAi
} from "./providers/openai/batchCodec.js"
export {
  type AnthropicBatchState,
  /** @deprecated Use `Anthropic.BatchCodec.statusFromAnthropic`; the status map lives in the provider's batch codec. */
  statusFromAnthropic
} from "./providers/anthropic/batchCodec.js"

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
  retry: Retry.Policy,
  completion?: Completion | undefined
): Stream.Stream<Batch, AiError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const driver = yield* Schedule.driver(toSchedule(schedule))
      // a completion source wakes the wait early when an event names this batch
      const woken = completion === undefined ? undefined : yield* wakeUps(completion, typeof batch === "string" ? batch : batch.id)
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
        const wait = woken === undefined ? driver.next(step.last) : Effect.raceFirst(driver.next(step.last), woken)
        return wait.pipe(
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
  /**
   * At most this many provider batches of the run live at once (submitted and not yet done);
   * later parts wait, in submission order, until earlier ones finish. Default: no limit.
   */
  readonly maxConcurrentBatches?: number | undefined
  /**
   * At most this many estimated tokens in the run's live batches (set it to your provider's
   * enqueued-token limit for the model, less what other work enqueues). Parts are split so that
   * each fits, and wait until earlier parts finish. Default: no limit.
   */
  readonly maxEnqueuedTokens?: number | undefined
  /** The tokens of one request for `maxEnqueuedTokens` (default {@link estimateTokens} of its encoded line). */
  readonly estimateTokens?: ((request: BatchRequest) => number) | undefined
  /**
   * When a batch failed with `token_limit_exceeded` (the provider's queue was full: nothing ran,
   * nothing is billed) and no other part of the run is live to wait for: when to submit it again.
   * Default: every {@link defaultQueueBackoff}. When it ends, the run fails with BatchFailedError.
   */
  readonly queueBackoff?: Schedule.Schedule<unknown, Batch> | undefined
  /**
   * Submit requests that failed with a transient code again, in follow-up batches after the
   * first ones end, up to `times` rounds (default codes {@link defaultResubmitCodes}). Each
   * result carries its `attempts`. Default: off.
   */
  readonly resubmit?: ResubmitOptions | undefined
  /**
   * Learn of completion from events too ({@link webhook}): an event for one of the run's batches
   * checks its status at once; polling goes on at the webhook's fallback interval.
   */
  readonly completion?: Completion | undefined
}


/**
 * The result codes `resubmit` submits again by default: "expired" / "batch_expired", rate
 * limits ("rate_limit_exceeded", "rate_limit_error", "http_429") and server faults
 * ("server_error", "internal_server_error", "api_error", "overloaded_error", "http_5xx").
 */
export const defaultResubmitCodes: ReadonlyArray<string> = BatchResubmit.defaultResubmitCodes

/**
 * The default token estimate of a request for `maxEnqueuedTokens`: the bytes of its encoded
 * upload line (`BatchModel.encodedSize`) divided by 4, rounded up, plus its `settings.maxTokens`
 * (0 when unset; a model-level default is not seen, pass `estimateTokens` then).
 *
 * @example
 * const tokens = Batch.estimateTokens(request, model.encodedSize(request))
 */
export const estimateTokens: (request: BatchRequest, encodedBytes: number) => number = BatchQueue.estimateTokens

/**
 * The default `queueBackoff`: exponential from 1 minute, doubling, each wait at most 10 minutes,
 * 30 times (about four and a half hours of a queue other work keeps full).
 */
export const defaultQueueBackoff: Schedule.Schedule<unknown, Batch> = Schedule.fromDelays(
  BatchQueue.defaultBackoffWaits[0]!,
  ...BatchQueue.defaultBackoffWaits.slice(1)
)

/**
 * A resume record: the provider batches of one run, by round (the first submission, then each
 * `resubmit` round), as stored under its `resumeKey`. Version 1 held one round.
 */
const ResumeRecord = Schema.parseJson(Schema.Union(
  Schema.Struct({ version: Schema.Literal(1), batches: Schema.Array(Batch) }),
  Schema.Struct({ version: Schema.Literal(2), rounds: Schema.Array(Schema.Array(Batch)) })
))

interface Store {
  readonly kv: KeyValueStore.KeyValueStore
  readonly key: string
}

const loadRecord = (
  store: Store,
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequest>
): Effect.Effect<ReadonlyArray<ReadonlyArray<Batch>>, InvalidInputError | PlatformError> =>
  Effect.gen(function* () {
    const stored = yield* store.kv.get(store.key)
    if (Option.isNone(stored)) return []
    const record = yield* Schema.decodeUnknown(ResumeRecord)(stored.value).pipe(
      Effect.mapError(() => invalidRecord(store, model, "the stored record is unreadable; remove it from the store to start afresh."))
    )
    const rounds = record.version === 1 ? [record.batches] : record.rounds
    const ids = new Set(requests.map((r) => r.customId))
    for (const batch of rounds.flat()) {
      if (batch.provider !== model.provider || batch.customIds.some((id) => !ids.has(id))) return yield* otherRequests(store, model, batch)
    }
    return rounds
  })

const invalidRecord = (store: Store, model: BatchModelService, reason: string) =>
  new InvalidInputError({ provider: model.provider, reason: `resumeKey ${JSON.stringify(store.key)}: ${reason}` })

const otherRequests = (store: Store, model: BatchModelService, batch: Batch) =>
  invalidRecord(store, model, `it records ${batch.provider} batch ${batch.id} for other requests; use another key for a different request list.`)

type Unit = { readonly _tag: "Resumed"; readonly batch: Batch } | { readonly _tag: "New"; readonly requests: ReadonlyArray<BatchRequest> }

interface Acquired {
  readonly batch: Batch
  /** Whether a resume record holds it (then interruption leaves it running). */
  readonly recorded: boolean
  /** Set when the record could not be written: the run fails with it (and cancels the batch). */
  readonly recordFailure: Effect.Effect<never, PlatformError> | undefined
}

/** How a provider batch of the run ended: its results, or a full provider queue (submit again). */
type Followed =
  | { readonly _tag: "Results"; readonly results: ReadonlyArray<BatchResult> }
  | { readonly _tag: "QueueFull"; readonly batch: Batch }

class TimedOut extends Data.TaggedError("TimedOut") {}

/**
 * Runs requests through the provider's batch API and returns one result per request, in
 * submission order (pydantic-ai's `model_request_batch`).
 *
 * 1. Validates before any network call (InvalidInputError): an empty list, duplicate custom ids,
 *    the provider's rules. The seeds' "at least 2 requests" is not a provider rule: one is fine.
 * 2. Splits the list by the provider's limits and `maxRequestsPerBatch` / `maxBytesPerBatch`
 *    (and `maxEnqueuedTokens`) into provider batches that run together and merge back in
 *    submission order. With `maxConcurrentBatches` / `maxEnqueuedTokens`, parts beyond the
 *    budget wait until earlier parts finish.
 * 3. Creates each batch uninterruptibly (bounded by `createTimeout`), so its id is always known;
 *    a rate-limited create is retried, any other create failure is not (a batch may exist).
 *    A batch the provider failed with `token_limit_exceeded` (its queue was full; nothing ran)
 *    is submitted again once another part of the run finishes, or after `queueBackoff` when none
 *    is live; it is never a result failure, and never two batches live for the same requests.
 * 4. Checks the status right after create, then on the schedule (`pollInterval`, default 60 s,
 *    or `schedule`); transient faults while polling and downloading are retried and never
 *    resubmit.
 * 5. Collects results: duplicated lines count once, ids the provider left out fail with code
 *    "expired", "cancelled" or "missing". An expired or cancelled batch returns what exists plus
 *    failures for the rest.
 * 6. With `resubmit`, requests that failed with one of its codes go into follow-up batches
 *    (split the same way), up to `times` rounds; each request keeps its last outcome, with the
 *    number of batches it was in as `attempts`.
 *
 * It fails with BatchFailedError when the provider failed a whole batch for another reason (an
 * OpenAI input that failed validation; the provider's errors attached), BatchTimeoutError when
 * `timeout` passes (or a finite `schedule` ends) first, after cancelling the remote batches, and
 * with an AiError a retry could not fix. On interruption or failure the unfinished remote
 * batches are cancelled (retried on transient faults a bounded number of times) — except with
 * `resumeKey`, where interruption and AiErrors leave them running for the next run with the same
 * key, which resumes every round; the record is removed once the run succeeds, fails
 * definitively or times out.
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

    // ---- plan: validate, find what a previous run with this key submitted
    const prepared = yield* prepare(model, requests, options.metadata)
    const limits = yield* effectiveLimits(model.provider, model.limits, options)
    const queueLimits = yield* BatchQueue.queueLimitsOf(model.provider, options)
    const policy = yield* BatchResubmit.resubmitPolicy(model.provider, options.resubmit)
    const tokensOf = options.estimateTokens ?? ((r: BatchRequest) => BatchQueue.estimateTokens(r, model.encodedSize(r)))
    // the store is looked up only with a resumeKey, so a plain run needs no KeyValueStore
    const store: Store | undefined =
      options.resumeKey === undefined ? undefined : { kv: yield* KeyValueStore.KeyValueStore, key: options.resumeKey }
    const recordedRounds = store === undefined ? [] : yield* loadRecord(store, model, prepared)

    // ---- shared state: a definitive end (timeout, failed batch) cancels even resumable batches
    const abandoned = yield* Ref.make(false)
    const gate = BatchQueue.makeGate(queueLimits)
    // the latest snapshot of every provider batch of the run (for the timeout and missing ids)
    const cells: Array<{ batch: Batch | undefined }> = []
    const registry: Array<Array<Batch>> = recordedRounds.map((round) => [...round])
    const lock = yield* Effect.makeSemaphore(1)
    /** Records a created batch in its round, in place of the queue-failed batch it resubmits. */
    const record = (round: number, batch: Batch, replacing: string | undefined): Effect.Effect<void, PlatformError> =>
      store === undefined
        ? Effect.void
        : lock.withPermits(1)(Effect.suspend(() => {
            while (registry.length <= round) registry.push([])
            const list = registry[round]!
            const at = replacing === undefined ? -1 : list.findIndex((b) => b.id === replacing)
            if (at >= 0) list[at] = batch
            else list.push(batch)
            return store.kv.set(store.key, Schema.encodeSync(ResumeRecord)({ version: 2, rounds: registry }))
          }))

    // ---- one provider batch: create (or resume), poll, collect; cancel unless completed
    const acquire = (round: number, unit: Unit, cell: { batch: Batch | undefined }, replacing: string | undefined): Effect.Effect<Acquired, AiError> =>
      unit._tag === "Resumed"
        ? Effect.succeed({ batch: unit.batch, recorded: true, recordFailure: undefined })
        : submit(model, unit.requests, options).pipe(
            Effect.tap((batch) => Effect.sync(() => { cell.batch = batch })),
            Effect.flatMap((batch) =>
              Effect.map(Effect.exit(record(round, batch, replacing)), (exit) => ({
                batch,
                recorded: store !== undefined && Exit.isSuccess(exit),
                recordFailure: Exit.isFailure(exit) ? Effect.failCause(exit.cause) : undefined
              })))
          )

    const follow = (cell: { batch: Batch | undefined }, batch: Batch): Effect.Effect<Followed, AiError | BatchError> =>
      Effect.gen(function* () {
        const last = yield* watchWith(model, batch, options.schedule ?? options.completion?.fallback ?? options.pollInterval, retry, options.completion).pipe(
          Stream.tap((b) => Effect.sync(() => { cell.batch = b })),
          Stream.runLast
        )
        const final = Option.getOrElse(last, () => batch)
        if (!final.isComplete) {
          yield* Ref.set(abandoned, true)
          const now = yield* Clock.currentTimeMillis
          return yield* new BatchTimeoutError({ batchId: final.id, provider: model.provider, timeout: Duration.millis(now - started) })
        }
        if (BatchQueue.isQueueFull(final)) return { _tag: "QueueFull", batch: final } as const
        if (final.status === "failed") {
          yield* Ref.set(abandoned, true)
          return yield* new BatchFailedError({ batchId: final.id, provider: model.provider, errors: final.errors })
        }
        const collected = yield* Stream.runCollect(resultsOf(model, final, retry)).pipe(
          Effect.tap(annotateResults),
          Effect.withSpan("batch.results", spanOptions(model, { [BatchAttributes.id]: final.id }))
        )
        return { _tag: "Results", results: Array.from(collected) } as const
      })

    const release = (cell: { batch: Batch | undefined }, acquired: Acquired, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (Exit.isSuccess(exit)) return
        const current = cell.batch ?? acquired.batch
        if (current.isComplete) return
        if (acquired.recorded && !(yield* Ref.get(abandoned))) {
          return yield* Effect.logInfo(`Batch ${current.id} left running; run again with resumeKey ${JSON.stringify(options.resumeKey)} to resume it.`)
        }
        yield* cancelQuietly(model, current, retry)
      })

    /** One step of the queue backoff; when the schedule ends, the queue-failed batch fails the run. */
    const backoffStep = (driver: Schedule.ScheduleDriver<unknown, Batch>, failed: Batch): Effect.Effect<void, BatchFailedError> =>
      driver.next(failed).pipe(
        Effect.asVoid,
        Effect.catchAll(() =>
          Effect.zipRight(Ref.set(abandoned, true), new BatchFailedError({ batchId: failed.id, provider: model.provider, errors: failed.errors })))
      )

    /** A part of a round: admitted under the budget, submitted again while the provider's queue is full. */
    const runUnit = (round: number, unit: Unit, requestsOf: ReadonlyArray<BatchRequest>): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
      Effect.suspend(() => {
        const cell: { batch: Batch | undefined } = { batch: unit._tag === "Resumed" ? unit.batch : undefined }
        cells.push(cell)
        const tokens = queueLimits.maxEnqueuedTokens === Infinity ? 0 : requestsOf.reduce((sum, r) => sum + tokensOf(r), 0)
        const attempt = (current: Unit, replacing: string | undefined, driver: Schedule.ScheduleDriver<unknown, Batch> | undefined): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
          withCreated(
            acquire(round, current, cell, replacing),
            (acquired): Effect.Effect<Followed, AiError | BatchError | PlatformError> => acquired.recordFailure ?? follow(cell, acquired.batch),
            (acquired, exit) => release(cell, acquired, exit),
            retry
          ).pipe(Effect.flatMap((followed) => {
            if (followed._tag === "Results") return Effect.succeed(followed.results)
            // the provider's queue was full: the batch failed before anything ran (nothing billed)
            // and is final, so submitting the same requests again never leaves two live batches
            const failed = followed.batch
            return Effect.gen(function* () {
              const schedule = driver ?? (yield* Schedule.driver(options.queueBackoff ?? defaultQueueBackoff))
              yield* Effect.logInfo(`Batch ${failed.id} failed with ${BatchQueue.TOKEN_LIMIT_EXCEEDED}; submitting its ${requestsOf.length} requests again when the queue has room.`)
              yield* gate.stall(backoffStep(schedule, failed))
              return yield* attempt({ _tag: "New", requests: requestsOf }, failed.id, schedule)
            })
          }))
        return gate.admitted(tokens, attempt(unit, undefined, undefined))
      })

    /** One round: the recorded batches of this round resumed, the rest split and submitted. */
    const runRound = (round: number, roundRequests: ReadonlyArray<BatchRequest>): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
      Effect.gen(function* () {
        const recorded = recordedRounds[round] ?? []
        const byId = new Map(roundRequests.map((r) => [r.customId, r]))
        for (const batch of recorded) if (batch.customIds.some((id) => !byId.has(id))) return yield* otherRequests(store!, model, batch)
        const covered = new Set(recorded.flatMap((b) => b.customIds))
        // the round's list itself when nothing of it was submitted before: the model may keep
        // what validate encoded for that list (BatchModel.encodedBytes)
        const fresh = covered.size === 0 ? roundRequests : roundRequests.filter((r) => !covered.has(r.customId))
        const chunks = yield* split(model.provider, fresh, limits, model.encodedSize, model.encodedBytes).pipe(
          Effect.flatMap((chunks) => BatchQueue.splitByTokens(model.provider, chunks, tokensOf, queueLimits.maxEnqueuedTokens))
        )
        const units: ReadonlyArray<readonly [Unit, ReadonlyArray<BatchRequest>]> = [
          ...recorded.map((batch) => [{ _tag: "Resumed" as const, batch }, batch.customIds.map((id) => byId.get(id)!)] as const),
          ...chunks.map((requests) => [{ _tag: "New" as const, requests }, requests] as const)
        ]
        if (round === 0) {
          yield* Effect.annotateCurrentSpan({
            ...modelAttributes(model),
            [BatchAttributes.requestCount]: prepared.length,
            [BatchAttributes.batchCount]: units.length,
            [BatchAttributes.resumed]: recordedRounds.length > 0
          })
        }
        const lists = yield* Effect.forEach(units, ([unit, requestsOf]) => runUnit(round, unit, requestsOf), { concurrency: options.concurrency ?? "unbounded" })
        const got = new Map<string, BatchResult>()
        for (const list of lists) for (const result of list) if (!got.has(result.customId)) got.set(result.customId, result)
        const ran = cells.map((c) => c.batch).filter((b): b is Batch => b !== undefined)
        return roundRequests.map((r) =>
          got.get(r.customId) ??
            new BatchResultFailure({
              customId: r.customId,
              error: new ResultError({ code: ResultErrorCode.missing, message: `no result for this request in batches ${ran.map((b) => b.id).join(", ")}` })
            }))
      })

    // ---- rounds: the first submission, then the resubmittable failures of each round
    const order = prepared.map((r) => r.customId)
    const byId = new Map(prepared.map((r) => [r.customId, r]))
    const all = Effect.gen(function* () {
      const rounds: Array<ReadonlyArray<BatchResult>> = []
      let roundRequests: ReadonlyArray<BatchRequest> = prepared
      for (let round = 0; ; round++) {
        const results = yield* runRound(round, roundRequests)
        rounds.push(results)
        const again = BatchResubmit.selectResubmit(roundRequests.map((r) => r.customId), results, policy, round)
        if (again.length === 0) break
        yield* Effect.logInfo(`Submitting ${again.length} failed requests again (round ${round + 1} of at most ${policy.times}).`)
        roundRequests = again.map((id) => byId.get(id)!)
      }
      // a record from a run with more rounds (resubmit lowered since): nothing will follow its
      // later batches, so they are cancelled rather than left running unrecorded
      for (const batch of recordedRounds.slice(rounds.length).flat()) if (!batch.isComplete) yield* cancelQuietly(model, batch, retry)
      return BatchResubmit.mergeRounds(order, rounds)
    })

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
              const seen = cells.map((c) => c.batch)
              const unfinished = seen.find((b) => b !== undefined && !b.isComplete) ?? seen.find((b) => b !== undefined)
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

    // ---- merged: one result per request, in submission order (every round answers every id)
    const results = yield* finished
    yield* annotateResults(results)
    return results
  }).pipe(
    Effect.tapError(annotateError),
    Effect.withSpan("batch.run", { attributes: { [BatchAttributes.operationName]: "batch" } }),
    (self) => instrumented(self, options.instrument)
  )
}

// ---------------------------------------------------------------------------------------------
// usage and cost
// ---------------------------------------------------------------------------------------------

/** The summed token usage of results (`Batch.usage(results)`), from BatchUsage.ts. */
export { BatchUsage, usage } from "./BatchUsage.js"
/** The cost data and options (`Cost.cost` prices results), from Cost.ts. */
export { BatchCost, type CostOptions, ModelCost, ModelPrice, type ModelPriceInput, PricesUnavailableError } from "./Cost.js"

/** A run's results with their summed usage and, when asked for, their cost. */
export class BatchSummary extends Schema.Class<BatchSummary>("BatchSummary")({
  results: Schema.Array(BatchResult),
  usage: BatchUsageSchema,
  cost: Schema.optional(BatchCostSchema)
}) {}

/** Options of {@link runWithSummary}: those of {@link run}, and `cost`. */
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
