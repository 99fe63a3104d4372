/**
 * The single calls of the batch lifecycle, shared by its drivers (`Batch` and `Batch.run`): the
 * request list checked and planned, one create (uninterruptible, bounded, cancelled unless it
 * completed), a bounded cancel, the results of a complete batch as a stream (each submitted id
 * once), and the status checks on a schedule. The decisions they serve are in `plan.ts` and
 * `lifecycle.ts`.
 *
 * @since 0.2.0
 * @internal
 */
import { Chunk, Data, Duration, Effect, Either, Exit, Option, Schedule, Stream } from "effect"
import { type AiError, InvalidInputError, RequestTimeoutError } from "../../AiError.js"
import { type Completion, wakeUps } from "../../BatchCompletion.js"
import { Batch, BatchRequest, type BatchRequestInput, type BatchResult, type PollSchedule, unanswered } from "../../BatchData.js"
import type { Limits, Service as BatchModelService } from "../../BatchModel.js"
import * as Retry from "../../Retry.js"
import { uninterruptibleWithin, retryStream } from "./effect.js"
import { type ResubmitOptions, type ResubmitPolicy, resubmitPolicy } from "./lifecycle.js"
import { checkCustomIds, effectiveLimits, estimateTokens, type QueueLimits, queueLimitsOf, type SplitPlan } from "./plan.js"
import { annotateBatch, annotateError, BatchAttributes, modelAttributes, type ResultTally } from "./spans.js"

/**
 * Options every batch call takes.
 *
 * @since 0.1.0
 * @category options
 */
export interface CallOptions {
  /** Retry policy for transient faults (`false` for none); default `Retry.defaultPolicy`. */
  readonly retry?: Retry.Policy | false | undefined
  /**
   * `false` turns this call's spans off (nested ones included); `true` traces it with the global
   * tracer (`Telemetry.configure`) when the program provides none.
   */
  readonly instrument?: boolean | undefined
}

/**
 * Options of `Batch.create`.
 *
 * @since 0.1.0
 * @category options
 */
export interface CreateOptions extends CallOptions {
  /** Labels stored with the batch (OpenAI: at most 16 pairs, keys 64 chars, values 512). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** How long upload + create may take; the create cannot be interrupted otherwise (default 10 minutes). */
  readonly createTimeout?: Duration.DurationInput | undefined
}

/**
 * The poll interval when none is given.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_POLL_INTERVAL: Duration.DurationInput = "60 seconds"
const DEFAULT_CREATE_TIMEOUT: Duration.DurationInput = "10 minutes"

/**
 * The retry option as a policy.
 *
 * @since 0.2.0
 * @category utils
 */
export const policyOf = (retry: Retry.Policy | false | undefined): Retry.Policy =>
  retry === false ? Retry.none : retry ?? Retry.defaultPolicy

/**
 * The options of a batch call's client span.
 *
 * @since 0.2.0
 * @category utils
 */
export const spanOptions = (model: BatchModelService, attributes?: Record<string, unknown>) => ({
  kind: "client" as const,
  attributes: { ...modelAttributes(model), ...attributes }
})

/**
 * The plain-object inputs as requests (only their shape is checked).
 *
 * @since 0.2.0
 * @category utils
 */
export const normalise = (
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequestInput>
): Either.Either<ReadonlyArray<BatchRequest>, InvalidInputError> =>
  Either.try({
    try: () => requests.map(BatchRequest.from),
    catch: (e) => new InvalidInputError({ provider: model.provider, reason: `a batch request is malformed: ${e instanceof Error ? e.message : String(e)}` })
  })

/**
 * Checks a request list: any, unique ids, then the provider's rules.
 *
 * @since 0.2.0
 * @category utils
 */
export const checkList = (
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequest>,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<void, InvalidInputError> =>
  Effect.zipRight(checkCustomIds(requests, model.provider), model.validate(requests, { metadata }))

/**
 * The options of a run that shape its plan.
 *
 * @since 0.2.0
 * @category options
 */
export interface PlanOptions {
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly maxRequestsPerBatch?: number | undefined
  readonly maxBytesPerBatch?: number | undefined
  readonly maxConcurrentBatches?: number | undefined
  readonly maxEnqueuedTokens?: number | undefined
  readonly resubmit?: ResubmitOptions | undefined
}

/**
 * A run's plan: how its lists split into parts, its queue budget and its resubmission rounds.
 *
 * @since 0.2.0
 * @category models
 */
export interface RunPlan {
  readonly split: SplitPlan<BatchRequest>
  readonly queueLimits: QueueLimits
  readonly policy: ResubmitPolicy
  readonly tokensOf: (request: BatchRequest) => number
}

/**
 * The plan of a run, the same for every driver: the list checked, then the options (limits,
 * queue budget, resubmission), before any network call. `tokensOf` defaults to
 * `estimateTokens` of each request's encoded size.
 *
 * @since 0.2.0
 * @category utils
 */
export const planRun = (
  model: BatchModelService,
  requests: ReadonlyArray<BatchRequest>,
  options: PlanOptions,
  tokensOf?: ((request: BatchRequest) => number) | undefined
): Effect.Effect<RunPlan, InvalidInputError> =>
  Effect.gen(function* () {
    yield* checkList(model, requests, options.metadata)
    const limits: Limits = yield* effectiveLimits(model.provider, model.limits, options)
    const queueLimits = yield* queueLimitsOf(model.provider, options)
    const policy = yield* resubmitPolicy(model.provider, options.resubmit)
    const tokens = tokensOf ?? ((r: BatchRequest) => estimateTokens(r, model.encodedSize(r)))
    return {
      split: { provider: model.provider, limits, sizeOf: model.encodedSize, bytesOf: model.encodedBytes, tokensOf: tokens, maxEnqueuedTokens: queueLimits.maxEnqueuedTokens },
      queueLimits,
      policy,
      tokensOf: tokens
    }
  })

/**
 * One create attempt, uninterruptible but bounded, so its batch id is always learnt.
 *
 * @since 0.2.0
 * @category utils
 */
export const submit = (
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
 *
 * @since 0.2.0
 * @category utils
 */
export const withCreated = <X, A, E, R>(
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

/**
 * Cancels with bounded retries; a cancel that keeps failing is logged, never raised.
 *
 * @since 0.2.0
 * @category utils
 */
export const cancelQuietly = (model: BatchModelService, batch: Batch, retry: Retry.Policy): Effect.Effect<void> =>
  Retry.retry(model.cancel(batch), retry).pipe(
    Effect.tap(annotateBatch),
    Effect.tapError(annotateError),
    Effect.withSpan("batch.cancel", spanOptions(model, { [BatchAttributes.id]: batch.id })),
    Effect.catchAll((error) => Effect.logWarning(`Could not cancel batch ${batch.id}: ${error.message}`)),
    Effect.asVoid
  )

/**
 * The results of a complete batch as a stream (memory stays bounded however large the batch):
 * the provider's lines in provider order, each custom id once (the first line wins), lines for
 * ids the batch did not submit dropped, then a failure for every submitted id the provider left
 * out: code "expired", "cancelled" or "missing" by the batch's status. Never a success the
 * provider did not return. Transient download faults re-read the file and skip ids already
 * emitted. With only an id, the submitted ids are unknown and nothing is added. `tally`, when
 * given, counts the results delivered and the failures among them.
 *
 * @since 0.2.0
 * @category utils
 */
export const resultsOf = (
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
 * A poll schedule option as a Schedule: a fixed interval, the Schedule given, or every 60 seconds.
 *
 * @since 0.2.0
 * @category utils
 */
export const toSchedule = (schedule: PollSchedule | undefined): Schedule.Schedule<unknown, Batch> =>
  schedule === undefined
    ? Schedule.spaced(DEFAULT_POLL_INTERVAL)
    : Schedule.isSchedule(schedule)
      ? (schedule as Schedule.Schedule<unknown, Batch>)
      : Schedule.spaced(schedule as Duration.DurationInput)

/**
 * The batch's snapshots: one status check right away (none for a snapshot already final), then
 * one per step of the schedule (or per completion event naming it), until a final status or
 * the schedule's end. Transient faults are retried; each check is a `batch.poll` span.
 *
 * @since 0.2.0
 * @category streams
 */
export const watchWith = (
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

