/**
 * The Anthropic `LanguageModel`: calls `sdk.messages.create` with an `AbortSignal` from Effect
 * (interrupting the fiber aborts the HTTP request) and translates with the codec. Validation,
 * settings, the unsupported-setting warning, retries and spans come from `LanguageModel.make`.
 *
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Effect, Either, Layer, Redacted, type Scope, Stream } from "effect"
import { type AiError, ConnectionError, ResponseDecodeError } from "../../AiError.js"
import { abortable, abortOptions } from "../../internal/http/abortableFetch.js"
import { openSdkStream } from "../../internal/stream/openSdkStream.js"
import { loggedWarnings } from "../../internal/codec/loggedWarnings.js"
import * as LanguageModel from "../../LanguageModel.js"
import type { ModelMessage, ModelResponse } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import * as StreamEvent from "../../StreamEvent.js"
import { AnthropicClient, type Service as ClientService } from "./AnthropicClient.js"
import { decodeMessage, type EncodedRequest, encodeRequest, providerName, supportedSettings } from "./codec.js"
import { type ErrorClasses, mapError } from "./errors.js"
import { anthropicSdk } from "./sdk.js"
import { StreamDecoder } from "./streamDecoder.js"

// The SDK's per-model caps for non-streamed requests (its internal MODEL_NONSTREAMING_TOKENS,
// which the package does not export), as of @anthropic-ai/sdk 1.11.
const nonStreamingTokenCaps: Readonly<Record<string, number>> = {
  "claude-opus-4@20250514": 8192,
  "anthropic.claude-opus-4-1-20250805-v1:0": 8192,
  "claude-opus-4-1@20250805": 8192
}

/**
 * Whether the SDK would refuse this request unstreamed. `messages.create` throws, before sending
 * anything, when neither the request nor the client sets a timeout and either the expected time
 * (60 min × max_tokens / 128,000) exceeds 10 minutes — max_tokens above 21,333 — or max_tokens
 * exceeds the model's non-streaming cap. We ask the SDK's own public calculator.
 *
 * @since 0.1.0
 * @category utils
 */
export const requiresStreaming = (client: ClientService, request: EncodedRequest): boolean => {
  if (request.options.timeout !== undefined || client.timeoutMs !== undefined) return false
  try {
    client.sdk.calculateNonstreamingTimeout(request.body.max_tokens, nonStreamingTokenCaps[request.body.model])
    return false
  } catch {
    return true
  }
}

// The same refusal, caught when it happens anyway (a future SDK with new caps): an AnthropicError
// that is not an APIError, thrown before any request was sent.
const isStreamingRequired = (error: unknown, { AnthropicError, APIError }: ErrorClasses): boolean =>
  error instanceof AnthropicError && !(error instanceof APIError) && /streaming is required/i.test(error.message)

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export type Options = LanguageModel.ModelDefaults

/**
 * Builds the Anthropic `LanguageModel` service for one model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, AnthropicClient> =>
  // the SDK module is loaded by then (the client was built from it): its error classes
  Effect.zipWith(AnthropicClient, anthropicSdk, (client, sdkModule) => {
    const onError = mapError(Redacted.value(client.apiKey), sdkModule)

    const prepare = (messages: ReadonlyArray<ModelMessage>, context: LanguageModel.CallContext): Effect.Effect<EncodedRequest, AiError> =>
      Effect.flatMap(encodeRequest(modelName, messages, context), (encoded) => loggedWarnings(encoded, `${providerName}: `))

    const open = (
      encoded: EncodedRequest,
      parameters: ModelRequestParameters
    ): Effect.Effect<Stream.Stream<StreamEvent.ModelResponseStreamEvent, AiError>, AiError, Scope.Scope> =>
      openSdkStream(
        (controller) => client.sdk.messages.create({ ...encoded.body, stream: true }, { ...encoded.options, ...abortOptions(controller) }),
        (events) => {
          const decoder = new StreamDecoder(parameters, encoded.body.model)
          return {
            chunks: events,
            decoder: {
              chunk: (event) => decoder.push(event),
              end: () =>
                Either.match(decoder.end(), {
                  onLeft: (detail) => Either.left(new ConnectionError({ provider: providerName, detail })),
                  onRight: () => Either.right([])
                })
            }
          }
        },
        onError
      )

    // A request the SDK will not send unstreamed: stream it and add the events up.
    const viaStream = (encoded: EncodedRequest, parameters: ModelRequestParameters): Effect.Effect<ModelResponse, AiError> =>
      Effect.scoped(Effect.flatMap(open(encoded, parameters), StreamEvent.accumulateStream))

    // a flatMap chain rather than Effect.gen: this runs on every request
    const request = (messages: ReadonlyArray<ModelMessage>, context: LanguageModel.CallContext): Effect.Effect<ModelResponse, AiError> =>
      Effect.flatMap(prepare(messages, context), (encoded) => {
        if (requiresStreaming(client, encoded)) return viaStream(encoded, context.parameters)
        return Effect.flatMap(
          // interruption aborts the HTTP request (internal/http/abortableFetch.ts)
          abortable(
            (controller) =>
              client.sdk.messages.create(encoded.body, { ...encoded.options, ...abortOptions(controller) }).then(
                (message): (Anthropic.Message & { readonly _request_id?: string | null | undefined }) | undefined => message,
                // the SDK refused to send it unstreamed after all: undefined, streamed below
                (error: unknown) => {
                  if (isStreamingRequired(error, sdkModule)) return undefined
                  throw error
                }
              ),
            onError
          ),
          (message) => {
            if (message === undefined) return viaStream(encoded, context.parameters)
            return Either.mapLeft(decodeMessage(message), (e) =>
              new ResponseDecodeError({
                provider: e.provider,
                path: e.path,
                ...(e.detail !== undefined ? { detail: e.detail } : {}),
                // the SDK hands over any JSON body, `null` included
                ...(message?._request_id ? { requestId: message._request_id } : {})
              }))
          }
        )
      })

    return LanguageModel.make({
      provider: providerName,
      modelName,
      supportedSettings,
      request,
      openStream: (messages, context) => Effect.flatMap(prepare(messages, context), (encoded) => open(encoded, context.parameters))
    }, options)
  })

/**
 * The Anthropic `LanguageModel` as a Layer over the client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, AnthropicClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
