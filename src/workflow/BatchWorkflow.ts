/**
 * A batch run as a durable workflow (`@effect/workflow`): it survives restarts, deploys and a
 * move to another machine, because every step that talks to the provider is an activity whose
 * result is journaled, and the waits between status checks are `DurableClock` sleeps.
 *
 * 1. validate (no activity: bad input fails before anything is journaled or sent),
 * 2. split by the provider's limits (as `Batch.run` does),
 * 3. create each provider batch in an activity that first looks the batch up by a label holding
 *    the workflow's execution id, so a crash between the create and the journal write never
 *    pays twice,
 * 4. check the status of the unfinished batches in one activity per round, with a durable sleep
 *    of `pollInterval` between rounds,
 * 5. finish with the provider batch references and counts. Results are not journaled (a batch
 *    may hold 50,000 responses): read them with {@link results}, a stream over `Batch.results`.
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
import { Cause, Clock, Duration, Effect, Either, Exit, Layer, Option, Schedule, Schema, Stream } from "effect"
import { AiError, type BatchError, BatchFailedError, BatchTimeoutError, InvalidInputError, isRetryable } from "../AiError.js"
import * as Batch from "../Batch.js"
import { BatchModel, type Service as BatchModelService } from "../BatchModel.js"
import { checkCustomIds, effectiveLimits, split } from "../internal/batchPlan.js"
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
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})
/** What a run takes, decoded. */
export type RunPayload = typeof RunPayload.Type

/**
 * A finished run: the provider batches (final snapshots, with their custom ids) and counts.
 * Read the results with {@link results}.
 */
export class RunResult extends Schema.Class<RunResult>("effect-llm-direct/BatchWorkflow/RunResult")({
  batches: Schema.Array(Batch.Batch),
  requestCount: Schema.Number,
  completedCount: Schema.Number,
  failedCount: Schema.Number
}) {}

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

/** A part of the run: one provider batch's requests, its label, and the batch once created. */
interface Part {
  readonly index: number
  readonly requests: ReadonlyArray<Batch.BatchRequest>
  readonly label: string
  batch: Batch.Batch | undefined
}

/**
 * Which parts to create in this round: every part not yet created, at once. The extension point
 * for queue limits and resubmission (`Batch.run`'s, in internal/batchQueue.ts and
 * batchResubmit.ts): admit only the parts that fit the budget of live batches and enqueued
 * tokens (`admits`), and the loop creates the rest in later rounds as earlier batches finish;
 * a part whose batch failed for a full queue, or whose failed requests are resubmitted, becomes
 * a new part with a new index. Activity names are per part, so either journals deterministically.
 */
const admit = (parts: ReadonlyArray<Part>): ReadonlyArray<Part> => parts.filter((p) => p.batch === undefined)

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

/** The workflow's body: the steps above, run by the engine (and replayed after a restart). */
const execute = (payload: RunPayload, executionId: string) =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    // ---- validate and split: pure, so a replay gets the same parts
    yield* checkCustomIds(payload.requests, model.provider)
    yield* model.validate(payload.requests, { metadata: payload.metadata })
    const limits = yield* effectiveLimits(model.provider, model.limits, payload)
    const chunks = yield* split(model.provider, payload.requests, limits, model.encodedSize)
    const labelled = yield* keepsLabels(model, chunks[0]!, payload.metadata)
    if (!labelled) {
      yield* Effect.logWarning(
        `${model.provider} keeps no batch metadata: a crash between a create and its journal write could create that batch again.`
      )
    }
    const parts: Array<Part> = chunks.map((requests, index) => ({ index, requests, label: `${executionId}/${index}`, batch: undefined }))

    const instance = yield* WorkflowInstance
    const since = yield* beginActivity
    const interval = payload.pollInterval
    const maxSleeps = payload.timeout === undefined ? Infinity : Math.ceil(Duration.toMillis(payload.timeout) / Math.max(1, Duration.toMillis(interval)))

    for (let round = 0; ; round++) {
      // ---- create what is admitted; each created batch is cancelled if the run fails or is interrupted
      for (const part of admit(parts)) {
        part.batch = yield* cancelledOnEnd(instance, createPart(part, { since, labelled, metadata: payload.metadata }))
      }
      // ---- one status round over the unfinished batches
      const open = parts.filter((p) => p.batch !== undefined && !p.batch.isComplete)
      const polled = open.length === 0 ? Either.right([]) : yield* Effect.either(statusRound(round, open))
      if (Either.isLeft(polled)) {
        // an outage outlasting the retries costs a round, not a run that may have hours to go
        if (!isRetryable(polled.left)) return yield* polled.left
        yield* Effect.logWarning(`Status round ${round} failed (${polled.left.message}); checking again after the next sleep.`)
      } else {
        open.forEach((part, i) => {
          part.batch = polled.right[i]!.withCustomIds(part.requests.map((r) => r.customId))
        })
      }
      const failed = parts.find((p) => p.batch?.status === "failed")
      if (failed !== undefined) {
        return yield* new BatchFailedError({ batchId: failed.batch!.id, provider: model.provider, errors: failed.batch!.errors })
      }
      if (parts.every((p) => p.batch !== undefined && p.batch.isComplete)) break
      if (round >= maxSleeps) {
        const unfinished = parts.find((p) => p.batch !== undefined && !p.batch.isComplete)
        return yield* new BatchTimeoutError({ batchId: unfinished?.batch?.id ?? "(not created)", provider: model.provider, timeout: payload.timeout! })
      }
      yield* DurableClock.sleep({ name: `poll/${round}`, duration: interval, inMemoryThreshold: Duration.zero })
    }

    const batches = parts.map((p) => p.batch!)
    return new RunResult({
      batches,
      requestCount: payload.requests.length,
      completedCount: batches.reduce((n, b) => n + b.completedCount, 0),
      failedCount: batches.reduce((n, b) => n + b.failedCount, 0)
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
}

/** Checks the input before anything is journaled: the same rules as `Batch.run`. */
const payloadOf = (input: RunInput): Effect.Effect<RunPayload, InvalidInputError, BatchModel> =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    const requests = yield* Effect.try({
      try: () => input.requests.map(Batch.BatchRequest.from),
      catch: (e) => new InvalidInputError({ provider: model.provider, reason: `a batch request is malformed: ${e instanceof Error ? e.message : String(e)}` })
    })
    yield* checkCustomIds(requests, model.provider)
    yield* model.validate(requests, { metadata: input.metadata })
    const limits = yield* effectiveLimits(model.provider, model.limits, input)
    yield* split(model.provider, requests, limits, model.encodedSize)
    const pollInterval = Duration.decode(input.pollInterval ?? "60 seconds")
    if (!Duration.greaterThan(pollInterval, Duration.zero)) {
      return yield* new InvalidInputError({ provider: model.provider, reason: "pollInterval must be longer than zero." })
    }
    return {
      runId: input.runId,
      requests,
      pollInterval,
      ...(input.timeout !== undefined ? { timeout: Duration.decode(input.timeout) } : {}),
      ...(input.maxRequestsPerBatch !== undefined ? { maxRequestsPerBatch: input.maxRequestsPerBatch } : {}),
      ...(input.maxBytesPerBatch !== undefined ? { maxBytesPerBatch: input.maxBytesPerBatch } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {})
    }
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

/**
 * The results of a finished run as one stream: each provider batch's `Batch.results` in turn
 * (one result per submitted request; requests the provider left out fail with "expired",
 * "cancelled" or "missing").
 */
export const results = (result: RunResult, options?: Batch.CallOptions): Stream.Stream<Batch.BatchResult, AiError, BatchModel> =>
  Stream.flatMap(Stream.fromIterable(result.batches), (batch) => Batch.results(batch, options))
