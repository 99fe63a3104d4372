/**
 * Azure OpenAI: the OpenAI models of this library (Chat Completions, Responses, batches) over
 * the openai SDK's `AzureOpenAI` client. A model's name is the Azure deployment name (the SDK
 * puts it in the deployment-scoped paths, `/openai/deployments/{deployment}/chat/completions`);
 * batches use Azure's endpoint names (`/chat/completions`, `/responses`). Errors, retries and
 * spans are those of the OpenAI provider: Azure answers with OpenAI's error shapes and statuses,
 * and a batch that fails for the enqueued-token limit is the same BatchFailedError.
 * Re-exported by the package as the `AzureOpenAi` namespace.
 *
 * @example
 * const program = LanguageModel.request([ModelRequest.userTextPrompt("Hello")])
 * program.pipe(Effect.provide(AzureOpenAi.model("my-gpt-4o-mini")))   // AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import { layer as clientLayer, layerConfig as clientLayerConfig, type Options as ClientOptions } from "./AzureOpenAiClient.js"
import { chatCompletionsApi, responsesApi, withEndpoint } from "./batchCodec.js"
import * as OpenAiBatchModel from "./OpenAiBatchModel.js"
import type { OpenAiClient } from "./OpenAiClient.js"
import * as OpenAiLanguageModel from "./OpenAiLanguageModel.js"
import * as OpenAiResponsesLanguageModel from "./OpenAiResponsesLanguageModel.js"

export { type Credentials, defaultApiVersion, type Options as ClientOptions, optionsConfig } from "./AzureOpenAiClient.js"

/**
 * The Azure client from options (endpoint, apiKey or azureADTokenProvider, apiVersion, timeout),
 * as the `OpenAiClient` every OpenAI model runs over.
 *
 * @example
 * AzureOpenAi.layer({ endpoint: "https://my-resource.openai.azure.com", apiKey: Redacted.make(key) })
 */
export const layer: (options: ClientOptions) => Layer.Layer<OpenAiClient> = clientLayer

/** The Azure client from the environment: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY (required), AZURE_OPENAI_API_VERSION or OPENAI_API_VERSION. */
export const layerConfig: () => Layer.Layer<OpenAiClient, ConfigError.ConfigError> = clientLayerConfig

/** The Chat Completions `LanguageModel` of one deployment, over the client in context. */
export const languageModel = (deployment: string, options?: OpenAiLanguageModel.Options): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  OpenAiLanguageModel.layer(deployment, options)

/** The Responses `LanguageModel` of one deployment, over the client in context. */
export const responsesLanguageModel = (
  deployment: string,
  options?: OpenAiResponsesLanguageModel.Options
): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> => OpenAiResponsesLanguageModel.layer(deployment, options)

/** Azure's batch endpoint of Chat Completions. */
export const chatCompletionsBatchApi = withEndpoint(chatCompletionsApi, "/chat/completions")
/** Azure's batch endpoint of Responses. */
export const responsesBatchApi = withEndpoint(responsesApi, "/responses")

/** The `BatchModel` of one (global or data-zone batch) deployment on `/chat/completions`, over the client in context. */
export const batchModel = (deployment: string, options?: OpenAiBatchModel.Options): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  OpenAiBatchModel.layer(deployment, { ...options, api: chatCompletionsBatchApi })

/** The `BatchModel` of one deployment on `/responses`, over the client in context. */
export const responsesBatchModel = (deployment: string, options?: OpenAiBatchModel.Options): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  OpenAiBatchModel.layer(deployment, { ...options, api: responsesBatchApi })

/**
 * A ready Chat Completions deployment: its `LanguageModel` and `BatchModel`, with the client
 * from the environment ({@link layerConfig}) or from `options.client`. The model string
 * `"azure:<deployment>"` resolves to it.
 *
 * @example
 * Effect.provide(program, AzureOpenAi.model("my-gpt-4o-mini"))
 */
export const model = (
  deployment: string,
  options?: OpenAiLanguageModel.Options & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(deployment, options), batchModel(deployment, options)).pipe(
    Layer.provide(options?.client !== undefined ? clientLayer(options.client) : clientLayerConfig())
  )

/**
 * A ready Responses deployment: its `LanguageModel` and `BatchModel` on the Responses API. The
 * model string `"azure-responses:<deployment>"` resolves to it.
 */
export const responsesModel = (
  deployment: string,
  options?: OpenAiResponsesLanguageModel.Options & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(responsesLanguageModel(deployment, options), responsesBatchModel(deployment, options)).pipe(
    Layer.provide(options?.client !== undefined ? clientLayer(options.client) : clientLayerConfig())
  )
