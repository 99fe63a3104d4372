/**
 * Resubmission of failed requests in follow-up rounds: which result codes are worth another
 * batch, which requests of a round go into the next one, and how the rounds merge back into one
 * result per custom id.
 * @internal
 */
import { Effect } from "effect"
import { InvalidInputError } from "../AiError.js"
import type { BatchResult } from "../BatchData.js"

/**
 * The result codes resubmitted by default: expiry (ours, and OpenAI's line code), rate limits
 * (OpenAI's `rate_limit_exceeded`, Anthropic's `rate_limit_error`, a bare 429) and server-side
 * faults (OpenAI's `server_error`, Anthropic's `api_error` / `overloaded_error`, bare 5xx as
 * the OpenAI codec names a line without a code, `http_<status>`).
 */
/** The `resubmit` option of `Batch.run`: rounds at most, and the result codes they resubmit. */
export interface ResubmitOptions {
  /** Follow-up rounds at most (0: none). */
  readonly times: number
  /** The result codes to resubmit; replaces {@link defaultResubmitCodes}. */
  readonly codes?: ReadonlyArray<string> | undefined
}

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

/** How many follow-up rounds, and for which codes. */
export interface ResubmitPolicy {
  readonly times: number
  readonly codes: ReadonlySet<string>
}

/** The option checked: a whole number of rounds, at least 0. No option: no rounds. */
export const resubmitPolicy = (
  provider: string,
  options: ResubmitOptions | undefined
): Effect.Effect<ResubmitPolicy, InvalidInputError> => {
  if (options === undefined) return Effect.succeed({ times: 0, codes: new Set() })
  if (!Number.isInteger(options.times) || options.times < 0) {
    return Effect.fail(new InvalidInputError({ provider, reason: `resubmit.times must be a whole number of at least 0, got ${options.times}.` }))
  }
  return Effect.succeed({ times: options.times, codes: new Set(options.codes ?? defaultResubmitCodes) })
}

/** Whether this result goes into the next round. */
export const isResubmittable = (result: BatchResult, policy: ResubmitPolicy): boolean =>
  !result.isSuccessful && policy.codes.has(result.error.code)

/**
 * The custom ids of a round's results to submit again, in the order of `order` (the round's
 * submission order): none once `round` (0 for the first submission) has used up the rounds.
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
 */
export const withAttempts = (result: BatchResult, attempts: number): BatchResult =>
  result.attempts === attempts
    ? result
    : Object.assign(Object.create(Object.getPrototypeOf(result) as object) as BatchResult, result, { attempts })

/**
 * One result per id of `order`, from the last round that holds it, counting the rounds that
 * held it as its attempts. Ids no round answered are left out (the caller reports them).
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
