/**
 * The OpenAI provider: a client Layer (the official `openai` SDK, from options or `Config`), a
 * `LanguageModel` over Chat Completions or the Responses API, and a `BatchModel` over the Batch
 * API; webhooks as extras. Every provider module has the same shape: `layer`, `layerConfig`,
 * `model`, `languageModel`, `batchModel`, the client Tag, `ClientOptions`, `ClientConfig`,
 * `ModelOptions`, `BatchModelOptions`, `Codec`, `BatchCodec`, `batchLimits`, `configVariables`.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { OpenAi } from "effect-llm-direct/openai"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("What is the capital of France?")])
 * program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))   // reads OPENAI_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as BatchCodecModule from "./batchCodec.js"
import * as OpenAiBatchModel from "./OpenAiBatchModel.js"
import * as OpenAiClient from "./OpenAiClient.js"
import * as OpenAiLanguageModel from "./OpenAiLanguageModel.js"
import * as OpenAiResponsesLanguageModel from "./OpenAiResponsesLanguageModel.js"
import * as OpenAiWebhook from "./OpenAiWebhook.js"

export {
  /**
   * The client service Tag: the SDK instance (retries off) and the redacted key.
   *
   * @since 0.1.0
   * @category context
   */
  OpenAiClient
} from "./OpenAiClient.js"

/**
 * What the client service holds.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientService = OpenAiClient.Service

/**
 * Options of {@link layer}: `apiKey` (Redacted or string), `baseURL`, `organization`, `project`,
 * `timeout` in seconds.
 *
 * @since 0.1.0
 * @category options
 */
export type ClientOptions = OpenAiClient.Options

/**
 * The argument of {@link layerConfig}: a `Config` (or the value) for any client option.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = OpenAiClient.ClientConfig

/**
 * The client from options.
 *
 * @example
 * OpenAi.layer({ apiKey: Redacted.make(key), baseURL: "http://localhost:8080/v1" })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: ClientOptions) => Layer.Layer<OpenAiClient.OpenAiClient> = OpenAiClient.layer

/**
 * The client through `Config`: OPENAI_API_KEY (required, read as `Config.redacted`),
 * OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, unless `config` gives an option a `Config`
 * of your own.
 *
 * @example
 * OpenAi.layerConfig({ apiKey: Config.redacted("MY_OPENAI_KEY"), baseURL: Config.string("MY_BASE") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (config?: ClientConfig) => Layer.Layer<OpenAiClient.OpenAiClient, ConfigError.ConfigError> = OpenAiClient.layerConfig

/**
 * The environment variables {@link layerConfig} reads by default.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = OpenAiClient.configVariables

/**
 * Options of {@link languageModel} and {@link model}: default settings and retry policy of the
 * calls, and the system prompt role.
 *
 * @since 0.1.0
 * @category options
 */
export type ModelOptions = OpenAiLanguageModel.Options

/**
 * Options of {@link batchModel}: settings every batch request starts from, and the system prompt role.
 *
 * @since 0.2.0
 * @category options
 */
export type BatchModelOptions = Omit<OpenAiBatchModel.Options, "api">

/**
 * OpenAI's limits of one batch (50,000 requests, 200 MB of input file); `Batch.run` splits larger lists.
 *
 * @since 0.2.0
 * @category constants
 */
export const batchLimits: BatchModel.Limits = OpenAiBatchModel.limits

/**
 * The `LanguageModel` (Chat Completions) of one OpenAI model over the client in context.
 *
 * @example
 * OpenAi.languageModel("gpt-4o-mini", { settings: { temperature: 0 } }).pipe(Layer.provide(OpenAi.layer({ apiKey })))
 *
 * @since 0.1.0
 * @category layers
 */
export const languageModel = (name: string, options?: ModelOptions): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient.OpenAiClient> =>
  OpenAiLanguageModel.layer(name, options)

/**
 * The `BatchModel` of one OpenAI model over the client in context: the Batch API on Chat
 * Completions (one model per batch; the model's default settings and system role apply to every
 * request, as in direct requests).
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey })))))
 *
 * @since 0.1.0
 * @category layers
 */
export const batchModel = (name: string, options?: BatchModelOptions): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient.OpenAiClient> =>
  OpenAiBatchModel.layer(name, options)

/**
 * A ready model: its `LanguageModel` and `BatchModel`, sharing one client from
 * {@link layerConfig} (the environment), or from `options.client` when given. `options.settings`
 * apply to direct and batch requests alike; `options.retry` to direct requests (batch calls take
 * theirs from `Batch.run`).
 *
 * @example
 * Effect.provide(program, OpenAi.model("gpt-4o-mini"))
 *
 * @since 0.1.0
 * @category layers
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(name, options), batchModel(name, options)).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )

/**
 * Options of a Responses model: those of {@link ModelOptions}, plus reasoning (effort, summary),
 * encrypted reasoning and `store`.
 *
 * @since 0.1.0
 * @category options
 */
export type ResponsesModelOptions = OpenAiResponsesLanguageModel.Options

/**
 * The `LanguageModel` of one OpenAI model on the Responses API (`/v1/responses`), over the
 * client in context. Reasoning summaries come back as ThinkingParts that keep the encrypted
 * reasoning, so a history sent back continues the model's reasoning.
 *
 * @example
 * OpenAi.responsesLanguageModel("gpt-5-mini", { reasoning: { effort: "low", summary: "auto" } }).pipe(Layer.provide(OpenAi.layer({ apiKey })))
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesLanguageModel = (
  name: string,
  options?: ResponsesModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient.OpenAiClient> => OpenAiResponsesLanguageModel.layer(name, options)

/**
 * The `BatchModel` of one OpenAI model on the Responses API: the Batch API on `/v1/responses`,
 * each line's body the Responses request a direct call would send.
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(OpenAi.responsesBatchModel("gpt-5-mini").pipe(Layer.provide(OpenAi.layer({ apiKey })))))
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesBatchModel = (
  name: string,
  options?: ResponsesModelOptions
): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient.OpenAiClient> => OpenAiBatchModel.layer(name, { ...options, api: BatchCodecModule.responsesApi })

/**
 * A ready Responses model: its `LanguageModel` and `BatchModel` on `/v1/responses`, with the
 * client from the environment ({@link layerConfig}), or from `options.client` when given. The
 * model string `"openai-responses:<model>"` resolves to it.
 *
 * @example
 * Effect.provide(program, OpenAi.responsesModel("gpt-5-mini"))
 *
 * @since 0.1.0
 * @category layers
 */
export const responsesModel = (
  name: string,
  options?: ResponsesModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(responsesLanguageModel(name, options), responsesBatchModel(name, options)).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )

/**
 * The Chat Completions codec (pure: our messages ⇄ wire JSON).
 *
 * @since 0.1.0
 * @category codecs
 */
export * as Codec from "./codec.js"

/**
 * The Responses API codec (pure: our messages ⇄ Responses JSON and stream events).
 *
 * @since 0.1.0
 * @category codecs
 */
export * as ResponsesCodec from "./responsesCodec.js"

/**
 * The Batch API's wire formats (input lines, batch objects, result lines) and the status map, pure.
 *
 * @since 0.1.0
 * @category codecs
 */
export * as BatchCodec from "./batchCodec.js"

/**
 * Webhooks: the verified-event service, its Layers, the HttpServer handler and the run completion.
 *
 * @since 0.1.0
 * @category utils
 */
export {
  type OpenAiWebhookEvent,
  OpenAiWebhooks,
  type Options as WebhookOptions,
  secretConfig as webhookSecretConfig,
  type Service as WebhooksService,
  webhookCompletion,
  webhookHandler,
  WebhookVerificationError
} from "./OpenAiWebhook.js"

/**
 * The webhooks service from an explicit secret (a PubSub shared by the handler and the runs).
 *
 * @example
 * OpenAi.webhooksLayer({ secret: Redacted.make(secret) })
 *
 * @since 0.1.0
 * @category layers
 */
export const webhooksLayer: (options: OpenAiWebhook.Options) => Layer.Layer<OpenAiWebhook.OpenAiWebhooks> = OpenAiWebhook.layer

/**
 * The webhooks service with the secret from OPENAI_WEBHOOK_SECRET, read as `Config.redacted`.
 *
 * @since 0.1.0
 * @category layers
 */
export const webhooksLayerConfig: (
  options?: Omit<OpenAiWebhook.Options, "secret">
) => Layer.Layer<OpenAiWebhook.OpenAiWebhooks, ConfigError.ConfigError> = OpenAiWebhook.layerConfig
