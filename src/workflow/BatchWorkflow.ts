/**
 * A batch run as a durable workflow (`@effect/workflow`): it survives restarts, deploys and a
 * move to another machine, because every step that talks to the provider is an activity whose
 * result is journaled, and the waits between status checks are `DurableClock` sleeps.
 *
 * 1. validate (no activity: bad input fails before anything is journaled or sent),
 * 2. split by the provider's limits (as `Batch.run` does, `maxEnqueuedTokens` included),
 * 3. create each provider batch in an activity that first looks the batch up by a label holding
 *    the workflow's execution id, so a crash between the create and the journal write never
 *    pays twice; with `maxConcurrentBatches` / `maxEnqueuedTokens` only the parts that fit the
 *    budget are created, the rest as earlier ones finish,
 * 4. check the status of the unfinished batches in one activity per round, with a durable sleep
 *    of `pollInterval` between rounds; a batch the provider failed with `token_limit_exceeded`
 *    (its queue was full, nothing ran) becomes a new part, created once another part finishes
 *    or after a durable `queueBackoff` wait when none is live,
 * 5. with `resubmit`, once a round's batches end, read their results in an activity that
 *    journals only the custom ids to submit again, and submit those as the next round,
 * 6. finish with the provider batch references (by round) and counts. Results are not journaled
 *    (a batch may hold 50,000 responses): read them with {@link results}, a stream over
 *    `Batch.results` that merges the rounds.
 *
 * Interrupting the workflow (`BatchWorkflow.interrupt`, i.e. `Workflow.interrupt`) cancels the
 * remote batches that are not final (compensation); so does a timeout or a failed batch. A
 * runner that stops (deploy, shutdown, crash) cancels nothing: the next runner resumes.
 *
 * The engine is the user's choice: `WorkflowEngine.layerMemory` for tests, or the cluster
 * engine of `effect-llm-direct/workflow/sqlite` (one machine) or `effect-llm-direct/workflow/postgres`
 * (several machines).
 *
 * @example
 * const result = yield* BatchWorkflow.run({ runId: "nightly-2026-12-03", requests, pollInterval: "5 minutes" })
 * yield* BatchWorkflow.results(result).pipe(Stream.runForEach((r) => Console.log(r.customId, r.isSuccessful)))
 * // program: Effect.provide(BatchWorkflow.layer), then an engine layer and a BatchModel layer
 *
 * @since 0.1.0
 */
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as Workflow from "@effect/workflow/Workflow"
import { type WorkflowEngine, WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import { Cause, Chunk, Clock, Duration, Effect, Either, Exit, Layer, Option, Schedule, Schema, Stream } from "effect"
import { AiError, type BatchError, BatchFailedError, BatchTimeoutError, InvalidInputError, isRetryable } from "../AiError.js"
import * as Batch from "../Batch.js"
import { BatchModel, type Service as BatchModelService } from "../BatchModel.js"
import { checkCustomIds, effectiveLimits, split } from "../internal/batchPlan.js"
import { admits, defaultBackoffWaits, estimateTokens, queueLimitsOf, isQueueFull, type QueueLimits, splitByTokens } from "../internal/batchQueue.js"
import { isResubmittable, mergeRounds, type ResubmitPolicy, resubmitPolicy, selectResubmit, withAttempts } from "../internal/batchResubmit.js"
import * as Retry from "../Retry.js"

// ---------------------------------------------------------------------------------------------
// data
// ---------------------------------------------------------------------------------------------

/**
 * The metadata key that labels every provider batch a workflow creates, with the value
 * `<executionId>/<part>`: the lookup before a create finds a batch a crashed attempt created.
 */
export const runLabelKey = "effect_llm_direct_run"

/** What a run takes: its id (the idempotency key) and the requests, plus the polling plan. */
export const RunPayload = Schema.Struct({
  /** The run's id: the same id is the same workflow execution (started once, joined after). */
  runId: Schema.String,
  requests: Schema.Array(Batch.BatchRequest),
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
/** What a run takes, decoded. */
export type RunPayload = typeof RunPayload.Type

/**
 * A finished run: the provider batches (final snapshots, with their custom ids) and counts.
 * Read the results with {@link results}.
 */
export class RunResult extends Schema.Class<RunResult>("effect-llm-direct/BatchWorkflow/RunResult")({
  /** Every batch that ran, round by round (the first submission, then each `resubmit` round), each round in submission order. */
  batches: Schema.Array(Batch.Batch),
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
  refused: Schema.optionalWith(Schema.Array(Batch.Batch), { default: () => [] })
}) {
  /** The batches by round: the first submission, then each `resubmit` round. */
  get rounds(): ReadonlyArray<ReadonlyArray<Batch.Batch>> {
    if (this.roundSizes.length <= 1) return [this.batches]
    const rounds: Array<ReadonlyArray<Batch.Batch>> = []
    let at = 0
    for (const size of this.roundSizes) {
      rounds.push(this.batches.slice(at, at + size))
      at += size
    }
    return rounds
  }
}

/** How a run fails: an AiError a retry could not fix, a failed batch, or the timeout. */
export const RunError = Schema.Union(AiError, BatchFailedError, BatchTimeoutError)
/** How a run fails. */
export type RunError = typeof RunError.Type

/** The workflow. Its execution id is derived from `runId`. */
export const BatchRun = Workflow.make({
  name: "effect-llm-direct/BatchRun",
  payload: RunPayload,
  success: RunResult,
  error: RunError,
  idempotencyKey: (payload) => payload.runId
})

// ---------------------------------------------------------------------------------------------
// the workflow's steps
// ---------------------------------------------------------------------------------------------

// a provider's clock may run behind ours: the lookup reads batches created this long before the run began
const LOOKUP_SLACK = Duration.minutes(10)

/**
 * A part of the run: one provider batch's requests, its label, and the batch once created. A
 * part that submits the requests of a queue-refused batch again carries `refused` until it is
 * created.
 */
interface Part {
  readonly index: number
  readonly requests: ReadonlyArray<Batch.BatchRequest>
  /** The estimated tokens of its requests (0 without `maxEnqueuedTokens`). */
  readonly tokens: number
  readonly label: string
  batch: Batch.Batch | undefined
  /** Its batch is final and was counted (a finish, or a refusal that made the next part). */
  settled: boolean
  /** For a part resubmitting a refused batch: that batch, and the finishes counted when it was refused. */
  readonly refused: { readonly batch: Batch.Batch; readonly finishesBefore: number } | undefined
  /** Its `queueBackoff` wait is over (or it need not wait: another part finished). */
  ready: boolean
  /** `queueBackoff` waits its chain of refused batches has used. */
  backoffs: number
}

/** Created and not final. */
const isLive = (part: Part): boolean => part.batch !== undefined && !part.batch.isComplete
/** Resubmitting a refused batch, not created yet: it keeps the refused batch's place in the budget. */
const isRequeued = (part: Part): boolean => part.batch === undefined && part.refused !== undefined

/**
 * Which parts to create in this round. A part resubmitting a queue-refused batch keeps that
 * batch's place in the budget and is created once another part has finished since the refusal
 * (`finishes` counts them) or its `queueBackoff` wait is over. A new part is admitted first
 * come first served while it fits the budget of live batches and enqueued tokens (`admits`, as
 * `Batch.run`'s gate); the rest wait for later rounds, as earlier batches finish. Pure, over
 * journaled state, so a replay admits the same parts in the same order (activity names are per
 * part index).
 */
const admit = (parts: ReadonlyArray<Part>, limits: QueueLimits, finishes: number): ReadonlyArray<Part> => {
  const requeued = parts.filter((p) => isRequeued(p) && (p.ready || finishes > p.refused!.finishesBefore))
  const held = parts.filter((p) => isLive(p) || isRequeued(p))
  let running = held.length
  let enqueuedTokens = held.reduce((sum, p) => sum + p.tokens, 0)
  const fresh: Array<Part> = []
  for (const part of parts) {
    if (part.batch !== undefined || part.refused !== undefined) continue
    if (!admits({ running, enqueuedTokens }, part.tokens, limits)) break
    running += 1
    enqueuedTokens += part.tokens
    fresh.push(part)
  }
  return [...requeued, ...fresh]
}

/** Whether the provider keeps a create's metadata (OpenAI does; Anthropic refuses it in validate). */
const keepsLabels = (
  model: BatchModelService,
  requests: ReadonlyArray<Batch.BatchRequest>,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<boolean> =>
  Effect.isSuccess(model.validate(requests, { metadata: { ...metadata, [runLabelKey]: "probe" } }))

const labelOf = (batch: Batch.Batch): unknown => {
  const metadata = batch.details.metadata
  return typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>)[runLabelKey] : undefined
}

/** The batch a previous attempt of this create made, found by its label among the recent batches. */
const findLabelled = (label: string, since: number): Effect.Effect<Option.Option<Batch.Batch>, AiError, BatchModel> =>
  Batch.list({ instrument: false }).pipe(
    Stream.takeWhile((b) => b.createdAt.getTime() >= since - Duration.toMillis(LOOKUP_SLACK)),
    Stream.filter((b) => labelOf(b) === label),
    Stream.runHead
  )

/** The create activity of one part: look up by label first, create only if nothing is found. */
const createPart = (part: Part, options: { readonly since: number; readonly labelled: boolean; readonly metadata: Readonly<Record<string, string>> | undefined }) =>
  Activity.make({
    name: `create/${part.index}`,
    success: Batch.Batch,
    error: AiError,
    execute: Retry.retry(
      Effect.gen(function* () {
        if (options.labelled) {
          const found = yield* findLabelled(part.label, options.since)
          if (Option.isSome(found)) {
            yield* Effect.logInfo(`Batch ${found.value.id} found by its label ${part.label}; not creating it again.`)
            return found.value.withCustomIds(part.requests.map((r) => r.customId))
          }
        }
        const model = yield* BatchModel
        const metadata = options.labelled ? { ...options.metadata, [runLabelKey]: part.label } : options.metadata
        // uninterruptible, and never cancelled here: a runner that stops mid-create leaves the
        // batch to the next attempt's lookup (Batch.create would cancel it on interruption)
        return yield* Effect.uninterruptible(model.create(part.requests, { metadata }))
      }),
      // with labels any transient fault is retried, since the lookup runs again first; without
      // them only a rate-limited create, after which nothing exists
      options.labelled ? Retry.defaultPolicy : Retry.defaultPolicy.pipe(Schedule.whileInput((e: AiError | BatchError) => e._tag === "RateLimitError"))
    )
  })

/** Without the custom ids: a status snapshot is journaled every round, the ids once at create. */
const slim = (batch: Batch.Batch): Batch.Batch => (batch.customIds.length === 0 ? batch : batch.withCustomIds([]))

/** One status round over the unfinished parts. */
const statusRound = (round: number, parts: ReadonlyArray<Part>) =>
  Activity.make({
    name: `status/${round}`,
    success: Schema.Array(Batch.Batch),
    error: AiError,
    execute: Effect.forEach(parts, (part) => Effect.map(Batch.status(part.batch!.id), slim), { concurrency: "unbounded" })
  })

/** Cancels a batch unless it is final; a cancel that keeps failing is logged, never raised. */
const cancelUnlessFinal = (batch: Batch.Batch): Effect.Effect<void, never, BatchModel> =>
  Batch.status(batch.id).pipe(
    Effect.flatMap((current) => (current.isComplete ? Effect.void : Effect.asVoid(Batch.cancel(current)))),
    Effect.catchAll((error) => Effect.logWarning(`Could not cancel batch ${batch.id}: ${error.message}`))
  )

/**
 * Compensation for a created batch: cancelled (unless final) when the run ends in failure or is
 * interrupted through `Workflow.interrupt`, but not when its runner merely stops (a deploy, a
 * shutdown): `Workflow.withCompensation` would run then too, as the engine closes the
 * workflow's scope with an interruption either way, and a deploy would cancel every batch.
 */
const cancelledOnEnd = <E, R>(
  instance: WorkflowInstance["Type"],
  create: Effect.Effect<Batch.Batch, E, R>
): Effect.Effect<Batch.Batch, E, R | BatchModel | WorkflowInstance> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.tap(restore(create), (batch) =>
      Workflow.addFinalizer((exit) =>
        Exit.isSuccess(exit) || (Cause.isInterruptedOnly(exit.cause) && !instance.interrupted) ? Effect.void : cancelUnlessFinal(batch)
      ))
  )

const beginActivity = Activity.make({ name: "begin", success: Schema.Number, execute: Clock.currentTimeMillis })

/**
 * The ids of a finished round to submit again (per the policy's codes), and how many of the
 * round's results failed. Only the ids are journaled, never a response: the results are read
 * as a stream, keeping only the resubmittable failures.
 */
const resubmitRound = (
  round: number,
  batches: ReadonlyArray<Batch.Batch>,
  order: ReadonlyArray<string>,
  policy: ResubmitPolicy
) =>
  Activity.make({
    name: `resubmit/${round}`,
    success: Schema.Struct({ customIds: Schema.Array(Schema.String), failed: Schema.Number }),
    error: AiError,
    execute: Stream.fromIterable(batches).pipe(
      Stream.flatMap((batch) => Batch.results(batch, { instrument: false })),
      Stream.runFold({ again: [] as Array<Batch.BatchResult>, failed: 0 }, (acc, result) => {
        if (!result.isSuccessful) acc.failed += 1
        if (isResubmittable(result, policy)) acc.again.push(result)
        return acc
      }),
      Effect.map(({ again, failed }) => ({ customIds: selectResubmit(order, again, policy, round), failed }))
    )
  })

/**
 * The default `queueBackoff` of a workflow run: `Batch.defaultQueueBackoff` as a list of waits
 * (1, 2, 4, 8 minutes, then 10 minutes, 30 waits in all), since a Schedule cannot be journaled.
 */
export const defaultQueueBackoff: ReadonlyArray<Duration.Duration> = defaultBackoffWaits

/** The plan of a run that both the client (before anything is journaled) and the workflow body derive from its payload. */
interface Plan {
  readonly limits: QueueLimits
  readonly policy: ResubmitPolicy
  readonly tokensOf: (request: Batch.BatchRequest) => number
  /** Splits a round's requests: by the provider's limits, then by `maxEnqueuedTokens`. */
  readonly split: (requests: ReadonlyArray<Batch.BatchRequest>) => Effect.Effect<ReadonlyArray<ReadonlyArray<Batch.BatchRequest>>, InvalidInputError>
}

const planOf = (
  model: BatchModelService,
  payload: RunPayload,
  estimate: ((request: Batch.BatchRequest) => number) | undefined
): Effect.Effect<Plan, InvalidInputError> =>
  Effect.gen(function* () {
    yield* checkCustomIds(payload.requests, model.provider)
    yield* model.validate(payload.requests, { metadata: payload.metadata })
    const batchLimits = yield* effectiveLimits(model.provider, model.limits, payload)
    const limits = yield* queueLimitsOf(model.provider, payload)
    const policy = yield* resubmitPolicy(model.provider, payload.resubmit)
    const journaled = payload.tokens === undefined ? undefined : new Map(payload.requests.map((r, i) => [r.customId, payload.tokens![i]!]))
    const tokensOf = estimate ??
      (journaled !== undefined ? (r: Batch.BatchRequest) => journaled.get(r.customId)! : (r: Batch.BatchRequest) => estimateTokens(r, model.encodedSize(r)))
    for (const wait of payload.queueBackoff ?? []) {
      if (!Duration.isFinite(wait)) {
        return yield* new InvalidInputError({ provider: model.provider, reason: "queueBackoff's waits must be finite durations." })
      }
    }
    return {
      limits,
      policy,
      tokensOf,
      split: (requests) =>
        Effect.flatMap(split(model.provider, requests, batchLimits, model.encodedSize, model.encodedBytes), (chunks) =>
          splitByTokens(model.provider, chunks, tokensOf, limits.maxEnqueuedTokens))
    }
  })

/** The workflow's body: the steps above, run by the engine (and replayed after a restart). */
const execute = (payload: RunPayload, executionId: string) =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    // ---- validate and split: pure, so a replay gets the same parts
    const plan = yield* planOf(model, payload, undefined)
    const chunks = yield* plan.split(payload.requests)
    const labelled = yield* keepsLabels(model, chunks[0]!, payload.metadata)
    if (!labelled) {
      yield* Effect.logWarning(
        `${model.provider} keeps no batch metadata: a crash between a create and its journal write could create that batch again.`
      )
    }
    let nextIndex = 0
    const partOf = (requests: ReadonlyArray<Batch.BatchRequest>, refused?: Part["refused"], backoffs = 0): Part => {
      const index = nextIndex++
      const tokens = plan.limits.maxEnqueuedTokens === Infinity ? 0 : requests.reduce((sum, r) => sum + plan.tokensOf(r), 0)
      return { index, requests, tokens, label: `${executionId}/${index}`, batch: undefined, settled: false, refused, ready: false, backoffs }
    }
    // the current round's parts, one per slot in submission order; a refused part's slot takes the part resubmitting it
    let parts: Array<Part> = chunks.map((requests) => partOf(requests))
    const byId = new Map(payload.requests.map((r) => [r.customId, r]))
    const backoff = payload.queueBackoff ?? defaultQueueBackoff

    const instance = yield* WorkflowInstance
    const since = yield* beginActivity
    const interval = payload.pollInterval
    const timeout = payload.timeout === undefined ? Infinity : Duration.toMillis(payload.timeout)
    const done: Array<ReadonlyArray<Batch.Batch>> = []
    const refused: Array<Batch.Batch> = []
    let finishes = 0
    let failedCount = 0 // requests whose last attempt failed, as each ended round is counted
    let slept = 0

    for (let round = 0, poll = 0; ; poll++) {
      // ---- create what is admitted; each created batch is cancelled if the run fails or is interrupted
      for (const part of admit(parts, plan.limits, finishes)) {
        part.batch = yield* cancelledOnEnd(instance, createPart(part, { since, labelled, metadata: payload.metadata }))
      }
      // ---- one status round over the unfinished batches
      const open = parts.filter(isLive)
      const polled = open.length === 0 ? Either.right([]) : yield* Effect.either(statusRound(poll, open))
      if (Either.isLeft(polled)) {
        // an outage outlasting the retries costs a round, not a run that may have hours to go
        if (!isRetryable(polled.left)) return yield* polled.left
        yield* Effect.logWarning(`Status round ${poll} failed (${polled.left.message}); checking again after the next sleep.`)
      } else {
        open.forEach((part, i) => {
          part.batch = polled.right[i]!.withCustomIds(part.requests.map((r) => r.customId))
        })
      }
      // ---- the batches that ended: a full provider queue submits the part again, another failure ends the run
      const finishesBefore = finishes
      for (const [slot, part] of parts.entries()) {
        if (part.settled || part.batch === undefined || !part.batch.isComplete) continue
        part.settled = true
        if (isQueueFull(part.batch)) {
          // nothing ran, nothing is billed, and the batch is final: no two live batches for the same requests
          yield* Effect.logInfo(`Batch ${part.batch.id} failed with token_limit_exceeded; submitting its ${part.requests.length} requests again when the queue has room.`)
          refused.push(slim(part.batch))
          parts[slot] = partOf(part.requests, { batch: part.batch, finishesBefore }, part.backoffs)
        } else if (part.batch.status === "failed") {
          return yield* new BatchFailedError({ batchId: part.batch.id, provider: model.provider, errors: part.batch.errors })
        } else {
          finishes += 1
        }
      }
      // ---- a round ended: read it for resubmission, or finish
      if (parts.every((p) => p.settled)) {
        const batches = parts.map((p) => p.batch!)
        done.push(batches)
        if (round >= plan.policy.times) {
          // the last round's results are not read here: the provider's counts
          failedCount += batches.reduce((n, b) => n + b.failedCount, 0)
          break
        }
        const order = parts.flatMap((p) => p.requests.map((r) => r.customId))
        const again = yield* resubmitRound(round, batches, order, plan.policy)
        failedCount += again.failed - again.customIds.length
        if (again.customIds.length === 0) break
        round += 1
        yield* Effect.logInfo(`Submitting ${again.customIds.length} failed requests again (round ${round} of at most ${plan.policy.times}).`)
        parts = (yield* plan.split(again.customIds.map((id) => byId.get(id)!))).map((requests) => partOf(requests))
        continue
      }
      if (slept >= timeout) {
        const unfinished = parts.find(isLive) ?? parts.find((p) => !p.settled)
        return yield* new BatchTimeoutError({
          batchId: unfinished?.batch?.id ?? unfinished?.refused?.batch.id ?? "(not created)",
          provider: model.provider,
          timeout: payload.timeout!
        })
      }
      if (parts.some(isLive)) {
        yield* DurableClock.sleep({ name: `poll/${poll}`, duration: interval, inMemoryThreshold: Duration.zero })
        slept += Duration.toMillis(interval)
        continue
      }
      // ---- nothing live: the parts waiting on a full queue wait out their backoff (or the run fails)
      const waiting = parts.filter((p) => isRequeued(p) && !p.ready && finishes <= p.refused!.finishesBefore)
      if (waiting.length === 0) continue // something is admitted next round
      const exhausted = waiting.find((p) => p.backoffs >= backoff.length)
      if (exhausted !== undefined) {
        const last = exhausted.refused!.batch
        return yield* new BatchFailedError({ batchId: last.id, provider: model.provider, errors: last.errors })
      }
      const wait = waiting.map((p) => backoff[p.backoffs]!).reduce((a, b) => Duration.max(a, b))
      yield* DurableClock.sleep({ name: `backoff/${waiting[0]!.index}`, duration: wait, inMemoryThreshold: Duration.zero })
      slept += Duration.toMillis(wait)
      for (const part of waiting) {
        part.ready = true
        part.backoffs += 1
      }
    }

    const batches = done.flat()
    return new RunResult({
      batches,
      requestCount: payload.requests.length,
      completedCount: batches.reduce((n, b) => n + b.completedCount, 0),
      failedCount,
      roundSizes: done.length > 1 ? done.map((round) => round.length) : [],
      refused
    })
  })

/**
 * Registers the workflow with the engine in context; the runners that should execute batch runs
 * provide it. Needs a `BatchModel` (the provider) and a `WorkflowEngine`.
 */
export const layer: Layer.Layer<never, never, WorkflowEngine | BatchModel> = BatchRun.toLayer(execute)

// ---------------------------------------------------------------------------------------------
// client
// ---------------------------------------------------------------------------------------------

/** What {@link start} and {@link run} take. */
export interface RunInput {
  /** The run's id; starting the same id again joins the same execution. */
  readonly runId: string
  readonly requests: ReadonlyArray<Batch.BatchRequestInput>
  /** Time between status rounds (default 60 seconds), waited with durable sleeps. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Cancel and fail with BatchTimeoutError after this much polling (counted in poll intervals). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Split into provider batches of at most this many requests. */
  readonly maxRequestsPerBatch?: number | undefined
  /** Split into provider batches of at most this many upload bytes. */
  readonly maxBytesPerBatch?: number | undefined
  /** Labels stored with each provider batch. */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /**
   * At most this many provider batches of the run live at once (created and not yet final);
   * later parts are created, in submission order, as earlier ones finish. Default: no limit.
   */
  readonly maxConcurrentBatches?: number | undefined
  /**
   * At most this many estimated tokens in the run's live batches (your provider's enqueued-token
   * limit for the model, less what other work enqueues). Parts are split so that each fits.
   * Default: no limit.
   */
  readonly maxEnqueuedTokens?: number | undefined
  /**
   * The tokens of one request for `maxEnqueuedTokens` (default `Batch.estimateTokens` of its
   * encoded line). Called once per request when the run starts, before anything is journaled;
   * the figures are journaled with the payload, so a replay (on any machine) admits the same
   * parts without calling it again.
   */
  readonly estimateTokens?: ((request: Batch.BatchRequest) => number) | undefined
  /**
   * When a batch failed with `token_limit_exceeded` (the provider's queue was full: nothing ran,
   * nothing billed) and no other part of the run is live to wait for: the waits (durable sleeps)
   * before each new submission of it, in turn. When they run out, the run fails with
   * BatchFailedError. A list rather than a Schedule, so the journal holds it. Default
   * {@link defaultQueueBackoff}.
   */
  readonly queueBackoff?: ReadonlyArray<Duration.DurationInput> | undefined
  /**
   * Submit requests that failed with a transient code again, in follow-up batches after the
   * round's batches end, up to `times` rounds (default codes `Batch.defaultResubmitCodes`).
   * {@link results} yields each request's last outcome, with its `attempts`. Default: off.
   */
  readonly resubmit?: Batch.ResubmitOptions | undefined
}

/** Checks the input before anything is journaled: the same rules as `Batch.run`. */
const payloadOf = (input: RunInput): Effect.Effect<RunPayload, InvalidInputError, BatchModel> =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    const requests = yield* Effect.try({
      try: () => input.requests.map(Batch.BatchRequest.from),
      catch: (e) => new InvalidInputError({ provider: model.provider, reason: `a batch request is malformed: ${e instanceof Error ? e.message : String(e)}` })
    })
    const pollInterval = Duration.decode(input.pollInterval ?? "60 seconds")
    if (!Duration.greaterThan(pollInterval, Duration.zero)) {
      return yield* new InvalidInputError({ provider: model.provider, reason: "pollInterval must be longer than zero." })
    }
    const queueBackoff = yield* Effect.try({
      try: () => input.queueBackoff?.map(Duration.decode),
      catch: () => new InvalidInputError({ provider: model.provider, reason: "queueBackoff must be a list of durations." })
    })
    const payload: RunPayload = {
      runId: input.runId,
      requests,
      pollInterval,
      ...(input.timeout !== undefined ? { timeout: Duration.decode(input.timeout) } : {}),
      ...(input.maxRequestsPerBatch !== undefined ? { maxRequestsPerBatch: input.maxRequestsPerBatch } : {}),
      ...(input.maxBytesPerBatch !== undefined ? { maxBytesPerBatch: input.maxBytesPerBatch } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      ...(input.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: input.maxConcurrentBatches } : {}),
      ...(input.maxEnqueuedTokens !== undefined ? { maxEnqueuedTokens: input.maxEnqueuedTokens } : {}),
      ...(queueBackoff !== undefined ? { queueBackoff } : {}),
      ...(input.resubmit !== undefined
        ? { resubmit: { times: input.resubmit.times, ...(input.resubmit.codes !== undefined ? { codes: input.resubmit.codes } : {}) } }
        : {})
    }
    // the user's estimate is called once per request here (splitByTokens reports a throw or a bad
    // figure), and only when it matters: without maxEnqueuedTokens no estimate is used
    const figures = new Map<string, number>()
    const estimate = input.estimateTokens === undefined || input.maxEnqueuedTokens === undefined
      ? undefined
      : (r: Batch.BatchRequest) => {
          const known = figures.get(r.customId)
          if (known !== undefined) return known
          const tokens = input.estimateTokens!(r)
          figures.set(r.customId, tokens)
          return tokens
        }
    const plan = yield* planOf(model, payload, estimate)
    // every check of the workflow body, here, before anything is journaled
    yield* plan.split(requests)
    return estimate === undefined ? payload : { ...payload, tokens: requests.map((r) => figures.get(r.customId)!) }
  })

/**
 * Starts the run (or finds it started) and returns its execution id at once. Bad input fails
 * with InvalidInputError before the engine sees anything.
 */
export const start = (input: RunInput): Effect.Effect<string, InvalidInputError, WorkflowEngine | BatchModel> =>
  Effect.flatMap(payloadOf(input), (payload) => BatchRun.execute(payload, { discard: true })).pipe(
    Effect.withSpan("BatchWorkflow.start", { attributes: { runId: input.runId } })
  )

/** Starts the run (or joins it) and waits for it to finish. */
export const run = (input: RunInput): Effect.Effect<RunResult, RunError, WorkflowEngine | BatchModel> =>
  Effect.flatMap(payloadOf(input), (payload) => BatchRun.execute(payload)).pipe(
    Effect.withSpan("BatchWorkflow.run", { attributes: { runId: input.runId } })
  )

/** The execution id of a run id (what {@link start} returns). */
export const executionId = (runId: string): Effect.Effect<string> =>
  // the payload's other fields do not enter the id; only runId does
  BatchRun.executionId({ runId, requests: [], pollInterval: Duration.zero })

/** The run's result if it has finished, `undefined` if it is unknown or still running. */
export const poll = (executionId: string): Effect.Effect<Workflow.Result<RunResult, RunError> | undefined, never, WorkflowEngine> =>
  BatchRun.poll(executionId)

/** Interrupts the run: its unfinished provider batches are cancelled. */
export const interrupt = (executionId: string): Effect.Effect<void, never, WorkflowEngine> => BatchRun.interrupt(executionId)

const resultsOf = (batches: ReadonlyArray<Batch.Batch>, options: Batch.CallOptions | undefined) =>
  Stream.flatMap(Stream.fromIterable(batches), (batch) => Batch.results(batch, options))

/**
 * The results of a finished run as one stream, one result per submitted request: each provider
 * batch's `Batch.results` in turn (requests the provider left out fail with "expired",
 * "cancelled" or "missing"), in the order of the first round's batches.
 *
 * After `resubmit` rounds, a resubmitted request's result is its last attempt's, with
 * `attempts` counting the rounds that held it (`mergeRounds`). The first round streams; the
 * results of the later rounds (the resubmitted requests only) are read first and held in
 * memory to merge in.
 */
export const results = (result: RunResult, options?: Batch.CallOptions): Stream.Stream<Batch.BatchResult, AiError, BatchModel> => {
  const [first, ...later] = result.rounds
  if (later.length === 0) return resultsOf(first ?? [], options)
  return Stream.unwrap(
    Effect.gen(function* () {
      const rounds = yield* Effect.forEach(later, (round) => Effect.map(Stream.runCollect(resultsOf(round, options)), Chunk.toReadonlyArray))
      // every later round holds a subset of the one before: the first of them names every id
      const merged = new Map(mergeRounds(later[0]!.flatMap((b) => b.customIds), rounds).map((r) => [r.customId, r]))
      return Stream.map(resultsOf(first!, options), (r) => {
        const last = merged.get(r.customId)
        return last === undefined ? r : withAttempts(last, last.attempts + 1)
      })
    })
  )
}
