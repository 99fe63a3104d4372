/**
 * The Anthropic provider: a client Layer (the official `@anthropic-ai/sdk`, from options or
 * `Config`), a `LanguageModel` over the Messages API and a `BatchModel` over the Message
 * Batches API.
 *
 * @example
 * import { Anthropic, LanguageModel, Message } from "effect-llm-direct"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Anthropic.model("claude-haiku-4-5")))   // reads ANTHROPIC_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as AnthropicBatchModel from "./AnthropicBatchModel.js"
import { type AnthropicClient, layer, layerConfig, type Options as ClientOptions } from "./AnthropicClient.js"
import * as AnthropicLanguageModel from "./AnthropicLanguageModel.js"

/** The client service Tag (the SDK instance and the redacted key), its options and service type. */
export { AnthropicClient, type Options as ClientOptions, type Service as ClientService } from "./AnthropicClient.js"

/**
 * The client from options.
 *
 * @example
 * Anthropic.layer({ apiKey: Redacted.make(key), baseURL: emulator.anthropicBaseURL })
 */
export { layer }

/** The client from ANTHROPIC_API_KEY (required), ANTHROPIC_BASE_URL and ANTHROPIC_TIMEOUT. */
export { layerConfig }

/** Pure translation between our messages and the Messages API wire JSON. */
export * as Codec from "./codec.js"

/** Options of {@link languageModel} and {@link model}: default settings and retry policy. */
export type ModelOptions = AnthropicLanguageModel.Options

/**
 * A `LanguageModel` for `name` over an {@link AnthropicClient} you provide.
 *
 * @example
 * Anthropic.languageModel("claude-sonnet-4-5", { settings: { maxTokens: 1024 } }).pipe(
 *   Layer.provide(Anthropic.layer({ apiKey }))
 * )
 */
export const languageModel = (
  name: string,
  options?: ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, AnthropicClient> => AnthropicLanguageModel.layer(name, options)

/** Options of {@link batchModel}: settings every batch request starts from. */
export type BatchModelOptions = AnthropicBatchModel.Options

/** Anthropic's limits of one message batch (100,000 requests, 256 MB); `Batch.run` splits larger lists. */
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
 */
export const batchModel = (
  name: string,
  options?: BatchModelOptions
): Layer.Layer<BatchModel.BatchModel, never, AnthropicClient> => AnthropicBatchModel.layer(name, options)

/**
 * A ready `LanguageModel` and `BatchModel` for `name`, sharing one client: it comes from
 * {@link layerConfig} (the environment) unless `options.client` gives its options.
 * `options.settings` apply to direct and batch requests alike; `options.retry` to direct
 * requests (batch calls take theirs from `Batch.run`).
 *
 * @example
 * Effect.provide(program, Anthropic.model("claude-haiku-4-5"))
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(name, options), batchModel(name, { settings: options?.settings })).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )
