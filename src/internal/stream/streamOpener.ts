/**
 * A hidden capability of the `LanguageModel` services built by `LanguageModel.make`: opening a
 * streamed request (validation, retries, span, the HTTP request) and handing back its events
 * as a Stream, in a scope the caller owns. The promise facade uses it to read the events of a
 * provider stream directly (sdkStream.ts `directReaderOf`) instead of running the Stream.
 *
 * The property is not enumerable, so a service a user builds by spreading another one
 * (`{ ...service, requestStream }`) does not inherit it, and the facade then runs that
 * service's own `requestStream`.
 * @internal
 * @since 0.1.0
 */
import type { Effect, Scope, Stream } from "effect"
import type { AiError } from "../../AiError.js"
import type { ModelMessage } from "../../Message.js"
import type { ModelResponseStreamEvent } from "../../StreamEvent.js"

/**
 * Opens one streamed request in the caller's scope.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamOpener<Options> = (
  messages: ReadonlyArray<ModelMessage>,
  options: Options | undefined
) => Effect.Effect<Stream.Stream<ModelResponseStreamEvent, AiError>, AiError, Scope.Scope>

const key: unique symbol = Symbol.for("effect-llm-direct/internal/StreamOpener")

/**
 * Attaches the opener to a service object (not enumerable).
 *
 * @since 0.1.0
 * @category utils
 */
export const withStreamOpener = <S extends object, Options>(service: S, opener: StreamOpener<Options>): S =>
  Object.defineProperty(service, key, { value: opener, enumerable: false })

/**
 * The opener of a service, if it has one.
 *
 * @since 0.1.0
 * @category utils
 */
export const streamOpenerOf = <Options>(service: object): StreamOpener<Options> | undefined =>
  (service as { readonly [key]?: StreamOpener<Options> })[key]
