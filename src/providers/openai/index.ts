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
import type * as LanguageModel from "../../LanguageModel.js"
import { layer as clientLayer, layerConfig as clientLayerConfig, type OpenAiClient, type Options as ClientOptions } from "./OpenAiClient.js"
import * as OpenAiLanguageModel from "./OpenAiLanguageModel.js"

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
 * A ready model: its `LanguageModel` with the client from the environment ({@link layerConfig}),
 * or from `options.client` when given.
 *
 * @example
 * Effect.provide(program, OpenAi.model("gpt-4o-mini"))
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel, ConfigError.ConfigError> =>
  languageModel(name, options).pipe(Layer.provide(options?.client !== undefined ? clientLayer(options.client) : clientLayerConfig()))

/** The Chat Completions codec (pure: our messages ⇄ wire JSON), for batch code and tests. */
export * as Codec from "./codec.js"
