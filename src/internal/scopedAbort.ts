/**
 * The AbortController of one HTTP response, owned by the current scope: closing the scope
 * (consumer stopped, interrupted, failed) aborts the response, unless `finished()` said its body
 * was read to its end (an abort then costs a DOMException and undici's cancellation for nothing).
 * Used by the streamed requests and the batch result downloads of both providers.
 * @internal
 */
import { Effect, type Scope } from "effect"

/** The response's signal, and how to say its body was read to its end. */
export interface ScopedAbort {
  /** The signal to hand the SDK. */
  readonly signal: AbortSignal
  /** Also aborts when `other` does (Effect's signal of the call that opens the response). */
  readonly follow: (other: AbortSignal) => AbortSignal
  /** The body was read to its end: closing the scope leaves it alone. */
  readonly finished: () => void
}

/** A controller aborted when the scope closes before the body was read to its end. */
export const scopedAbort: Effect.Effect<ScopedAbort, never, Scope.Scope> = Effect.suspend(() => {
  const controller = new AbortController()
  let done = false
  return Effect.as(Effect.addFinalizer(() => Effect.sync(() => done || controller.abort())), {
    signal: controller.signal,
    follow: (other: AbortSignal) => {
      other.addEventListener("abort", () => controller.abort(), { once: true })
      return controller.signal
    },
    finished: () => {
      done = true
    }
  })
})
