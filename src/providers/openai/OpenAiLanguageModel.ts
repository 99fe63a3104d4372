/**
 * The OpenAI `LanguageModel`: Chat Completions requests and streams through the official SDK.
 * It only calls the SDK and the codec; `LanguageModel.make` adds validation, settings merge,
 * retries and spans.
 *
 * @since 0.1.0
 */
import { Effect, Either, Layer, Redacted } from "effect"
import type OpenAI from "openai"
import type { AiError } from "../../AiError.js"
import { abortable, abortOptions } from "../../internal/http/abortableFetch.js"
import { loggedWarnings } from "../../internal/codec/loggedWarnings.js"
import { openSdkStream } from "../../internal/stream/openSdkStream.js"
import type { ChunkDecoder } from "../../internal/stream/sdkStream.js"
import * as LanguageModel from "../../LanguageModel.js"
import type { ModelMessage, ModelResponse } from "../../Message.js"
import type { ModelRequestParameters, ModelSettings } from "../../Parameters.js"
import type { ModelResponseStreamEvent } from "../../StreamEvent.js"
import { decodeChatCompletion, type DecodeOptions, type EncodedRequest, type EncodeOptions, encodeRequest, PROVIDER, StreamDecoder, streamingBody } from "./codec.js"
import { type ErrorClasses, fromSdkError } from "./errors.js"
import { OpenAiClient, type Service as ClientService } from "./OpenAiClient.js"
import { openAiSdk } from "./sdk.js"

/**
 * Options of an OpenAI language model.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options extends LanguageModel.ModelDefaults, EncodeOptions {}

/**
 * Every setting of {@link ModelSettings}: Chat Completions can send them all. `cacheInstructions`
 * and `cacheTools` are accepted and add nothing (OpenAI caches prompt prefixes by itself).
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedSettings: ReadonlyArray<keyof ModelSettings> = [
  "maxTokens",
  "temperature",
  "topP",
  "seed",
  "stopSequences",
  "parallelToolCalls",
  "presencePenalty",
  "frequencyPenalty",
  "timeout",
  "toolChoice",
  "cacheInstructions",
  "cacheTools",
  "promptCacheKey",
  "promptCacheRetention",
  "extraHeaders",
  "extraBody"
]

/**
 * What differs between OpenAI's two generation APIs (Chat Completions here, Responses in
 * ./OpenAiResponsesLanguageModel.ts): the codec and the SDK method. Everything else, the
 * request id, cancellation, error mapping and stream wiring, is {@link implementationOf}'s.
 *
 * @since 0.1.0
 * @category models
 */
export interface GenerationApi<Body, EncodeOptions> {
  readonly supportedSettings: ReadonlyArray<keyof ModelSettings>
  readonly encode: (
    model: string,
    messages: ReadonlyArray<ModelMessage>,
    parameters: ModelRequestParameters,
    settings: ModelSettings,
    options: EncodeOptions | undefined
  ) => Either.Either<{ readonly body: Body; readonly requestOptions: EncodedRequest["requestOptions"]; readonly warnings: ReadonlyArray<string> }, AiError>
  /** Sends the request; `options` carry the SDK options and the call's abort. */
  readonly create: (sdk: OpenAI, body: Body, options: EncodedRequest["requestOptions"] & ReturnType<typeof abortOptions>) => PromiseLike<unknown>
  /** Sends the streamed request; the SDK's event stream and the response's request id. */
  readonly createStream: (
    sdk: OpenAI,
    body: Body,
    options: EncodedRequest["requestOptions"] & ReturnType<typeof abortOptions>
  ) => Promise<{ readonly data: AsyncIterable<unknown>; readonly requestId: string | undefined }>
  readonly decode: (body: unknown, options: DecodeOptions) => Either.Either<ModelResponse, AiError>
  readonly streamDecoder: (parameters: ModelRequestParameters, options: DecodeOptions) => ChunkDecoder<unknown, ModelResponseStreamEvent, AiError>
}

/**
 * The provider implementation of one API over a client; `LanguageModel.make` turns it into the service.
 *
 * @since 0.1.0
 * @category utils
 */
export const implementationOf = <Body, EncodeOptions>(api: GenerationApi<Body, EncodeOptions>) =>
(client: ClientService, modelName: string, options: EncodeOptions | undefined, errors: ErrorClasses): LanguageModel.Implementation => {
  const secrets = [Redacted.value(client.apiKey)]
  const decodeOptions = { requestedModel: modelName }
  const encode = (messages: ReadonlyArray<ModelMessage>, context: LanguageModel.CallContext) => {
    const result = api.encode(modelName, messages, context.parameters, context.settings, options)
    return Either.isLeft(result) ? Effect.fail(result.left) : loggedWarnings(result.right)
  }
  return {
    provider: PROVIDER,
    modelName,
    supportedSettings: api.supportedSettings,
    // a flatMap chain rather than Effect.gen: this runs on every request
    request: (messages, context) =>
      Effect.flatMap(encode(messages, context), ({ body, requestOptions }) =>
        Effect.flatMap(
          // interruption aborts the HTTP request (internal/http/abortableFetch.ts)
          abortable(
            (controller) => api.create(client.sdk, body, { ...requestOptions, ...abortOptions(controller) }),
            (error) => fromSdkError(error, { secrets, where: "body", errors })
          ),
          (data) => {
            // the SDK puts the request id on the parsed body (`_request_id`): `.withResponse()` is not needed
            const requestId = (data as { readonly _request_id?: string | null } | null)?._request_id ?? undefined
            return api.decode(data, requestId === undefined ? decodeOptions : { ...decodeOptions, requestId })
          }
        )),
    openStream: (messages, context) =>
      Effect.flatMap(encode(messages, context), ({ body, requestOptions }) =>
        openSdkStream(
          (controller) => api.createStream(client.sdk, body, { ...requestOptions, ...abortOptions(controller) }),
          ({ data, requestId }) => ({ chunks: data, decoder: api.streamDecoder(context.parameters, { ...decodeOptions, requestId }) }),
          (error) => fromSdkError(error, { secrets, where: "stream", errors })
        ))
  }
}

/**
 * Chat Completions (`POST /v1/chat/completions`).
 *
 * @since 0.1.0
 * @category constants
 */
export const chatCompletions: GenerationApi<EncodedRequest["body"], EncodeOptions> = {
  supportedSettings,
  encode: encodeRequest,
  create: (sdk, body, options) => sdk.chat.completions.create(body, options),
  createStream: async (sdk, body, options) => {
    const { data, request_id } = await sdk.chat.completions.create(streamingBody(body), options).withResponse()
    return { data, requestId: request_id ?? undefined }
  },
  decode: decodeChatCompletion,
  streamDecoder: (parameters, options) => {
    const decoder = new StreamDecoder(parameters, options)
    return { chunk: (chunk) => decoder.chunk(chunk), end: () => decoder.end() }
  }
}

/**
 * The Chat Completions implementation over a client.
 *
 * @since 0.1.0
 * @category constants
 */
export const implementation = implementationOf(chatCompletions)

/**
 * The service over the client in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, OpenAiClient> =>
  Effect.zipWith(OpenAiClient, openAiSdk, (client, sdk) => LanguageModel.make(implementation(client, modelName, options, sdk), options))

/**
 * The `LanguageModel` layer of one OpenAI model, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
