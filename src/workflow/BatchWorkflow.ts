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
 *    `Batch.results` that merges the rounds and yields one result per request in submission
 *    order, as `Batch.run` returns them.
 *
 * The decisions of each step (the plan, admission under the queue limits, what a status means,
 * resubmission rounds, merge and order of results) are the same functions `Batch.run` follows;
 * this module carries them out as journaled activities and durable sleeps.
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
import type * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import { Chunk, Duration, Effect, type Layer, Stream } from "effect"
import { type AiError, InvalidInputError } from "../AiError.js"
import * as Batch from "../Batch.js"
import { BatchModel } from "../BatchModel.js"
import { normalise } from "../internal/batch/calls.js"
import { inSubmissionOrder, mergeRounds } from "../internal/batch/lifecycle.js"
import { parts } from "../internal/batch/plan.js"
import { BatchRun, type RunError, type RunPayload, type RunResult } from "./runData.js"
import { execute, planOf } from "./runDriver.js"

// ---------------------------------------------------------------------------------------------
// data (runData.ts), re-exported
// ---------------------------------------------------------------------------------------------

/**
 * The run's data and the workflow, from `runData`: its payload, result, errors, label key and
 * default backoff.
 *
 * @since 0.1.0
 * @category models
 */
export { BatchRun, defaultQueueBackoff, RunError, RunPayload, RunResult, runLabelKey } from "./runData.js"

/**
 * Registers the workflow with the engine in context; the runners that should execute batch runs
 * provide it. Needs a `BatchModel` (the provider) and a `WorkflowEngine`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, WorkflowEngine | BatchModel> = BatchRun.toLayer(execute)

// ---------------------------------------------------------------------------------------------
// client
// ---------------------------------------------------------------------------------------------

/**
 * What {@link start} and {@link run} take.
 *
 * @since 0.1.0
 * @category options
 */
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
    const requests = yield* normalise(model, input.requests)
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
    yield* parts(plan.split, requests)
    return estimate === undefined ? payload : { ...payload, tokens: requests.map((r) => figures.get(r.customId)!) }
  })

/**
 * Starts the run (or finds it started) and returns its execution id at once. Bad input fails
 * with InvalidInputError before the engine sees anything.
 *
 * @since 0.1.0
 * @category programs
 */
export const start = (input: RunInput): Effect.Effect<string, InvalidInputError, WorkflowEngine | BatchModel> =>
  Effect.flatMap(payloadOf(input), (payload) => BatchRun.execute(payload, { discard: true })).pipe(
    Effect.withSpan("BatchWorkflow.start", { attributes: { runId: input.runId } })
  )

/**
 * Starts the run (or joins it) and waits for it to finish.
 *
 * @since 0.1.0
 * @category programs
 */
export const run = (input: RunInput): Effect.Effect<RunResult, RunError, WorkflowEngine | BatchModel> =>
  Effect.flatMap(payloadOf(input), (payload) => BatchRun.execute(payload)).pipe(
    Effect.withSpan("BatchWorkflow.run", { attributes: { runId: input.runId } })
  )

/**
 * The execution id of a run id (what {@link start} returns).
 *
 * @since 0.1.0
 * @category utils
 */
export const executionId = (runId: string): Effect.Effect<string> =>
  // the payload's other fields do not enter the id; only runId does
  BatchRun.executionId({ runId, requests: [], pollInterval: Duration.zero })

/**
 * The run's result if it has finished, `undefined` if it is unknown or still running.
 *
 * @since 0.1.0
 * @category programs
 */
export const poll = (executionId: string): Effect.Effect<Workflow.Result<RunResult, RunError> | undefined, never, WorkflowEngine> =>
  BatchRun.poll(executionId)

/**
 * Interrupts the run: its unfinished provider batches are cancelled.
 *
 * @since 0.1.0
 * @category programs
 */
export const interrupt = (executionId: string): Effect.Effect<void, never, WorkflowEngine> => BatchRun.interrupt(executionId)


/** The results of one provider batch in the order its requests were submitted (at most one batch in memory). */
const ordered = (batch: Batch.Batch, options: Batch.CallOptions | undefined): Effect.Effect<ReadonlyArray<Batch.BatchResult>, AiError, BatchModel> =>
  Effect.map(Stream.runCollect(Batch.results(batch, options)), (chunk) => {
    const read = Chunk.toReadonlyArray(chunk)
    // a batch known by id only: the provider's order is all there is
    return batch.customIds.length === 0 ? read : inSubmissionOrder(batch.customIds, [read], (id) => Batch.unanswered(id, batch))
  })

/**
 * The results of a finished run as one stream, one result per submitted request, in the order
 * of the run's requests (as `Batch.run` returns them), whatever order the provider wrote them
 * in: the run's parts are consecutive slices of the request list, so the stream reads one
 * provider batch at a time (`Batch.results`: requests the provider left out fail with
 * "expired", "cancelled" or "missing") and puts its results in submission order; memory holds
 * one provider batch.
 *
 * After `resubmit` rounds, a resubmitted request's result is its last attempt's, with
 * `attempts` counting the rounds that held it. The results of the later rounds (the
 * resubmitted requests only) are read first and held in memory to merge in.
 *
 * @example
 * yield* BatchWorkflow.results(result).pipe(Stream.runForEach((r) => Console.log(r.customId, r.isSuccessful)))
 *
 * @since 0.1.0
 * @category streams
 */
export const results = (result: RunResult, options?: Batch.CallOptions): Stream.Stream<Batch.BatchResult, AiError, BatchModel> => {
  const [first = [], ...later] = result.rounds
  const batches = Stream.fromIterable(first)
  if (later.length === 0) return Stream.flatMap(batches, (batch) => Stream.fromIterableEffect(ordered(batch, options)))
  return Stream.unwrap(
    Effect.gen(function* () {
      const rounds = yield* Effect.forEach(later, (round) =>
        Effect.map(Effect.forEach(round, (batch) => ordered(batch, options)), (lists) => lists.flat()))
      return Stream.flatMap(batches, (batch) =>
        Stream.fromIterableEffect(Effect.map(ordered(batch, options), (own) =>
          mergeRounds(own.map((r) => r.customId), [own, ...rounds]))))
    })
  )
}
