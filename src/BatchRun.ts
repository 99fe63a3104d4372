/**
 * `Batch.run`, the in-process driver of the batch lifecycle: it takes the decisions of the
 * lifecycle (the plan, admission under the queue limits, what each status means, resubmission
 * rounds, merge and order of results) and carries them out in one process, with a fiber per
 * provider batch, Schedules for polling and backoff, a create that is cancelled unless it
 * completed, resume records and webhook completion. Use it as `Batch.run`.
 *
 * @since 0.2.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Data, Duration, Effect, Exit, Option, Ref, Schedule, Stream, type Tracer } from "effect"
import { type AiError, type BatchError, BatchTimeoutError } from "./AiError.js"
import type { Completion } from "./BatchCompletion.js"
import type { Batch, BatchRequest, BatchRequestInput, BatchResult } from "./BatchData.js"
import * as BatchModel from "./BatchModel.js"
import {
  cancelQuietly,
  type CreateOptions,
  normalise,
  planRun,
  policyOf,
  resultsOf,
  spanOptions,
  submit,
  watchWith,
  withCreated
} from "./internal/batch/calls.js"
import { type Gate, makeGate } from "./internal/batch/gate.js"
import * as Lifecycle from "./internal/batch/lifecycle.js"
import type { ResubmitOptions } from "./internal/batch/lifecycle.js"
import { estimateTokens as estimate, partTokens, parts } from "./internal/batch/plan.js"
import { loadRecord, makeRecorder, otherRequests, type Store } from "./internal/batch/resume.js"
import { annotateError, annotateResults, BatchAttributes, instrumented, modelAttributes } from "./internal/batch/spans.js"

/**
 * Options of {@link run}.
 *
 * @since 0.1.0
 * @category options
 */
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
   * Learn of completion from events too (`Batch.webhook`): an event for one of the run's batches
   * checks its status at once; polling goes on at the webhook's fallback interval.
   */
  readonly completion?: Completion | undefined
}


/**
 * The result codes `resubmit` submits again by default: "expired" / "batch_expired", rate
 * limits ("rate_limit_exceeded", "rate_limit_error", "http_429") and server faults
 * ("server_error", "internal_server_error", "api_error", "overloaded_error", "http_5xx").
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultResubmitCodes: ReadonlyArray<string> = Lifecycle.defaultResubmitCodes

/**
 * The default token estimate of a request for `maxEnqueuedTokens`: the bytes of its encoded
 * upload line (`BatchModel.encodedSize`) divided by 4, rounded up, plus its `settings.maxTokens`
 * (0 when unset; a model-level default is not seen, pass `estimateTokens` then).
 *
 * @example
 * const tokens = Batch.estimateTokens(request, model.encodedSize(request))
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens: (request: BatchRequest, encodedBytes: number) => number = estimate

/**
 * The default `queueBackoff`: exponential from 1 minute, doubling, each wait at most 10 minutes,
 * 30 times (about four and a half hours of a queue other work keeps full).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultQueueBackoff: Schedule.Schedule<unknown, Batch> = Schedule.fromDelays(
  Lifecycle.defaultBackoffWaits[0]!,
  ...Lifecycle.defaultBackoffWaits.slice(1)
)

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

/** The latest snapshot of one provider batch of the run (for the timeout, cancellation and missing ids). */
interface Cell {
  batch: Batch | undefined
}

/**
 * What another driver shares with a run it starts ({@link runWith}): the admission gate of
 * several runs (so queue limits hold across them), and what it learns as the run goes.
 *
 * @since 0.2.0
 * @category models
 * @internal
 */
export interface RunHooks {
  /** Admits the parts of this run and of every other run given the same gate. */
  readonly gate?: Gate | undefined
  /** The run's `batch.run` span, once it has started. */
  readonly onSpan?: ((span: Tracer.Span) => void) | undefined
  /** A provider batch of the run was created. */
  readonly onCreated?: ((batch: Batch) => void) | undefined
  /** A provider batch of the run is over (its results read, failed, or cancelled). */
  readonly onEnded?: ((batch: Batch) => void) | undefined
}

/**
 * Runs requests through the provider's batch API and returns one result per request, in
 * submission order (pydantic-ai's `model_request_batch`).
 *
 * 1. Validates before any network call (InvalidInputError): an empty list, duplicate custom ids,
 *    the provider's rules. One request is fine.
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
 *
 * @since 0.1.0
 * @category programs
 */
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options: RunOptions & { readonly resumeKey: string }
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel.BatchModel | KeyValueStore.KeyValueStore>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options?: RunOptions & { readonly resumeKey?: undefined }
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError, BatchModel.BatchModel>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options?: RunOptions
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel.BatchModel | KeyValueStore.KeyValueStore>
export function run(
  requests: ReadonlyArray<BatchRequestInput>,
  options: RunOptions = {}
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, BatchModel.BatchModel | KeyValueStore.KeyValueStore> {
  return Effect.flatMap(BatchModel.BatchModel, (model) => runWith(model, requests, options, {}))
}

/**
 * {@link run} on a given model, sharing `hooks` with the driver that starts it.
 *
 * @since 0.2.0
 * @category programs
 * @internal
 */
export const runWith = (
  model: BatchModel.Service,
  requests: ReadonlyArray<BatchRequestInput>,
  options: RunOptions,
  hooks: RunHooks
): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError, KeyValueStore.KeyValueStore> =>
  Effect.gen(function* () {
    if (hooks.onSpan !== undefined) {
      const span = yield* Effect.option(Effect.currentSpan)
      if (Option.isSome(span)) hooks.onSpan(span.value)
    }
    const started = yield* Clock.currentTimeMillis
    const retry = policyOf(options.retry)

    // ---- plan (the lifecycle's, as every driver makes it), and what a previous run with this key submitted
    const prepared = yield* normalise(model, requests)
    const plan = yield* planRun(model, prepared, options, options.estimateTokens)
    const { policy, queueLimits } = plan
    // the store is looked up only with a resumeKey, so a plain run needs no KeyValueStore
    const store: Store | undefined =
      options.resumeKey === undefined ? undefined : { kv: yield* KeyValueStore.KeyValueStore, key: options.resumeKey, provider: model.provider }
    const recordedRounds = store === undefined ? [] : yield* loadRecord(store, prepared)
    const record = store === undefined ? undefined : yield* makeRecorder(store, recordedRounds)

    // ---- shared state: a definitive end (timeout, failed batch) cancels even resumable batches
    const abandoned = yield* Ref.make(false)
    const gate = hooks.gate ?? makeGate(queueLimits)
    const cells: Array<Cell> = []

    // ---- one provider batch: create (or resume), poll, collect; cancel unless completed
    const acquire = (round: number, unit: Unit, cell: Cell, replacing: string | undefined): Effect.Effect<Acquired, AiError> =>
      unit._tag === "Resumed"
        ? Effect.succeed({ batch: unit.batch, recorded: true, recordFailure: undefined })
        : submit(model, unit.requests, options).pipe(
            Effect.tap((batch) => Effect.sync(() => {
              cell.batch = batch
              hooks.onCreated?.(batch)
            })),
            Effect.flatMap((batch) =>
              record === undefined
                ? Effect.succeed({ batch, recorded: false, recordFailure: undefined })
                : Effect.map(Effect.exit(record(round, batch, replacing)), (exit) => ({
                    batch,
                    recorded: Exit.isSuccess(exit),
                    recordFailure: Exit.isFailure(exit) ? Effect.failCause(exit.cause) : undefined
                  })))
          )

    const follow = (cell: Cell, batch: Batch): Effect.Effect<Followed, AiError | BatchError> =>
      Effect.gen(function* () {
        const last = yield* watchWith(model, batch, options.schedule ?? options.completion?.fallback ?? options.pollInterval, retry, options.completion).pipe(
          Stream.tap((b) => Effect.sync(() => { cell.batch = b })),
          Stream.runLast
        )
        const final = Option.getOrElse(last, () => batch)
        switch (Lifecycle.endingOf(final)) {
          case "running": {
            // polling ended before the batch was final: a timeout
            yield* Ref.set(abandoned, true)
            const now = yield* Clock.currentTimeMillis
            return yield* new BatchTimeoutError({ batchId: final.id, provider: model.provider, timeout: Duration.millis(now - started) })
          }
          case "queueFull":
            return { _tag: "QueueFull", batch: final } as const
          case "failed":
            yield* Ref.set(abandoned, true)
            return yield* Lifecycle.failedError(final, model.provider)
          case "results": {
            const collected = yield* Stream.runCollect(resultsOf(model, final, retry)).pipe(
              Effect.tap(annotateResults),
              Effect.withSpan("batch.results", spanOptions(model, { [BatchAttributes.id]: final.id }))
            )
            return { _tag: "Results", results: Array.from(collected) } as const
          }
        }
      })

    const release = (cell: Cell, acquired: Acquired, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (Exit.isSuccess(exit)) return
        const current = cell.batch ?? acquired.batch
        if (current.isComplete) return
        if (acquired.recorded && !(yield* Ref.get(abandoned))) {
          return yield* Effect.logInfo(`Batch ${current.id} left running; run again with resumeKey ${JSON.stringify(options.resumeKey)} to resume it.`)
        }
        yield* cancelQuietly(model, current, retry)
      })

    /** One step of the queue backoff; when the schedule ends, the queue-refused batch fails the run. */
    const backoffStep = (driver: Schedule.ScheduleDriver<unknown, Batch>, failed: Batch): Effect.Effect<void, BatchError> =>
      driver.next(failed).pipe(
        Effect.asVoid,
        Effect.catchAll(() => Effect.zipRight(Ref.set(abandoned, true), Effect.fail(Lifecycle.failedError(failed, model.provider))))
      )

    /** A part of a round: admitted under the budget, submitted again while the provider's queue is full. */
    const runUnit = (round: number, unit: Unit, requestsOf: ReadonlyArray<BatchRequest>): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
      Effect.suspend(() => {
        const cell: Cell = { batch: unit._tag === "Resumed" ? unit.batch : undefined }
        cells.push(cell)
        const attempt = (current: Unit, replacing: string | undefined, driver: Schedule.ScheduleDriver<unknown, Batch> | undefined): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
          withCreated(
            acquire(round, current, cell, replacing),
            (acquired): Effect.Effect<Followed, AiError | BatchError | PlatformError> => acquired.recordFailure ?? follow(cell, acquired.batch),
            (acquired, exit) =>
              hooks.onEnded === undefined
                ? release(cell, acquired, exit)
                : Effect.ensuring(release(cell, acquired, exit), Effect.sync(() => hooks.onEnded!(cell.batch ?? acquired.batch))),
            retry
          ).pipe(Effect.flatMap((followed) => {
            if (followed._tag === "Results") return Effect.succeed(followed.results)
            // the provider's queue was full: the batch failed before anything ran (nothing billed)
            // and is final, so submitting the same requests again never leaves two live batches
            const failed = followed.batch
            return Effect.gen(function* () {
              const schedule = driver ?? (yield* Schedule.driver(options.queueBackoff ?? defaultQueueBackoff))
              yield* Effect.logInfo(`Batch ${failed.id} failed with ${Lifecycle.TOKEN_LIMIT_EXCEEDED}; submitting its ${requestsOf.length} requests again when the queue has room.`)
              yield* gate.stall(backoffStep(schedule, failed))
              return yield* attempt({ _tag: "New", requests: requestsOf }, failed.id, schedule)
            })
          }))
        return gate.admitted(partTokens(requestsOf, plan.tokensOf, queueLimits.maxEnqueuedTokens), attempt(unit, undefined, undefined))
      })

    /** One round: the recorded batches of this round resumed, the rest split and submitted. */
    const runRound = (round: number, roundRequests: ReadonlyArray<BatchRequest>): Effect.Effect<ReadonlyArray<BatchResult>, AiError | BatchError | PlatformError> =>
      Effect.gen(function* () {
        const recorded = recordedRounds[round] ?? []
        const byId = new Map(roundRequests.map((r) => [r.customId, r]))
        for (const batch of recorded) if (batch.customIds.some((id) => !byId.has(id))) return yield* otherRequests(store!, batch)
        const covered = new Set(recorded.flatMap((b) => b.customIds))
        // the round's list itself when nothing of it was submitted before: the model may keep
        // what validate encoded for that list (BatchModel.encodedBytes)
        const fresh = covered.size === 0 ? roundRequests : roundRequests.filter((r) => !covered.has(r.customId))
        const chunks = yield* parts(plan.split, fresh)
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
        let ran: ReadonlyArray<string> | undefined
        return Lifecycle.inSubmissionOrder(roundRequests.map((r) => r.customId), lists, (id) =>
          Lifecycle.missingResult(id, ran ??= cells.flatMap((c) => (c.batch === undefined ? [] : [c.batch.id]))))
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
        const again = Lifecycle.selectResubmit(roundRequests.map((r) => r.customId), results, policy, round)
        if (again.length === 0) break
        yield* Effect.logInfo(`Submitting ${again.length} failed requests again (round ${round + 1} of at most ${policy.times}).`)
        roundRequests = again.map((id) => byId.get(id)!)
      }
      // a record from a run with more rounds (resubmit lowered since): nothing will follow its
      // later batches, so they are cancelled rather than left running unrecorded
      for (const batch of recordedRounds.slice(rounds.length).flat()) if (!batch.isComplete) yield* cancelQuietly(model, batch, retry)
      return Lifecycle.mergeRounds(order, rounds)
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
