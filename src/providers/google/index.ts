/**
 * The Google Gemini provider: a client Layer (the official `@google/genai` SDK, from options or
 * `Config`), a `LanguageModel` over `models.generateContent` and a `BatchModel` over Gemini
 * batch mode. Its own entry point, `effect-llm-direct/google`, so that only programs that use
 * Gemini need `@google/genai` installed (an optional peer dependency). Every provider module has the same shape: `layer`, `layerConfig`, `model`,
 * `languageModel`, `batchModel`, the client Tag, `ClientOptions`, `ClientConfig`, `ModelOptions`,
 * `BatchModelOptions`, `Codec`, `BatchCodec`, `batchLimits`, `configVariables`.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { Google } from "effect-llm-direct/google"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Google.model("gemini-2.5-flash")))   // reads GEMINI_API_KEY
 *
 * @since 0.1.0
 */
import type { ConfigError, Effect, Scope } from "effect"
import { Layer } from "effect"
import type { AiError } from "../../AiError.js"
import type { ModelSettings } from "../../Parameters.js"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as CachedContentModule from "./cachedContent.js"
import * as GoogleBatchModel from "./GoogleBatchModel.js"
import * as GoogleClient from "./GoogleClient.js"
import * as GoogleLanguageModel from "./GoogleLanguageModel.js"

export {
  /**
   * The client service Tag: the SDK instance (retries off) and the redacted key.
   *
   * @since 0.1.0
   * @category context
   */
  GoogleClient
} from "./GoogleClient.js"

/**
 * What the client service holds.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientService = GoogleClient.Service

/**
 * Options of {@link layer}: `apiKey`, `baseURL`, `apiVersion`, `timeout` in seconds, `defaultHeaders`.
 *
 * @since 0.1.0
 * @category options
 */
export type ClientOptions = GoogleClient.Options

/**
 * The argument of {@link layerConfig}: a `Config` (or the value) for any client option.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = GoogleClient.ClientConfig

/**
 * The client from options.
 *
 * @example
 * Google.layer({ apiKey: Redacted.make(key), baseURL: emulator.googleBaseURL })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: ClientOptions) => Layer.Layer<GoogleClient.GoogleClient> = GoogleClient.layer

/**
 * The client through `Config`: GEMINI_API_KEY or GOOGLE_API_KEY (required, read with `Config.redacted`),
 * GEMINI_BASE_URL and GEMINI_TIMEOUT (seconds), unless `config` gives an option a `Config` of your own.
 *
 * @example
 * Google.layerConfig({ apiKey: Config.redacted("MY_GEMINI_KEY") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (config?: ClientConfig) => Layer.Layer<GoogleClient.GoogleClient, ConfigError.ConfigError> = GoogleClient.layerConfig

/**
 * The environment variables {@link layerConfig} reads by default.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = GoogleClient.configVariables

/**
 * Pure translation between our messages and the Gemini API's contents and config.
 *
 * @since 0.1.0
 * @category codecs
 */
export * as Codec from "./codec.js"

/**
 * Gemini batch mode's wire formats (inline requests, JSONL lines, batch jobs, results) and the status map, pure.
 *
 * @since 0.2.0
 * @category codecs
 */
export * as BatchCodec from "./batchCodec.js"

/**
 * Cached content on Gemini, as {@link cachedContent} makes it: its `name`, model, expiry, token
 * count, and `settings` that send a request with it.
 *
 * @since 0.2.0
 * @category models
 */
export type CachedContent = CachedContentModule.CachedContent

/**
 * Options of {@link cachedContent}: `model`, and any of `instructions`, `messages`, `tools`,
 * `ttl` (a Duration input, default one hour on Gemini's side) and `displayName`.
 *
 * @since 0.2.0
 * @category options
 */
export type CachedContentOptions = CachedContentModule.Options

/**
 * Gemini's explicit prompt cache as a scoped resource: creates cached content (`caches.create`)
 * with the instructions, messages and tools given, and deletes it (`caches.delete`) when the
 * Scope closes, interrupted or not (a failed delete is logged). Send requests with it through
 * `cache.settings` (per request or batch request) or the model option `cachedContent: cache.name`;
 * the request must be for the same model, and leaves the system instruction and tools to the
 * cache (a request's own are left out, with a warning). Usage reports the cached tokens as
 * `cacheReadTokens`.
 *
 * @example
 * Effect.scoped(Effect.gen(function*() {
 *   const cache = yield* Google.cachedContent({ model: "gemini-2.5-flash", instructions: manual, ttl: "30 minutes" })
 *   return yield* LanguageModel.request([ModelRequest.userTextPrompt("What does chapter 3 say?")], { settings: cache.settings })
 * }))
 *
 * @since 0.2.0
 * @category constructors
 */
export const cachedContent: (options: CachedContentOptions) => Effect.Effect<CachedContent, AiError, GoogleClient.GoogleClient | Scope.Scope> =
  CachedContentModule.make

/**
 * The settings that send a request with the cached content of this name
 * (`{ extraBody: { cachedContent: name } }`), for a cache made elsewhere; a cache from
 * {@link cachedContent} has them as `cache.settings`.
 *
 * @since 0.2.0
 * @category utils
 */
export const cachedContentSettings: (name: string) => ModelSettings = CachedContentModule.settingsOf

/**
 * Options of {@link languageModel} and {@link model}: default settings, retry policy, and
 * `cachedContent` (the name of cached content every request uses).
 *
 * @since 0.1.0
 * @category options
 */
export type ModelOptions = GoogleLanguageModel.Options

/**
 * A `LanguageModel` for `name` over a {@link GoogleClient} you provide.
 *
 * @example
 * Google.languageModel("gemini-2.5-flash", { settings: { maxTokens: 1024 } }).pipe(
 *   Layer.provide(Google.layer({ apiKey }))
 * )
 *
 * @since 0.1.0
 * @category layers
 */
export const languageModel = (
  name: string,
  options?: ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, GoogleClient.GoogleClient> => GoogleLanguageModel.layer(name, options)

/**
 * Options of {@link batchModel}: settings every batch request starts from, and the inline size limit.
 *
 * @since 0.1.0
 * @category options
 */
export type BatchModelOptions = GoogleBatchModel.Options

/**
 * Gemini's limits of one batch (requests, bytes of the JSONL file); `Batch.run` splits larger lists.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchLimits: BatchModel.Limits = GoogleBatchModel.limits

/**
 * A `BatchModel` (Gemini batch mode) for `name` over a {@link GoogleClient} you provide. A batch
 * runs on one model: a `BatchRequest.model` other than `name` fails validation. Requests go
 * inline under `inlineLimitBytes` (default 20 MB), else as an uploaded JSONL file.
 *
 * @example
 * Batch.run(requests).pipe(Effect.provide(Google.batchModel("gemini-2.5-flash").pipe(
 *   Layer.provide(Google.layer({ apiKey }))
 * )))
 *
 * @since 0.1.0
 * @category layers
 */
export const batchModel = (
  name: string,
  options?: BatchModelOptions
): Layer.Layer<BatchModel.BatchModel, never, GoogleClient.GoogleClient> => GoogleBatchModel.layer(name, options)

/**
 * A ready `LanguageModel` and `BatchModel` for `name`, sharing one client: it comes from
 * {@link layerConfig} (the environment) unless `options.client` gives its options.
 * `options.settings` apply to direct and batch requests alike; `options.retry` to direct
 * requests (batch calls take theirs from `Batch.run`).
 *
 * @example
 * Effect.provide(program, Google.model("gemini-2.5-flash"))
 *
 * @since 0.1.0
 * @category layers
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(
    languageModel(name, options),
    batchModel(name, { settings: CachedContentModule.withCachedContent(options?.cachedContent, options?.settings) })
  ).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )
