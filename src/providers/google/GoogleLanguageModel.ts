/**
 * The Gemini `LanguageModel`: calls `sdk.models.generateContent` / `generateContentStream` with
 * the call's `abortSignal` (interrupting the fiber aborts the HTTP request) and translates with
 * the codec. Validation, settings, the unsupported-setting warning, retries and spans come from
 * `LanguageModel.make`.
 *
 * @since 0.1.0
 */
import { Effect, Either, Layer, Redacted, type Scope, Stream } from "effect"
import { type AiError, ConnectionError, ResponseDecodeError } from "../../AiError.js"
import { abortable } from "../../internal/http/abortableFetch.js"
import { openSdkStream } from "../../internal/stream/openSdkStream.js"
import { loggedWarnings } from "../../internal/codec/loggedWarnings.js"
import * as LanguageModel from "../../LanguageModel.js"
import type { ModelMessage, ModelResponse } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import type * as StreamEvent from "../../StreamEvent.js"
import { withCachedContent } from "./cachedContent.js"
import { decodeResponse, type EncodedRequest, encodeRequest, providerName, supportedSettings } from "./codec.js"
import { mapError } from "./errors.js"
import { GoogleClient } from "./GoogleClient.js"
import { googleSdk } from "./sdk.js"
import { StreamDecoder } from "./streamDecoder.js"

/**
 * Options of {@link make} and {@link layer}: default settings, the retry policy, and
 * `cachedContent`, the name of cached content every request uses (see `Google.cachedContent`).
 *
 * @since 0.1.0
 * @category options
 */
export type Options = LanguageModel.ModelDefaults & { readonly cachedContent?: string | undefined }

/**
 * Builds the Gemini `LanguageModel` service for one model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, GoogleClient> =>
  // the SDK module is loaded by then (the client was built from it): its error class
  Effect.zipWith(GoogleClient, googleSdk, (client, sdkModule) => {
    const onError = mapError(Redacted.value(client.apiKey), sdkModule)

    const prepare = (messages: ReadonlyArray<ModelMessage>, context: LanguageModel.CallContext): Effect.Effect<EncodedRequest, AiError> =>
      Effect.flatMap(encodeRequest(modelName, messages, context), (encoded) => loggedWarnings(encoded, `${providerName}: `))

    const open = (
      encoded: EncodedRequest,
      parameters: ModelRequestParameters
    ): Effect.Effect<Stream.Stream<StreamEvent.ModelResponseStreamEvent, AiError>, AiError, Scope.Scope> =>
      openSdkStream(
        (controller) =>
          client.sdk.models.generateContentStream({
            model: encoded.model,
            contents: encoded.contents,
            config: { ...encoded.config, abortSignal: controller.signal }
          }),
        (chunks) => {
          const decoder = new StreamDecoder(parameters, encoded.model)
          const decodeFailure = (detail: string) => new ResponseDecodeError({ provider: providerName, path: "stream", detail })
          return {
            chunks,
            decoder: {
              chunk: (chunk) => Either.mapLeft(decoder.push(chunk), decodeFailure),
              end: () => Either.mapLeft(decoder.end(), (detail) => new ConnectionError({ provider: providerName, detail }))
            }
          }
        },
        onError
      )

    const request = (messages: ReadonlyArray<ModelMessage>, context: LanguageModel.CallContext): Effect.Effect<ModelResponse, AiError> =>
      Effect.flatMap(prepare(messages, context), (encoded) =>
        Effect.flatMap(
          abortable(
            (controller) =>
              client.sdk.models.generateContent({
                model: encoded.model,
                contents: encoded.contents,
                config: { ...encoded.config, abortSignal: controller.signal }
              }),
            onError
          ),
          (response) => decodeResponse(response, encoded.model)
        ))

    return LanguageModel.make({
      provider: providerName,
      modelName,
      supportedSettings,
      request,
      openStream: (messages, context) => Effect.flatMap(prepare(messages, context), (encoded) => open(encoded, context.parameters))
    }, options?.cachedContent !== undefined ? { ...options, settings: withCachedContent(options.cachedContent, options.settings) } : options)
  })

/**
 * The Gemini `LanguageModel` as a Layer over the client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, GoogleClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
