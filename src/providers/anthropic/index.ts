/**
 * The Anthropic provider: a client Layer (the official `@anthropic-ai/sdk`, from options or
 * `Config`), a `LanguageModel` over the Messages API and a `BatchModel` over the Message
 * Batches API. Every provider module has the same shape: `layer`, `layerConfig`, `model`,
 * `languageModel`, `batchModel`, the client Tag, `ClientOptions`, `ClientConfig`, `ModelOptions`,
 * `BatchModelOptions`, `Codec`, `BatchCodec`, `batchLimits`, `configVariables`.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { Anthropic } from "effect-llm-direct/anthropic"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Anthropic.model("claude-haiku-4-5")))   // reads ANTHROPIC_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as AnthropicBatchModel from "./AnthropicBatchModel.js"
import * as AnthropicClient from "./AnthropicClient.js"
import * as AnthropicLanguageModel from "./AnthropicLanguageModel.js"

export {
  /**
   * The client service Tag: the SDK instance (retries off) and the redacted key.
   *
   * @since 0.1.0
   * @category context
   */
  AnthropicClient
} from "./AnthropicClient.js"

/**
 * What the client service holds.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientService = AnthropicClient.Service

/**
 * Options of {@link layer}: `apiKey`, `baseURL`, `timeout` in seconds, `defaultHeaders`, `sdkTelemetry`.
 *
 * @since 0.1.0
 * @category options
 */
export type ClientOptions = AnthropicClient.Options

/**
 * The argument of {@link layerConfig}: a `Config` (or the value) for any client option.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = AnthropicClient.ClientConfig

/**
 * The client from options.
 *
 * @example
 * Anthropic.layer({ apiKey: Redacted.make(key), baseURL: emulator.anthropicBaseURL })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: ClientOptions) => Layer.Layer<AnthropicClient.AnthropicClient> = AnthropicClient.layer

/**
 * The client through `Config`: ANTHROPIC_API_KEY (required, read with `Config.redacted`), ANTHROPIC_BASE_URL and
 * ANTHROPIC_TIMEOUT (seconds), unless `config` gives an option a `Config` of your own.
 *
 * @example
 * Anthropic.layerConfig({ apiKey: Config.redacted("MY_ANTHROPIC_KEY") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (config?: ClientConfig) => Layer.Layer<AnthropicClient.AnthropicClient, ConfigError.ConfigError> = AnthropicClient.layerConfig

/**
 * The environment variables {@link layerConfig} reads by default.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = AnthropicClient.configVariables

/**
 * Pure translation between our messages and the Messages API wire JSON.
 *
 * @since 0.1.0
 * @category codecs
 */
export * as Codec from "./codec.js"

/**
 * The Message Batches API's wire formats (items, batch objects, result lines) and the status map, pure.
 *
 * @since 0.2.0
 * @category codecs
 */
export * as BatchCodec from "./batchCodec.js"

/**
 * Options of {@link languageModel} and {@link model}: default settings and retry policy.
 *
 * @since 0.1.0
 * @category options
 */
export type ModelOptions = AnthropicLanguageModel.Options

/**
 * A `LanguageModel` for `name` over a {@link AnthropicClient} you provide.
 *
 * @example
 * Anthropic.languageModel("claude-haiku-4-5", { settings: { maxTokens: 1024 } }).pipe(
 *   Layer.provide(Anthropic.layer({ apiKey }))
 * )
 *
 * @since 0.1.0
 * @category layers
 */
export const languageModel = (
  name: string,
  options?: ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, AnthropicClient.AnthropicClient> => AnthropicLanguageModel.layer(name, options)

/**
 * Options of {@link batchModel}: settings every batch request starts from.
 *
 * @since 0.1.0
 * @category options
 */
export type BatchModelOptions = AnthropicBatchModel.Options

/**
 * Anthropic's limits of one message batch (100,000 requests, 256 MB); `Batch.run` splits larger lists.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchLimits: BatchModel.Limits = AnthropicBatchModel.limits

/**
 * A `BatchModel` (Message Batches API) for `name` over an {@link AnthropicClient} you provide.
 * `name` is the default model; a `BatchRequest.model` overrides it per request. Batches carry
 * no metadata: passing `metadata` fails validation rather than dropping it.
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(Anthropic.batchModel("claude-haiku-4-5").pipe(
 *   Layer.provide(Anthropic.layer({ apiKey }))
 * )))
 *
 * @since 0.1.0
 * @category layers
 */
export const batchModel = (
  name: string,
  options?: BatchModelOptions
): Layer.Layer<BatchModel.BatchModel, never, AnthropicClient.AnthropicClient> => AnthropicBatchModel.layer(name, options)

/**
 * A ready `LanguageModel` and `BatchModel` for `name`, sharing one client: it comes from
 * {@link layerConfig} (the environment) unless `options.client` gives its options.
 * `options.settings` apply to direct and batch requests alike; `options.retry` to direct
 * requests (batch calls take theirs from `Batch.run`).
 *
 * @example
 * Effect.provide(program, Anthropic.model("claude-haiku-4-5"))
 *
 * @since 0.1.0
 * @category layers
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(name, options), batchModel(name, { settings: options?.settings })).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )
