/**
 * Retries are ours, not the SDKs' (they run with `maxRetries: 0`): a `Schedule` over
 * {@link AiError} that retries rate limits, 5xx, timeouts and connection failures, waits at
 * least the provider's `retry-after`, and is testable under `TestClock`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Ref, Schedule } from "effect"
import { type AiError, type BatchError, isRetryable } from "./AiError.js"

/**
 * A retry policy: a Schedule fed with the errors it retries.
 *
 * @since 0.1.0
 * @category models
 */
export type Policy = Schedule.Schedule<unknown, AiError | BatchError>

/**
 * The delay a provider asked for (429 / 503 `retry-after`), else zero.
 *
 * @since 0.1.0
 * @category utils
 */
export const providerDelay = (error: AiError | BatchError): Duration.Duration =>
  (error._tag === "RateLimitError" || error._tag === "ProviderUnavailableError") && error.retryAfter !== undefined
    ? error.retryAfter
    : Duration.zero

/**
 * A policy: exponential backoff from `base` (jittered), at most `times` retries, only for
 * retryable errors, never sooner than the provider's `retry-after`.
 *
 * @example
 * LanguageModel.request(messages, { retry: Retry.policy({ times: 8, base: "1 second" }) })
 *
 * @since 0.1.0
 * @category constructors
 */
export const policy = (options?: {
  readonly times?: number | undefined
  readonly base?: Duration.DurationInput | undefined
  readonly jitter?: boolean | undefined
}): Policy => {
  const backoff = Schedule.exponential(options?.base ?? "500 millis")
  const base = options?.jitter === false ? backoff : Schedule.jittered(backoff)
  return base.pipe(
    // intersect keeps the longer of the two delays: never sooner than retry-after
    Schedule.intersect(Schedule.identity<AiError | BatchError>().pipe(Schedule.addDelay(providerDelay))),
    Schedule.intersect(Schedule.recurs(options?.times ?? 4)),
    Schedule.whileInput(isRetryable),
    Schedule.asVoid
  )
}

/**
 * The default: 4 retries, exponential from 500 ms, jittered, honouring retry-after.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPolicy: Policy = policy()

/**
 * No retries.
 *
 * @since 0.1.0
 * @category constants
 */
export const none: Policy = Schedule.stop

/**
 * Retries an effect with a policy (the default when none is given; `false` for none). As
 * `Effect.retry`, but the schedule's driver is only made after a first failure: a call that
 * succeeds at once (the usual case) pays for no schedule.
 *
 * @since 0.1.0
 * @category utils
 */
export const retry = <A, E extends AiError | BatchError, R>(
  self: Effect.Effect<A, E, R>,
  with_?: Policy | false | undefined
): Effect.Effect<A, E, R> => {
  if (with_ === false) return self
  const schedule = (with_ ?? defaultPolicy) as Schedule.Schedule<unknown, E>
  return Effect.catchAll(self, (first) =>
    Effect.flatMap(Schedule.driver(schedule), (driver) => {
      // the loop of Effect.retry: each failure goes to the schedule, which says whether to go on,
      // and a retried attempt sees the iteration metadata (the first saw the default, as there)
      const retried = Effect.provideServiceEffect(self, Schedule.CurrentIterationMetadata, Ref.get(driver.iterationMeta))
      const again = (error: E): Effect.Effect<A, E, R> =>
        Effect.matchEffect(driver.next(error), {
          onFailure: () => Effect.fail(error),
          onSuccess: () => Effect.catchAll(retried, again)
        })
      return again(first)
    }))
}
