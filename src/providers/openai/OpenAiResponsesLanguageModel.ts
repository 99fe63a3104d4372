/**
 * The OpenAI `LanguageModel` on the Responses API (`POST /v1/responses`) through the official
 * SDK's `client.responses.create`, plain and streamed. Like the Chat Completions model it only
 * calls the SDK and its codec (./responsesCodec.ts); `LanguageModel.make` adds validation,
 * settings merge, retries and spans, and errors map through ./errors.ts.
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
import { PROVIDER } from "./codec.js"
import { fromSdkError } from "./errors.js"
import { OpenAiClient, type Service as ClientService } from "./OpenAiClient.js"
import {
  decodeResponse,
  type EncodedResponsesRequest,
  type EncodeOptions,
  encodeRequest,
  ResponsesStreamDecoder,
  streamingBody,
  supportedSettings
} from "./responsesCodec.js"

/** Options of a Responses model: defaults and retry policy of its calls, system role, reasoning, storage. */
export interface Options extends LanguageModel.ModelDefaults, EncodeOptions {}

export { supportedSettings }

const encode = (
  modelName: string,
  messages: ReadonlyArray<ModelMessage>,
  context: LanguageModel.CallContext,
  options: EncodeOptions | undefined
): Effect.Effect<EncodedResponsesRequest, AiError> => {
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
    request: (messages, context) =>
      Effect.flatMap(encode(modelName, messages, context, options), ({ body, requestOptions }) =>
        Effect.flatMap(
          abortable(
            (controller) => client.sdk.responses.create(body, { ...requestOptions, ...abortOptions(controller) }),
            (error) => fromSdkError(error, { secrets, where: "body" })
          ),
          (data) => {
            const requestId = (data as { readonly _request_id?: string | null } | null)?._request_id ?? undefined
            return decodeResponse(data, requestId === undefined ? decodeOptions : { ...decodeOptions, requestId })
          }
        )),
    openStream: (messages, context) =>
      Effect.flatMap(encode(modelName, messages, context, options), ({ body, requestOptions }) =>
        openSdkStream(
          async (controller) => {
            const { data, request_id } = await client.sdk.responses
              .create(streamingBody(body), { ...requestOptions, ...abortOptions(controller) })
              .withResponse()
            return { data, requestId: request_id ?? undefined }
          },
          ({ data, requestId }) => {
            const decoder = new ResponsesStreamDecoder(context.parameters, { ...decodeOptions, requestId })
            return { chunks: data as AsyncIterable<unknown>, decoder: { chunk: (event) => decoder.event(event), end: () => decoder.end() } }
          },
          (error) => fromSdkError(error, { secrets, where: "stream" })
        ))
  }
}

/** The service over the client in context. */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, OpenAiClient> =>
  Effect.map(OpenAiClient, (client) => LanguageModel.make(implementation(client, modelName, options), options))

/** The Responses `LanguageModel` layer of one OpenAI model, over the client in context. */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
