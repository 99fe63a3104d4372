/**
 * The OpenAI `LanguageModel` on the Responses API (`POST /v1/responses`) through the official
 * SDK's `client.responses.create`, plain and streamed. Like the Chat Completions model it only
 * calls the SDK and its codec (./responsesCodec.ts); `LanguageModel.make` adds validation,
 * settings merge, retries and spans, and errors map through ./errors.ts.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import * as LanguageModel from "../../LanguageModel.js"
import { type GenerationApi, implementationOf } from "./OpenAiLanguageModel.js"
import { OpenAiClient } from "./OpenAiClient.js"
import { openAiSdk } from "./sdk.js"
import {
  decodeResponse,
  type EncodeOptions,
  encodeRequest,
  type ResponsesRequestBody,
  ResponsesStreamDecoder,
  streamingBody,
  supportedSettings
} from "./responsesCodec.js"

/**
 * Options of a Responses model: defaults and retry policy of its calls, system role, reasoning, storage.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options extends LanguageModel.ModelDefaults, EncodeOptions {}

export { supportedSettings }

/**
 * The Responses API (`POST /v1/responses`).
 *
 * @since 0.1.0
 * @category constants
 */
export const responses: GenerationApi<ResponsesRequestBody, EncodeOptions> = {
  supportedSettings,
  encode: encodeRequest,
  create: (sdk, body, options) => sdk.responses.create(body, options),
  createStream: async (sdk, body, options) => {
    const { data, request_id } = await sdk.responses.create(streamingBody(body), options).withResponse()
    return { data, requestId: request_id ?? undefined }
  },
  decode: decodeResponse,
  streamDecoder: (parameters, options) => {
    const decoder = new ResponsesStreamDecoder(parameters, options)
    return { chunk: (event) => decoder.event(event), end: () => decoder.end() }
  }
}

/**
 * The Responses implementation over a client; `LanguageModel.make` turns it into the service.
 *
 * @since 0.1.0
 * @category constants
 */
export const implementation = implementationOf(responses)

/**
 * The service over the client in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<LanguageModel.Service, never, OpenAiClient> =>
  Effect.zipWith(OpenAiClient, openAiSdk, (client, sdk) => LanguageModel.make(implementation(client, modelName, options, sdk), options))

/**
 * The Responses `LanguageModel` layer of one OpenAI model, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(modelName, options))
