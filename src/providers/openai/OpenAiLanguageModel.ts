/**
 * The OpenAI `LanguageModel`: Chat Completions requests and streams through the official SDK.
 * It only calls the SDK and the codec; `LanguageModel.make` adds validation, settings merge,
 * retries and spans.
 *
 * @since 0.1.0
 */
import { Effect, Either, Layer, Redacted } from "effect"
import type { AiError } from "../../AiError.js"
import { abortable, abortOptions } from "../../internal/abortableFetch.js"
import { openSdkStream } from "../../internal/openSdkStream.js"
import { loggedWarnings } from "../../internal/loggedWarnings.js"
import * as LanguageModel from "../../LanguageModel.js"
import type { ModelMessage } from "../../Message.js"
import type { ModelSettings } from "../../Parameters.js"
import { decodeChatCompletion, type EncodedRequest, type EncodeOptions, encodeRequest, PROVIDER, StreamDecoder, streamingBody } from "./codec.js"
import { fromSdkError } from "./errors.js"
import { OpenAiClient, type Service as ClientService } from "./OpenAiClient.js"

/** Options of an OpenAI language model. */
export interface Options extends LanguageModel.ModelDefaults, EncodeOptions {}

/** Every setting of {@link ModelSettings}: Chat Completions can send them all. */
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
  "extraHeaders",
  "extraBody"
]

const encode = (
  modelName: string,
  messages: ReadonlyArray<ModelMessage>,
  context: LanguageModel.CallContext,
  options: EncodeOptions | undefined
): Effect.Effect<EncodedRequest, AiError> => {
  const result = encodeRequest(modelName, messages, context.parameters, context.settings, options)
  if (Either.isLeft(result)) return Effect.fail(result.left)
  return loggedWarnings(result.right)
}

/** The provider implementation over a client; `LanguageModel.make` turns it into the service. */
export const implementation = (client: ClientService, modelName: string, options?: EncodeOptions): LanguageModel.Implementation => {
  const secrets = [Redacted.value(client.apiKey)]
  const decodeOptions = { requestedModel: modelName }
  return {
    provider: PROVIDER,
    modelName,
    supportedSettings,
    // a flatMap chain rather than Effect.gen: this runs on every request
    request: (messages, context) =>
      Effect.flatMap(encode(modelName, messages, context, options), ({ body, requestOptions }) =>
        Effect.flatMap(
          // interruption aborts the HTTP request (internal/abortableFetch.ts)
          abortable(
            (controller) => client.sdk.chat.completions.create(body, { ...requestOptions, ...abortOptions(controller) }),
            (error) => fromSdkError(error, { secrets, where: "body" })
          ),
          (data) => {
            // the SDK puts the request id on the parsed body (`_request_id`): `.withResponse()` is not needed
            const requestId = (data as { readonly _request_id?: string | null } | null)?._request_id ?? undefined
            return decodeChatCompletion(data, requestId === undefined ? decodeOptions : { ...decodeOptions, requestId })
          }
        )),
    openStream: (messages, context) =>
      Effect.flatMap(encode(modelName, messages, context, options), ({ body, requestOptions }) =>
        openSdkStream(
          async (controller) => {
            const { data, request_id } = await client.sdk.chat.completions
              .create(streamingBody(body), { ...requestOptions, ...abortOptions(controller) })
              .withResponse()
            return { data, requestId: request_id ?? undefined }
          },
          ({ data, requestId }) => {
            const decoder = new StreamDecoder(context.parameters, { ...decodeOptions, requestId })
            return { chunks: data as AsyncIterable<unknown>, decoder: { chunk: (chunk) => decoder.chunk(chunk), end: () => decoder.end() } }
          },
          (error) => fromSdkError(error, { secrets, where: "stream" })
        ))
  }
}

/** The service over the client in context. */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, OpenAiClient> =>
  Effect.map(OpenAiClient, (client) => LanguageModel.make(implementation(client, modelName, options), options))

/** The `LanguageModel` layer of one OpenAI model, over the client in context. */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
