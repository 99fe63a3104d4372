/**
 * What a batched model has done so far, as snapshots: the counts of its requests by where they
 * are, its live provider batches, and what the answered requests cost at the batch price and
 * saved against the standard one.
 *
 * @since 0.2.0
 */
import { Deferred, Effect, Exit, FiberId, Option, Schema, Stream } from "effect"

/**
 * One snapshot of a batched model's progress. `queued` requests wait in a window not yet
 * submitted; `inFlight` ones are in a submitted batch, with a caller waiting; `done` were
 * answered, `failed` failed, `direct` went through the direct API (`fallbackAfter`, streams
 * sent direct), `pending` were left in a batch in pending mode. `cost` is what the answered
 * requests cost at the batch price, `saved` what the batch discount and prompt caching saved
 * against the same requests sent direct without caching, both in US dollars (0 unless the
 * layer's `cost` option is set).
 *
 * @since 0.2.0
 * @category models
 */
export class Progress extends Schema.Class<Progress>("BatchedProgress")({
  queued: Schema.Number,
  inFlight: Schema.Number,
  done: Schema.Number,
  failed: Schema.Number,
  direct: Schema.Number,
  pending: Schema.Number,
  /** Provider batches created and not yet over. */
  liveBatches: Schema.Number,
  /** Provider batches created in all. */
  batches: Schema.Number,
  cost: Schema.Number,
  saved: Schema.Number
}) {
  /** Every request the model was asked, whatever became of it. */
  get total(): number {
    return this.queued + this.inFlight + this.done + this.failed + this.direct + this.pending
  }
}

type Counts = { -readonly [K in keyof typeof Progress.fields]: number }

/**
 * The mutable counts behind the snapshots, changed synchronously on the hot path; a snapshot is
 * built only when a reader asks for one.
 *
 * @since 0.2.0
 * @category models
 */
export interface Tracker {
  readonly counts: Counts
  /** Tells the readers something changed. */
  readonly changed: () => void
  /** The counts now. */
  readonly snapshot: () => Progress
  /** A snapshot now, then one after each change (changes in between coalesce), until `ended`. */
  readonly stream: Stream.Stream<Progress>
  /** Ends every progress stream (the layer closed). */
  readonly end: () => void
}

/**
 * A tracker with every count at 0.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeTracker = (): Tracker => {
  const counts: Counts = { queued: 0, inFlight: 0, done: 0, failed: 0, direct: 0, pending: 0, liveBatches: 0, batches: 0, cost: 0, saved: 0 }
  let signal = Deferred.unsafeMake<boolean>(FiberId.none)
  let ended = false
  const fire = (last: boolean) => {
    const previous = signal
    signal = Deferred.unsafeMake<boolean>(FiberId.none)
    Deferred.unsafeDone(previous, Exit.succeed(last))
  }
  const snapshot = () => new Progress({ ...counts })
  // each step takes the signal before the snapshot, so a change made while the reader is busy
  // wakes its next wait at once
  const stream = Stream.unfoldEffect<Deferred.Deferred<boolean> | undefined, Progress, never, never>(undefined, (wait) =>
    Effect.suspend(() => {
      if (wait === undefined) {
        const next = signal
        return Effect.succeed(Option.some([snapshot(), ended ? undefined : next] as const))
      }
      return Effect.map(Deferred.await(wait), (last) => {
        if (last) return Option.none()
        const next = signal
        return Option.some([snapshot(), next] as const)
      })
    })).pipe(Stream.takeUntil(() => ended))
  return {
    counts,
    changed: () => {
      if (!ended) fire(false)
    },
    snapshot,
    stream,
    end: () => {
      if (ended) return
      ended = true
      fire(true)
    }
  }
}
