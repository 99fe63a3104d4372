/**
 * What a batch model keeps of one list's encoding between validate (or sizing) and the create of
 * that same list, so that the create does not encode the list again (Batch.create, and
 * Batch.run for a list that fits one batch, pass the validated list on as it is).
 *
 * One list at a time, never an entry per request or per list: a newer list's encoding replaces
 * it, and the model drops it at anything that shows the list will not be sent as it is (a size
 * asked request by request, as when it is split) and when any create starts, whichever list it
 * sends (that create holds the encoding while it uploads). A list validated and never created
 * (a resumed run with every batch recorded) holds it until the model's next create or validate.
 * @internal
 * @since 0.1.0
 */

/**
 * One list's kept encoding (see the module).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeptEncoding<A> {
  /** Keeps `value` as the encoding of `requests`, in place of any other list's. */
  readonly keep: (requests: ReadonlyArray<unknown>, value: A) => void
  /** The encoding kept for this very list (the same array), if any. */
  readonly of: (requests: ReadonlyArray<unknown>) => A | undefined
  /** Drops what is kept. */
  readonly drop: () => void
}

/**
 * An empty {@link KeptEncoding}.
 *
 * @since 0.1.0
 * @category utils
 */
export const keptEncoding = <A>(): KeptEncoding<A> => {
  let kept: { readonly requests: ReadonlyArray<unknown>; readonly value: A } | undefined
  return {
    keep: (requests, value) => {
      kept = { requests, value }
    },
    of: (requests) => (kept?.requests === requests ? kept.value : undefined),
    drop: () => {
      kept = undefined
    }
  }
}
