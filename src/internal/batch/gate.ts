/**
 * The in-process admission of a run's parts: `Batch.run` runs each part in its own fiber, and the
 * gate holds a part until the queue decisions of `lifecycle.ts` ({@link admitCount},
 * {@link requeueStep}) let it go. The durable workflow takes the same decisions over its
 * journaled state instead.
 *
 * @since 0.2.0
 * @internal
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import { admitCount, type QueueState, requeueStep } from "./lifecycle.js"
import type { QueueLimits } from "./plan.js"

/**
 * Admission of a run's provider batches, first come first served.
 *
 * @since 0.1.0
 * @category models
 */
export interface Gate {
  /**
   * Runs `self` once a part of `tokens` fits the budget, after every part that asked earlier;
   * the part counts as live until `self` ends (however it ends). Once a part fails, no part
   * waiting is admitted any more (the run is over).
   */
  readonly admitted: <A, E, R>(tokens: number, self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * For an admitted part whose batch the provider failed with a full queue: waits until another
   * live part of the run finishes, or, when no other part is live, runs `backoff` (one step of
   * the caller's Schedule) instead.
   */
  readonly stall: <E, R>(backoff: Effect.Effect<void, E, R>) => Effect.Effect<void, E, R>
  /** The live parts and their tokens now (for tests and spans). */
  readonly state: () => QueueState
}

const tokensOfWaiter = (waiter: { readonly tokens: number }) => waiter.tokens

/**
 * A {@link Gate} for these limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeGate = (limits: QueueLimits): Gate => {
  let running = 0
  let enqueued = 0
  let stalled = 0
  let finishes = 0
  // a part that failed fails the run: admit nobody after it (no batch created just to be cancelled)
  let closed = false
  const waiters: Array<{ readonly tokens: number; readonly admitted: Deferred.Deferred<void> }> = []
  // completed and replaced whenever a part finishes or stalls, so stalled parts look again
  let changed = Deferred.unsafeMake<void>(FiberId.none)
  const signal = () => {
    const previous = changed
    changed = Deferred.unsafeMake<void>(FiberId.none)
    Deferred.unsafeDone(previous, Exit.void)
  }
  const pump = () => {
    if (closed || waiters.length === 0) return
    const n = admitCount({ running, enqueuedTokens: enqueued }, waiters, tokensOfWaiter, limits)
    for (const next of waiters.splice(0, n)) {
      running += 1
      enqueued += next.tokens
      Deferred.unsafeDone(next.admitted, Exit.void)
    }
  }
  const leave = (tokens: number, failed: boolean) =>
    Effect.sync(() => {
      if (failed) closed = true
      running -= 1
      enqueued -= tokens
      finishes += 1
      signal()
      pump()
    })

  const admitted = <A, E, R>(tokens: number, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const waiter = { tokens, admitted: Deferred.unsafeMake<void>(FiberId.none) }
        waiters.push(waiter)
        pump()
        return restore(Deferred.await(waiter.admitted)).pipe(
          Effect.onInterrupt(() =>
            Effect.suspend(() => {
              const at = waiters.indexOf(waiter)
              if (at < 0) return leave(tokens, true) // admitted just as it was interrupted
              waiters.splice(at, 1)
              pump()
              return Effect.void
            })),
          Effect.zipRight(restore(self).pipe(Effect.onExit((exit) => leave(tokens, Exit.isFailure(exit)))))
        )
      }))

  const stall = <E, R>(backoff: Effect.Effect<void, E, R>): Effect.Effect<void, E, R> =>
    Effect.suspend(() => {
      const refusal = { finishesAtRefusal: finishes, backoffOver: false }
      stalled += 1
      signal()
      const look: Effect.Effect<void, E, R> = Effect.suspend(() => {
        // the other live parts: admitted and not themselves waiting on a full queue
        switch (requeueStep(refusal, finishes, running - stalled)) {
          case "submit":
            return Effect.void
          case "backoff":
            return backoff
          case "wait":
            return Effect.zipRight(Deferred.await(changed), look)
        }
      })
      return Effect.ensuring(look, Effect.sync(() => { stalled -= 1 }))
    })

  return { admitted, stall, state: () => ({ running, enqueuedTokens: enqueued }) }
}
