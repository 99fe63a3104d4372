/**
 * The OpenAI provider: a client Layer (SDK + Config) and the Chat Completions `LanguageModel`.
 * Re-exported by the package as the `OpenAi` namespace.
 *
 * @example
 * const program = LanguageModel.request([ModelRequest.userTextPrompt("What is the capital of France?")])
 * program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))   // OPENAI_API_KEY from the environment
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as BatchCodecModule from "./batchCodec.js"
import * as OpenAiBatchModel from "./OpenAiBatchModel.js"
import { layer as clientLayer, layerConfig as clientLayerConfig, type OpenAiClient, type Options as ClientOptions } from "./OpenAiClient.js"
import * as OpenAiLanguageModel from "./OpenAiLanguageModel.js"
import * as OpenAiWebhook from "./OpenAiWebhook.js"
import * as OpenAiResponsesLanguageModel from "./OpenAiResponsesLanguageModel.js"

/** The client service Tag, its options and constructors. */
export { OpenAiClient, type Options as ClientOptions, type Service as ClientService } from "./OpenAiClient.js"

/**
 * The client from options: `apiKey` (Redacted or string), `baseURL`, `organization`, `project`,
 * `timeout` in seconds.
 *
 * @example
 * OpenAi.layer({ apiKey: Redacted.make(key), baseURL: "http://localhost:8080/v1" })
 */
export const layer: (options: ClientOptions) => Layer.Layer<OpenAiClient> = clientLayer

/** The client from the environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID. */
export const layerConfig: () => Layer.Layer<OpenAiClient, ConfigError.ConfigError> = clientLayerConfig

/** Options of a model: default settings and retry policy of its calls, and the system prompt role. */
export type ModelOptions = OpenAiLanguageModel.Options

/**
 * The `LanguageModel` of one OpenAI model over the client in context.
 *
 * @example
 * OpenAi.languageModel("gpt-4o-mini", { settings: { temperature: 0 } }).pipe(Layer.provide(OpenAi.layer({ apiKey })))
 */
export const languageModel = (name: string, options?: ModelOptions): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> =>
  OpenAiLanguageModel.layer(name, options)

/**
 * The `BatchModel` of one OpenAI model over the client in context: the Batch API on Chat
 * Completions (one model per batch; the model's default settings and system role apply to every
 * request, as in direct requests).
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey })))))
 */
export const batchModel = (name: string, options?: ModelOptions): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  OpenAiBatchModel.layer(name, options)

/**
 * A ready model: its `LanguageModel` and `BatchModel`, with the client from the environment
 * ({@link layerConfig}), or from `options.client` when given.
 *
 * @example
 * Effect.provide(program, OpenAi.model("gpt-4o-mini"))
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(name, options), batchModel(name, options)).pipe(
    Layer.provide(options?.client !== undefined ? clientLayer(options.client) : clientLayerConfig())
  )

/** Options of a Responses model: those of {@link ModelOptions}, plus reasoning (effort, summary), encrypted reasoning and `store`. */
export type ResponsesModelOptions = OpenAiResponsesLanguageModel.Options

/**
 * The `LanguageModel` of one OpenAI model on the Responses API (`/v1/responses`), over the
 * client in context. Reasoning summaries come back as ThinkingParts that keep the encrypted
 * reasoning, so a history sent back continues the model's reasoning.
 *
 * @example
 * OpenAi.responsesLanguageModel("gpt-5-mini", { reasoning: { effort: "low", summary: "auto" } }).pipe(Layer.provide(OpenAi.layer({ apiKey })))
 */
export const responsesLanguageModel = (
  name: string,
  options?: ResponsesModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, OpenAiClient> => OpenAiResponsesLanguageModel.layer(name, options)

/**
 * The `BatchModel` of one OpenAI model on the Responses API: the Batch API on `/v1/responses`,
 * each line's body the Responses request a direct call would send.
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(OpenAi.responsesBatchModel("gpt-5-mini").pipe(Layer.provide(OpenAi.layer({ apiKey })))))
 */
export const responsesBatchModel = (
  name: string,
  options?: ResponsesModelOptions
): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> => OpenAiBatchModel.layer(name, { ...options, api: BatchCodecModule.responsesApi })

/**
 * A ready Responses model: its `LanguageModel` and `BatchModel` on `/v1/responses`, with the
 * client from the environment ({@link layerConfig}), or from `options.client` when given. The
 * model string `"openai-responses:<model>"` resolves to it.
 *
 * @example
 * Effect.provide(program, OpenAi.responsesModel("gpt-5-mini"))
 */
export const responsesModel = (
  name: string,
  options?: ResponsesModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(responsesLanguageModel(name, options), responsesBatchModel(name, options)).pipe(
    Layer.provide(options?.client !== undefined ? clientLayer(options.client) : clientLayerConfig())
  )

/** The Responses API codec (pure: our messages ⇄ Responses JSON and stream events). */
export * as ResponsesCodec from "./responsesCodec.js"

/** The Chat Completions codec (pure: our messages ⇄ wire JSON), for batch code and tests. */
export * as Codec from "./codec.js"

/** The Batch API's wire formats (input lines, batch objects, result lines), pure. */
export * as BatchCodec from "./batchCodec.js"

/** Seed 004's OpenAI batch API: createChatRequest, batchCreateJob, batchGetStatus, batchRetrieveJob, ... */
export * as Batch from "./OpenAiBatch.js"

/** Webhooks: the verified-event service, its Layers, the HttpServer handler and the run completion. */
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
 */
export const webhooksLayer: (options: OpenAiWebhook.Options) => Layer.Layer<OpenAiWebhook.OpenAiWebhooks> = OpenAiWebhook.layer

/** The webhooks service with the secret from OPENAI_WEBHOOK_SECRET, read as `Config.redacted`. */
export const webhooksLayerConfig: (
  options?: Omit<OpenAiWebhook.Options, "secret">
) => Layer.Layer<OpenAiWebhook.OpenAiWebhooks, ConfigError.ConfigError> = OpenAiWebhook.layerConfig
