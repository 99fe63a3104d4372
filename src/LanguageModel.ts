/**
 * The `LanguageModel` service: a request (an `Effect`) and a streamed request (a `Stream`) to one
 * model of one provider. Provider layers (`OpenAi.model`, `Anthropic.model`) and test layers
 * (`TestModel`, `FunctionModel`) provide it; programs depend only on this Tag.
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, type Scope, Stream, type Tracer } from "effect"
import type { AiError, InvalidInputError } from "./AiError.js"
import type { ModelMessage, ModelResponse } from "./Message.js"
import { mergeSettings, ModelRequestParameters, type ModelRequestParametersInput, type ModelSettings } from "./Parameters.js"
import * as Retry from "./Retry.js"
import type { ModelResponseStreamEvent } from "./StreamEvent.js"
import * as Telemetry from "./Telemetry.js"
import { checkCall } from "./internal/codec/callInput.js"
import { unwrapScopedStream } from "./internal/stream/scopedStream.js"
import { withStreamOpener } from "./internal/stream/streamOpener.js"

/**
 * Options of one request.
 *
 * @since 0.1.0
 * @category options
 */
export interface RequestOptions {
  /** Tools and output the request offers the model. */
  readonly parameters?: ModelRequestParametersInput | undefined
  /** Sampling, limits, headers; merged over the model's default settings. */
  readonly settings?: ModelSettings | undefined
  /** `false` turns this call's span off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
  /** This call's retry policy (`false` for none); defaults to the model's, else {@link Retry.defaultPolicy}. */
  readonly retry?: Retry.Policy | false | undefined
}

/**
 * What a `LanguageModel` does.
 *
 * @since 0.1.0
 * @category context
 */
export interface Service {
  /** The provider's name: "openai", "anthropic", "test", ... */
  readonly provider: string
  /** The model requests go to. */
  readonly modelName: string
  /** One request: messages in, one response out. Interruption aborts the HTTP request. */
  readonly request: (messages: ReadonlyArray<ModelMessage>, options?: RequestOptions) => Effect.Effect<ModelResponse, AiError>
  /** One streamed request. Stopping consumption (or interruption) aborts the HTTP response. */
  readonly requestStream: (messages: ReadonlyArray<ModelMessage>, options?: RequestOptions) => Stream.Stream<ModelResponseStreamEvent, AiError>
}

/**
 * The `LanguageModel` service Tag.
 *
 * @since 0.1.0
 * @category context
 */
export class LanguageModel extends Context.Tag("effect-llm-direct/LanguageModel")<LanguageModel, Service>() {}

/**
 * What a provider implements; {@link make} adds validation, settings, retries and spans.
 *
 * @since 0.1.0
 * @category models
 */
export interface Implementation {
  readonly provider: string
  readonly modelName: string
  /** The settings the provider maps; any other set field is ignored with a warning. */
  readonly supportedSettings: ReadonlyArray<keyof ModelSettings>
  /** One request attempt. */
  readonly request: (messages: ReadonlyArray<ModelMessage>, context: CallContext) => Effect.Effect<ModelResponse, AiError>
  /**
   * Opens one streamed response (the part that is retried: nothing has been emitted yet) and
   * returns its events; the scope owns the HTTP response.
   */
  readonly openStream: (messages: ReadonlyArray<ModelMessage>, context: CallContext) => Effect.Effect<Stream.Stream<ModelResponseStreamEvent, AiError>, AiError, Scope.Scope>
}

/**
 * What one call hands the provider: normalised parameters and merged settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallContext {
  readonly parameters: ModelRequestParameters
  readonly settings: ModelSettings
}

/**
 * Defaults a model applies to every call.
 *
 * @since 0.1.0
 * @category options
 */
export interface ModelDefaults {
  /** Settings every call starts from. */
  readonly settings?: ModelSettings | undefined
  /** The retry policy of every call (`false` for none). */
  readonly retry?: Retry.Policy | false | undefined
}

const unsupportedSettings = (impl: Implementation, settings: ModelSettings): ReadonlyArray<string> =>
  (Object.keys(settings) as Array<keyof ModelSettings>).filter((key) => settings[key] !== undefined && !impl.supportedSettings.includes(key))

/**
 * Retries an attempt with a policy (`Retry.retry`, which builds its schedule only after a first
 * failure, so a call that succeeds at once pays for none). When the call is traced, each attempt
 * after the first is a retry recorded on the call's span, with the error that caused it.
 */
const withRetry = <A, R>(
  attempt: Effect.Effect<A, AiError, R>,
  policy: Retry.Policy | false | undefined,
  span: Tracer.Span | undefined
): Effect.Effect<A, AiError, R> => {
  if (span === undefined || policy === false) return Retry.retry(attempt, policy)
  let attempts = 0
  let last: AiError | undefined
  const tracked = Effect.suspend(() => {
    attempts += 1
    const run = Effect.tapError(attempt, (e) => Effect.sync(() => { last = e }))
    return attempts === 1 || last === undefined ? run : Effect.zipRight(Telemetry.recordRetry(span, attempts - 1, last), run)
  })
  return Retry.retry(tracked, policy)
}

/**
 * Builds the service from a provider implementation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (impl: Implementation, defaults?: ModelDefaults): Service => {
  // plain code in one suspend, not a generator: this runs on every call
  const prepare = (messages: ReadonlyArray<ModelMessage>, options: RequestOptions | undefined): Effect.Effect<CallContext, InvalidInputError> =>
    Effect.suspend(() => {
      const checked = checkCall(impl.provider, messages, options?.parameters)
      if (Either.isLeft(checked)) return Effect.fail(checked.left)
      const parameters = checked.right
      const settings = mergeSettings(defaults?.settings, options?.settings)
      const context: CallContext = { parameters, settings }
      const ignored = unsupportedSettings(impl, settings)
      return ignored.length === 0
        ? Effect.succeed(context)
        : Effect.as(Effect.logWarning(`${impl.provider} does not support the setting${ignored.length > 1 ? "s" : ""} ${ignored.join(", ")}; ignored.`), context)
    })
  const policy = (options: RequestOptions | undefined) => options?.retry ?? defaults?.retry
  // built only when the call is traced
  const describe = (messages: ReadonlyArray<ModelMessage>, options: RequestOptions | undefined) => (): Telemetry.CallInfo => ({
    provider: impl.provider,
    model: impl.modelName,
    settings: mergeSettings(defaults?.settings, options?.settings),
    parameters: options?.parameters,
    messages
  })
  // the open of a streamed request: its span covers the whole stream (it ends when the stream's
  // scope closes, with its exit) but is the parent only of the open (the HTTP request and its
  // retries): a span provided to the whole stream would wrap every pulled element in a context
  // switch, about 20 µs per event.
  const openStream = (messages: ReadonlyArray<ModelMessage>, options: RequestOptions | undefined) =>
    Telemetry.traceStream(options?.instrument, describe(messages, options), (span) =>
      Effect.flatMap(prepare(messages, options), (context) => withRetry(impl.openStream(messages, context), policy(options), span)))
  const service: Service = {
    provider: impl.provider,
    modelName: impl.modelName,
    // one `chat` span per call, covering every attempt (the conventions' logical operation)
    request: (messages, options) =>
      Telemetry.traceRequest(options?.instrument, describe(messages, options), (span) =>
        Effect.flatMap(prepare(messages, options), (context) => withRetry(impl.request(messages, context), policy(options), span))),
    requestStream: (messages, options) => unwrapScopedStream(openStream(messages, options))
  }
  // the facade reads provider streams without running them as Streams (internal/stream/streamOpener.ts)
  return withStreamOpener(service, openStream)
}

/**
 * Makes a request with the `LanguageModel` in context.
 *
 * @example
 * const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("Hi")])
 *
 * @since 0.1.0
 * @category programs
 */
export const request = (
  messages: ReadonlyArray<ModelMessage>,
  options?: RequestOptions
): Effect.Effect<ModelResponse, AiError, LanguageModel> => Effect.flatMap(LanguageModel, (model) => model.request(messages, options))

/**
 * Makes a streamed request with the `LanguageModel` in context.
 *
 * @example
 * yield* LanguageModel.requestStream(messages).pipe(Stream.runForEach(Console.log))
 *
 * @since 0.1.0
 * @category streams
 */
export const requestStream = (
  messages: ReadonlyArray<ModelMessage>,
  options?: RequestOptions
): Stream.Stream<ModelResponseStreamEvent, AiError, LanguageModel> =>
  Stream.unwrap(Effect.map(LanguageModel, (model) => model.requestStream(messages, options)))
