/**
 * The decisions of a batch run once its parts are planned (see `plan.ts`), written once for
 * every driver: `Batch.run` carries them out in one process with fibers and Schedules, the
 * durable workflow as journaled activities and durable sleeps. Pure functions over plain state:
 * no Effect, no I/O, so both drivers decide alike and tests check them with plain values.
 *
 * - admission under the queue limits: {@link admits}, {@link admitCount}, {@link requeueStep}
 * - what a provider batch's status means for the run: {@link endingOf}
 * - which results go into another round: {@link resubmitPolicy}, {@link selectResubmit}
 * - how rounds merge: {@link mergeRounds}; result order: {@link inSubmissionOrder}
 *
 * @since 0.2.0
 * @internal
 */
import { Duration, Either } from "effect"
import { BatchFailedError, InvalidInputError } from "../../AiError.js"
import { type Batch, type BatchResult, BatchResultFailure, ResultError, ResultErrorCode } from "../../BatchData.js"
import type { QueueLimits } from "./plan.js"

// ---------------------------------------------------------------------------------------------
// admission under the queue limits
// ---------------------------------------------------------------------------------------------

/**
 * What is live now: admitted parts (created or being created, or keeping a refused batch's place) and their tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueueState {
  readonly running: number
  readonly enqueuedTokens: number
}

/**
 * Whether a part of `tokens` may be submitted now.
 *
 * @since 0.1.0
 * @category utils
 */
export const admits = (state: QueueState, tokens: number, limits: QueueLimits): boolean =>
  state.running < limits.maxConcurrentBatches && state.enqueuedTokens + tokens <= limits.maxEnqueuedTokens

/**
 * How many of the waiting parts, from the first, may be submitted now: first come first served,
 * so a part that does not fit holds back the ones after it (a small later part never overtakes
 * an earlier large one, which would otherwise wait for ever).
 *
 * @since 0.2.0
 * @category utils
 */
export const admitCount = <A>(
  state: QueueState,
  waiting: ReadonlyArray<A>,
  tokensOf: (part: A) => number,
  limits: QueueLimits
): number => {
  let running = state.running
  let enqueuedTokens = state.enqueuedTokens
  let n = 0
  for (const part of waiting) {
    const tokens = tokensOf(part)
    if (!admits({ running, enqueuedTokens }, tokens, limits)) break
    running += 1
    enqueuedTokens += tokens
    n += 1
  }
  return n
}

/**
 * A part whose batch the provider refused with `token_limit_exceeded`: the finishes of the run
 * counted when it was refused, and whether its `queueBackoff` wait is over.
 *
 * @since 0.2.0
 * @category models
 */
export interface Refusal {
  readonly finishesAtRefusal: number
  readonly backoffOver: boolean
}

/**
 * What a refused part does next. It keeps its place in the budget, and is submitted again once
 * another part of the run has finished since the refusal (room was made), or once its backoff
 * wait is over; while other parts are live it waits for one of them; when none is, it waits out
 * the next step of its `queueBackoff` (and the run fails once those run out).
 *
 * @since 0.2.0
 * @category utils
 */
export const requeueStep = (refusal: Refusal, finishes: number, othersLive: number): "submit" | "wait" | "backoff" =>
  refusal.backoffOver || finishes > refusal.finishesAtRefusal ? "submit" : othersLive > 0 ? "wait" : "backoff"

/**
 * The next `queueBackoff` wait of a refused part as a list of waits (the durable form), given the
 * waits it has used; `undefined` once they have run out.
 *
 * @since 0.2.0
 * @category utils
 */
export const nextBackoff = (waits: ReadonlyArray<Duration.Duration>, used: number): Duration.Duration | undefined => waits[used]

/**
 * The waits before a part refused for a full queue is submitted again, when nothing else of the
 * run is live: 1, 2, 4, 8 minutes, then 10 minutes, 30 waits in all (about four and a half
 * hours). `Batch.defaultQueueBackoff` is this list as a Schedule; the workflow journals it.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBackoffWaits: ReadonlyArray<Duration.Duration> = Array.from({ length: 30 }, (_, i) => Duration.minutes(Math.min(10, 2 ** i)))

// ---------------------------------------------------------------------------------------------
// what a status means
// ---------------------------------------------------------------------------------------------

/**
 * The code of a batch that failed because the provider's enqueued-token limit was reached (OpenAI, Azure OpenAI).
 *
 * @since 0.1.0
 * @category constants
 */
export const TOKEN_LIMIT_EXCEEDED = "token_limit_exceeded"

/**
 * Whether the provider failed this batch because its enqueued-token limit was reached (nothing ran, nothing is billed).
 *
 * @since 0.1.0
 * @category guards
 */
export const isQueueFull = (batch: Batch): boolean =>
  batch.status === "failed" && batch.errors.length > 0 && batch.errors[0]!.code === TOKEN_LIMIT_EXCEEDED

/**
 * What the last snapshot of a provider batch means for the run:
 * - `running`: not final (when polling has ended, the run has timed out),
 * - `queueFull`: refused for a full queue: nothing ran, submit its requests again (never a result failure),
 * - `failed`: failed for another reason: the run fails with {@link failedError},
 * - `results`: completed, expired or cancelled: read its results (ids without a line get our codes).
 *
 * @since 0.2.0
 * @category utils
 */
export const endingOf = (batch: Batch): "running" | "queueFull" | "failed" | "results" =>
  !batch.isComplete ? "running" : isQueueFull(batch) ? "queueFull" : batch.status === "failed" ? "failed" : "results"

/**
 * The failure of a run whose batch the provider failed (or kept refusing once the backoff ran out).
 *
 * @since 0.2.0
 * @category constructors
 */
export const failedError = (batch: Batch, provider: string): BatchFailedError =>
  new BatchFailedError({ batchId: batch.id, provider, errors: batch.errors })

// ---------------------------------------------------------------------------------------------
// resubmission rounds
// ---------------------------------------------------------------------------------------------

/**
 * The `resubmit` option of a run: rounds at most, and the result codes they resubmit.
 *
 * @since 0.1.0
 * @category options
 */
export interface ResubmitOptions {
  /** Follow-up rounds at most (0: none). */
  readonly times: number
  /** The result codes to resubmit; replaces {@link defaultResubmitCodes}. */
  readonly codes?: ReadonlyArray<string> | undefined
}

/**
 * The result codes resubmitted by default: expiry (ours, and OpenAI's line code), rate limits
 * (OpenAI's `rate_limit_exceeded`, Anthropic's `rate_limit_error`, a bare 429) and server-side
 * faults (OpenAI's `server_error`, Anthropic's `api_error` / `overloaded_error`, bare 5xx as
 * the OpenAI codec names a line without a code, `http_<status>`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultResubmitCodes: ReadonlyArray<string> = [
  "expired",
  "batch_expired",
  "rate_limit_exceeded",
  "rate_limit_error",
  "http_429",
  "server_error",
  "internal_server_error",
  "api_error",
  "overloaded_error",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_529"
]

/**
 * How many follow-up rounds, and for which codes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResubmitPolicy {
  readonly times: number
  readonly codes: ReadonlySet<string>
}

/**
 * The option checked: a whole number of rounds, at least 0. No option: no rounds.
 *
 * @since 0.1.0
 * @category utils
 */
export const resubmitPolicy = (
  provider: string,
  options: ResubmitOptions | undefined
): Either.Either<ResubmitPolicy, InvalidInputError> => {
  if (options === undefined) return Either.right({ times: 0, codes: new Set() })
  if (!Number.isInteger(options.times) || options.times < 0) {
    return Either.left(new InvalidInputError({ provider, reason: `resubmit.times must be a whole number of at least 0, got ${options.times}.` }))
  }
  return Either.right({ times: options.times, codes: new Set(options.codes ?? defaultResubmitCodes) })
}

/**
 * Whether this result goes into the next round.
 *
 * @since 0.1.0
 * @category guards
 */
export const isResubmittable = (result: BatchResult, policy: ResubmitPolicy): boolean =>
  !result.isSuccessful && policy.codes.has(result.error.code)

/**
 * The custom ids of a round's results to submit again, in the order of `order` (the round's
 * submission order): none once `round` (0 for the first submission) has used up the rounds.
 *
 * @since 0.1.0
 * @category utils
 */
export const selectResubmit = (
  order: ReadonlyArray<string>,
  results: ReadonlyArray<BatchResult>,
  policy: ResubmitPolicy,
  round: number
): ReadonlyArray<string> => {
  if (round >= policy.times) return []
  const again = new Set<string>()
  for (const result of results) if (isResubmittable(result, policy)) again.add(result.customId)
  return order.filter((id) => again.has(id))
}

/**
 * The result with this attempt count (the same value when it already has it): a copy with the
 * same prototype and field order, as `new BatchResult…({ ...fields, attempts }, true)` makes.
 *
 * @since 0.1.0
 * @category utils
 */
export const withAttempts = (result: BatchResult, attempts: number): BatchResult =>
  result.attempts === attempts
    ? result
    : Object.assign(Object.create(Object.getPrototypeOf(result) as object) as BatchResult, result, { attempts })

/**
 * One result per id of `order`, from the last round that holds it, counting the rounds that
 * held it as its attempts. Ids no round answered are left out (the caller reports them).
 *
 * @since 0.1.0
 * @category utils
 */
export const mergeRounds = (
  order: ReadonlyArray<string>,
  rounds: ReadonlyArray<ReadonlyArray<BatchResult>>
): Array<BatchResult> => {
  const last = new Map<string, BatchResult>()
  const attempts = new Map<string, number>()
  for (const round of rounds) {
    const seen = new Set<string>()
    for (const result of round) {
      if (seen.has(result.customId)) continue
      seen.add(result.customId)
      last.set(result.customId, result)
      attempts.set(result.customId, (attempts.get(result.customId) ?? 0) + 1)
    }
  }
  const merged: Array<BatchResult> = []
  for (const id of order) {
    const result = last.get(id)
    if (result !== undefined) merged.push(withAttempts(result, attempts.get(id)!))
  }
  return merged
}

// ---------------------------------------------------------------------------------------------
// result order
// ---------------------------------------------------------------------------------------------

/**
 * The failure of an id that no batch of the run answered (a provider that dropped it), naming the batches.
 *
 * @since 0.2.0
 * @category constructors
 */
export const missingResult = (customId: string, batchIds: ReadonlyArray<string>): BatchResult =>
  new BatchResultFailure({
    customId,
    error: new ResultError({ code: ResultErrorCode.missing, message: `no result for this request in batches ${batchIds.join(", ")}` })
  })

/**
 * One result per id of `order` (the submission order), whatever order the provider returned
 * them in: the first result for an id across `lists` wins, and an id without one gets
 * `missing(id)`. Every id comes back exactly once.
 *
 * @since 0.2.0
 * @category utils
 */
export const inSubmissionOrder = (
  order: ReadonlyArray<string>,
  lists: ReadonlyArray<ReadonlyArray<BatchResult>>,
  missing: (customId: string) => BatchResult
): Array<BatchResult> => {
  const got = new Map<string, BatchResult>()
  for (const list of lists) for (const result of list) if (!got.has(result.customId)) got.set(result.customId, result)
  return order.map((id) => got.get(id) ?? missing(id))
}
