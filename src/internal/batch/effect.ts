/**
 * Effect combinators the batch lifecycle needs.
 *
 * @since 0.1.0
 * @internal
 */
import { type Duration, Effect, Fiber, Schedule, Stream } from "effect"

/**
 * Runs `self` so that interrupting the caller does not stop it (the caller's interruption waits
 * until it is done), while `timeout` still does: on time-out the attempt itself is interrupted
 * (aborting its HTTP request) and `onTimeout` is the failure. A batch create must finish once
 * started, or the library never learns the id of a batch it has to cancel.
 *
 * @since 0.1.0
 * @category utils
 */
export const uninterruptibleWithin = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  timeout: Duration.DurationInput,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.uninterruptible(
    Effect.flatMap(
      // A daemon, not a child: an interrupt signal to this fiber is passed on to its children even
      // while it is uninterruptible. The time-out runs inside the daemon, where `self` can be
      // interrupted (a time-out outside would wait for the uninterruptible await to finish).
      Effect.forkDaemon(Effect.interruptible(Effect.timeoutFail(self, { duration: timeout, onTimeout }))),
      Fiber.join
    )
  )

/**
 * Retries a stream from its start on failure, with one schedule for the whole stream (unlike
 * `Stream.retry`, which resets the schedule whenever an element passes, and could so retry a
 * stream that always fails after its first line forever). The caller must make re-read
 * elements harmless (the batch results skip custom ids already seen). The schedule's driver is
 * made at the first failure: a stream that never fails (the usual case) pays for no schedule.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryStream = <A, E, R, R2>(
  make: () => Stream.Stream<A, E, R>,
  policy: Schedule.Schedule<unknown, E, R2>
): Stream.Stream<A, E, R | R2> =>
  Stream.suspend(() => {
    // one driver per run of the stream, shared by its attempts
    let driver: Schedule.ScheduleDriver<unknown, E, R2> | undefined
    // fails when the schedule is done
    const next = (error: E) =>
      driver !== undefined
        ? driver.next(error)
        : Effect.flatMap(Schedule.driver(policy), (made) => {
            driver = made
            return made.next(error)
          })
    const attempt = (): Stream.Stream<A, E, R | R2> =>
      Stream.catchAll(make(), (error) =>
        Stream.unwrap(next(error).pipe(Effect.match({ onFailure: () => Stream.fail(error), onSuccess: () => attempt() }))))
    return attempt()
  })

