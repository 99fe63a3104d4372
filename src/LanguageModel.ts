/**
 * The `LanguageModel` service: a request (an `Effect`) and a streamed request (a `Stream`) to one
 * model of one provider. Provider layers (`OpenAi.model`, `Anthropic.model`) and test layers
 * (`TestModel`, `FunctionModel`) provide it; programs depend only on this Tag.
 *
 * @since 0.1.0
 */
import { Context, Effect, type Scope, Stream } from "effect"
import { type AiError, InvalidInputError } from "./AiError.js"
import type { ModelMessage, ModelResponse } from "./Message.js"
import { mergeSettings, ModelRequestParameters, type ModelRequestParametersInput, type ModelSettings } from "./Parameters.js"
import * as Retry from "./Retry.js"
import type { ModelResponseStreamEvent } from "./StreamEvent.js"
import * as Telemetry from "./Telemetry.js"

/** Options of one request. */
export interface RequestOptions {
  /** Tools and output the request offers the model. */
  readonly parameters?: ModelRequestParametersInput | undefined
  /** Sampling, limits, headers; merged over the model's default settings. */
  readonly settings?: ModelSettings | undefined
  /** `false` turns this call's span off. */
  readonly instrument?: boolean | undefined
  /** This call's retry policy (`false` for none); defaults to the model's, else {@link Retry.defaultPolicy}. */
  readonly retry?: Retry.Policy | false | undefined
}

/** What a `LanguageModel` does. */
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

/** The `LanguageModel` service Tag. */
export class LanguageModel extends Context.Tag("effect-llm-direct/LanguageModel")<LanguageModel, Service>() {}

/** What a provider implements; {@link make} adds validation, settings, retries and spans. */
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

/** What one call hands the provider: normalised parameters and merged settings. */
export interface CallContext {
  readonly parameters: ModelRequestParameters
  readonly settings: ModelSettings
}

/** Defaults a model applies to every call. */
export interface ModelDefaults {
  /** Settings every call starts from. */
  readonly settings?: ModelSettings | undefined
  /** The retry policy of every call (`false` for none). */
  readonly retry?: Retry.Policy | false | undefined
}

const checkMessages = (provider: string, messages: ReadonlyArray<ModelMessage>): Effect.Effect<void, InvalidInputError> =>
  messages.length === 0
    ? Effect.fail(new InvalidInputError({ provider, reason: "the message list is empty; pass at least one ModelRequest, for example ModelRequest.userTextPrompt(\"...\")." }))
    : Effect.void

const warnUnsupported = (impl: Implementation, settings: ModelSettings): Effect.Effect<void> => {
  const ignored = (Object.keys(settings) as Array<keyof ModelSettings>).filter(
    (key) => settings[key] !== undefined && !impl.supportedSettings.includes(key)
  )
  return ignored.length === 0
    ? Effect.void
    : Effect.logWarning(`${impl.provider} does not support the setting${ignored.length > 1 ? "s" : ""} ${ignored.join(", ")}; ignored.`)
}

/** Builds the service from a provider implementation. */
export const make = (impl: Implementation, defaults?: ModelDefaults): Service => {
  const prepare = (messages: ReadonlyArray<ModelMessage>, options: RequestOptions | undefined) =>
    Effect.gen(function* () {
      yield* checkMessages(impl.provider, messages)
      const parameters = yield* Effect.try({
        try: () => ModelRequestParameters.from(options?.parameters),
        catch: (e) => new InvalidInputError({ provider: impl.provider, reason: `bad request parameters: ${e instanceof Error ? e.message : String(e)}` })
      })
      const settings = mergeSettings(defaults?.settings, options?.settings)
      yield* warnUnsupported(impl, settings)
      return { parameters, settings } satisfies CallContext
    })
  const policy = (options: RequestOptions | undefined) => options?.retry ?? defaults?.retry
  const spanInfo = (options: RequestOptions | undefined) => ({
    provider: impl.provider,
    model: impl.modelName,
    settings: mergeSettings(defaults?.settings, options?.settings),
    instrument: options?.instrument
  })
  return {
    provider: impl.provider,
    modelName: impl.modelName,
    request: (messages, options) =>
      Telemetry.chatSpan(
        Effect.flatMap(prepare(messages, options), (context) => Retry.retry(impl.request(messages, context), policy(options))),
        spanInfo(options)
      ),
    requestStream: (messages, options) =>
      Telemetry.chatStreamSpan(
        Stream.unwrapScoped(
          Effect.flatMap(prepare(messages, options), (context) => Retry.retry(impl.openStream(messages, context), policy(options)))
        ),
        spanInfo(options)
      )
  }
}

/**
 * Makes a request with the `LanguageModel` in context.
 *
 * @example
 * const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("Hi")])
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
 */
export const requestStream = (
  messages: ReadonlyArray<ModelMessage>,
  options?: RequestOptions
): Stream.Stream<ModelResponseStreamEvent, AiError, LanguageModel> =>
  Stream.unwrap(Effect.map(LanguageModel, (model) => model.requestStream(messages, options)))
