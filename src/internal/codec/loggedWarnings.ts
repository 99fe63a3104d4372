/**
 * What an encoded request left out or changed, logged at warning level before it is sent: the
 * same for every provider. Free when there are no warnings (the common case, on every request).
 * @internal
 * @since 0.1.0
 */
import { Effect } from "effect"

/**
 * `encoded`, after logging each of its warnings (with `prefix`, e.g. the provider's name).
 *
 * @since 0.1.0
 * @category utils
 */
export const loggedWarnings = <A extends { readonly warnings: ReadonlyArray<string> }>(encoded: A, prefix = ""): Effect.Effect<A> =>
  encoded.warnings.length === 0
    ? Effect.succeed(encoded)
    : Effect.as(Effect.forEach(encoded.warnings, (w) => Effect.logWarning(prefix + w), { discard: true }), encoded)
