/**
 * Azure OpenAI: the OpenAI models of this library (Chat Completions, Responses, batches) over
 * the openai SDK's `AzureOpenAI` client. A model's name is the Azure deployment name (the SDK
 * puts it in the deployment-scoped paths, `/openai/deployments/{deployment}/chat/completions`);
 * batches use Azure's endpoint names (`/chat/completions`, `/responses`). Codecs, errors, retries
 * and spans are those of the OpenAI provider: Azure answers with OpenAI's error shapes and
 * statuses, and a batch that fails for the enqueued-token limit is the same BatchFailedError.
 * The same shape as every provider module: `layer`, `layerConfig`, `model`, `languageModel`,
 * `batchModel`, the client Tag, `ClientOptions`, `ClientConfig`, `ModelOptions`,
 * `BatchModelOptions`, `Codec`, `BatchCodec`, `batchLimits`, `configVariables`.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { AzureOpenAi } from "effect-llm-direct/azure"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hello")])
 * program.pipe(Effect.provide(AzureOpenAi.model("my-gpt-4o-mini")))   // AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as OpenAiBatchModel from "../openai/OpenAiBatchModel.js"
import type { OpenAiClient, Service as OpenAiClientService } from "../openai/OpenAiClient.js"
import * as OpenAiLanguageModel from "../openai/OpenAiLanguageModel.js"
import * as OpenAiResponsesLanguageModel from "../openai/OpenAiResponsesLanguageModel.js"
import * as AzureOpenAiClient from "./AzureOpenAiClient.js"
import { chatCompletionsBatchApi, responsesBatchApi } from "./batchCodec.js"

export {
  /**
   * The client service Tag: Azure's client is an `OpenAiClient`, so every OpenAI model runs on it.
   *
   * @since 0.2.0
   * @category context
   */
  OpenAiClient
} from "../openai/OpenAiClient.js"

export {
  /**
   * How the client authenticates: an API key or a Microsoft Entra token provider.
   *
   * @since 0.1.0
   * @category options
   */
  type Credentials,
  /**
   * The API version sent when none is given.
   *
   * @since 0.1.0
   * @category constants
   */
  defaultApiVersion,
  /**
   * Every client option from the environment, as one `Config`.
   *
   * @since 0.1.0
   * @category constants
   */
  optionsConfig
} from "./AzureOpenAiClient.js"

export {
  /**
   * Azure's batch endpoint of Chat Completions.
   *
   * @since 0.1.0
   * @category codecs
   */
  chatCompletionsBatchApi,
  /**
   * Azure's batch endpoint of Responses.
   *
   * @since 0.1.0
   * @category codecs
   */
  responsesBatchApi
} from "./batchCodec.js"

/**
 * What the client service holds (that of the OpenAI provider).
 *
 * @since 0.2.0
 * @category models
 */
export type ClientService = OpenAiClientService

/**
 * Options of {@link layer}: the endpoint, credentials (apiKey or azureADTokenProvider),
 * apiVersion and timeout.
 *
 * @since 0.1.0
 * @category options
 */
export type ClientOptions = AzureOpenAiClient.Options

/**
 * The argument of {@link layerConfig}: a `Config` (or the value) for any client option.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = AzureOpenAiClient.ClientConfig

/**
 * The Azure client from options, as the `OpenAiClient` every OpenAI model runs over.
 *
 * @example
 * AzureOpenAi.layer({ endpoint: "https://my-resource.openai.azure.com", apiKey: Redacted.make(key) })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: ClientOptions) => Layer.Layer<OpenAiClient> = AzureOpenAiClient.layer

/**
 * The Azure client through `Config`: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY (required),
 * AZURE_OPENAI_API_VERSION or OPENAI_API_VERSION, unless `config` gives an option a `Config` of
 * your own.
 *
 * @example
 * AzureOpenAi.layerConfig({ endpoint: Config.string("MY_AZURE_ENDPOINT"), apiKey: Config.redacted("MY_AZURE_KEY") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (config?: ClientConfig) => Layer.Layer<OpenAiClient, ConfigError.ConfigError> = AzureOpenAiClient.layerConfig

/**
 * The environment variables {@link layerConfig} reads by default.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = AzureOpenAiClient.configVariables

/**
 * Options of {@link languageModel} and {@link model}: default settings, retry policy, system role.
 *
 * @since 0.2.0
 * @category options
 */
export type ModelOptions = OpenAiLanguageModel.Options

/**
 * Options of {@link batchModel}: settings every batch request starts from, and the system role.
 *
 * @since 0.2.0
 * @category options
 */
export type BatchModelOptions = Omit<OpenAiBatchModel.Options, "api">

/**
 * Options of a Responses deployment: those of {@link ModelOptions}, plus reasoning and `store`.
 *
 * @since 0.2.0
 * @category options
 */
export type ResponsesModelOptions = OpenAiResponsesLanguageModel.Options

/**
 * Azure's limits of one batch: those of the OpenAI Batch API; `Batch.run` splits larger lists.
 *
 * @since 0.2.0
 * @category constants
 */
export const batchLimits: BatchModel.Limits = OpenAiBatchModel.limits

/**
 * The Chat Completions codec (pure: our messages ⇄ wire JSON), the OpenAI provider's.
 *
 * @since 0.2.0
 * @category codecs
 */
export * as Codec from "../openai/codec.js"

/**
 * The Batch API's wire formats and status map (the OpenAI provider's), with Azure's endpoints.
 *
 * @since 0.2.0
 * @category codecs
 */
export * as BatchCodec from "./batchCodec.js"

/**
 * The Chat Completions `LanguageModel` of one deployment, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const languageModel = (deployment: string, options?: ModelOptions): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  OpenAiLanguageModel.layer(deployment, options)

/**
 * The Responses `LanguageModel` of one deployment, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesLanguageModel = (
  deployment: string,
  options?: ResponsesModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> => OpenAiResponsesLanguageModel.layer(deployment, options)

/**
 * The `BatchModel` of one (global or data-zone batch) deployment on `/chat/completions`, over
 * the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const batchModel = (deployment: string, options?: BatchModelOptions): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  OpenAiBatchModel.layer(deployment, { ...options, api: chatCompletionsBatchApi })

/**
 * The `BatchModel` of one deployment on `/responses`, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesBatchModel = (deployment: string, options?: BatchModelOptions): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  OpenAiBatchModel.layer(deployment, { ...options, api: responsesBatchApi })

/**
 * A ready Chat Completions deployment: its `LanguageModel` and `BatchModel`, with the client
 * from the environment ({@link layerConfig}) or from `options.client`. The model string
 * `"azure:<deployment>"` resolves to it.
 *
 * @example
 * Effect.provide(program, AzureOpenAi.model("my-gpt-4o-mini"))
 *
 * @since 0.1.0
 * @category layers
 */
export const model = (
  deployment: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(deployment, options), batchModel(deployment, options)).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )

/**
 * A ready Responses deployment: its `LanguageModel` and `BatchModel` on the Responses API. The
 * model string `"azure-responses:<deployment>"` resolves to it.
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesModel = (
  deployment: string,
  options?: ResponsesModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(responsesLanguageModel(deployment, options), responsesBatchModel(deployment, options)).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )
