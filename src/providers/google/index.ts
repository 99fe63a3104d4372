/**
 * The Google Gemini provider: a client Layer (the official `@google/genai` SDK, from options or
 * `Config`), a `LanguageModel` over `models.generateContent` and a `BatchModel` over Gemini
 * batch mode. Its own entry point, `effect-llm-direct/google`, so that only programs that use
 * Gemini need `@google/genai` installed (an optional peer dependency).
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { Google } from "effect-llm-direct/google"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Google.model("gemini-2.5-flash")))   // reads GEMINI_API_KEY
 *
 * @since 0.1.0
 */
import { type ConfigError, Layer } from "effect"
import type * as BatchModel from "../../BatchModel.js"
import type * as LanguageModel from "../../LanguageModel.js"
import * as GoogleBatchModel from "./GoogleBatchModel.js"
import { type GoogleClient, layer, layerConfig, type Options as ClientOptions } from "./GoogleClient.js"
import * as GoogleLanguageModel from "./GoogleLanguageModel.js"

/** The client service Tag (the SDK instance and the redacted key), its options and service type. */
export { GoogleClient, type Options as ClientOptions, type Service as ClientService } from "./GoogleClient.js"

/**
 * The client from options.
 *
 * @example
 * Google.layer({ apiKey: Redacted.make(key), baseURL: emulator.googleBaseURL })
 */
export { layer }

/** The client from GEMINI_API_KEY or GOOGLE_API_KEY (required), GEMINI_BASE_URL and GEMINI_TIMEOUT. */
export { layerConfig }

/** Pure translation between our messages and the Gemini API's contents and config. */
export * as Codec from "./codec.js"

/** Options of {@link languageModel} and {@link model}: default settings and retry policy. */
export type ModelOptions = GoogleLanguageModel.Options

/**
 * A `LanguageModel` for `name` over a {@link GoogleClient} you provide.
 *
 * @example
 * Google.languageModel("gemini-2.5-flash", { settings: { maxTokens: 1024 } }).pipe(
 *   Layer.provide(Google.layer({ apiKey }))
 * )
 */
export const languageModel = (
  name: string,
  options?: ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, GoogleClient> => GoogleLanguageModel.layer(name, options)

/** Options of {@link batchModel}: settings every batch request starts from, and the inline size limit. */
export type BatchModelOptions = GoogleBatchModel.Options

/** Gemini's limits of one batch (requests, bytes of the JSONL file); `Batch.run` splits larger lists. */
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
 */
export const batchModel = (
  name: string,
  options?: BatchModelOptions
): Layer.Layer<BatchModel.BatchModel, never, GoogleClient> => GoogleBatchModel.layer(name, options)

/**
 * A ready `LanguageModel` and `BatchModel` for `name`, sharing one client: it comes from
 * {@link layerConfig} (the environment) unless `options.client` gives its options.
 *
 * @example
 * Effect.provide(program, Google.model("gemini-2.5-flash"))
 */
export const model = (
  name: string,
  options?: ModelOptions & { readonly client?: ClientOptions | undefined }
): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, ConfigError.ConfigError> =>
  Layer.merge(languageModel(name, options), batchModel(name, { settings: options?.settings })).pipe(
    Layer.provide(options?.client !== undefined ? layer(options.client) : layerConfig())
  )
