/**
 * The Google Gemini client service: the official `@google/genai` SDK instance and the API key
 * (kept `Redacted`, and kept at all so errors can be scrubbed of it). Built from options
 * ({@link layer}) or from `Config` ({@link layerConfig}).
 *
 * The SDK retries only when a client sets `httpOptions.retryOptions`; this client never does
 * (retries are ours, on a `Schedule`). Requests are cancelled through the SDK's per-call
 * `abortSignal`.
 *
 * @since 0.1.0
 */
import type { GoogleGenAI } from "@google/genai"
import { Config, ConfigError, Context, Effect, Layer, Redacted } from "effect"
import {
  type ClientConfig as ClientConfigOf,
  missingKey,
  nonEmptyKey,
  optionalNumber,
  optionalString,
  readClientOptions
} from "../clientConfig.js"
import { googleSdk } from "./sdk.js"

/**
 * What the {@link GoogleClient} holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The SDK instance (Gemini Developer API, no SDK retries). */
  readonly sdk: GoogleGenAI
  /** The API key, for redacting provider text that echoes it. */
  readonly apiKey: Redacted.Redacted<string>
}

/**
 * The Google Gemini client service Tag.
 *
 * @since 0.1.0
 * @category context
 */
export class GoogleClient extends Context.Tag("effect-llm-direct/GoogleClient")<GoogleClient, Service>() {}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The API key (a `Redacted` keeps it out of logs). */
  readonly apiKey: Redacted.Redacted<string> | string
  /** The API base URL; default `https://generativelanguage.googleapis.com`. */
  readonly baseURL?: string | undefined
  /** The API version in the path; default `v1beta`, the one with batches and thinking. */
  readonly apiVersion?: string | undefined
  /** The client-wide request timeout, in seconds. */
  readonly timeout?: number | undefined
  /** Headers sent with every request. */
  readonly defaultHeaders?: Readonly<Record<string, string>> | undefined
}

/**
 * The default API base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseURL = "https://generativelanguage.googleapis.com"

/**
 * Builds the client service from options. The base URL never comes from the environment here:
 * options mean options; use {@link layerConfig} for the environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.map(googleSdk, ({ GoogleGenAI }) => {
    const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
    const sdk = new GoogleGenAI({
      apiKey: Redacted.value(apiKey),
      apiVersion: options.apiVersion ?? "v1beta",
      httpOptions: {
        baseUrl: options.baseURL ?? defaultBaseURL,
        ...(options.timeout !== undefined ? { timeout: Math.round(options.timeout * 1000) } : {}),
        ...(options.defaultHeaders !== undefined ? { headers: { ...options.defaultHeaders } } : {})
        // no retryOptions: the SDK then makes exactly one attempt per call
      }
    })
    return { sdk, apiKey }
  })

/**
 * The client from options.
 *
 * @example
 * Google.layer({ apiKey: Redacted.make("..."), baseURL: emulator.googleBaseURL })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<GoogleClient> => Layer.effect(GoogleClient, make(options))

/**
 * The environment variables {@link layerConfig} reads when given no `Config` of its own.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL", "GEMINI_TIMEOUT"]

const missing = (name: string) =>
  name === "GEMINI_API_KEY"
    ? ConfigError.MissingData(
      ["GEMINI_API_KEY"],
      "GEMINI_API_KEY (or GOOGLE_API_KEY) is not set: export your Gemini API key as GEMINI_API_KEY, or build the client with Google.layer({ apiKey })"
    )
    : missingKey(name, `export your Gemini API key as ${name}, or build the client with Google.layer({ apiKey })`)

/**
 * The API key from GEMINI_API_KEY, else GOOGLE_API_KEY; a missing or empty one is a ConfigError naming both.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = nonEmptyKey(
  Config.redacted("GEMINI_API_KEY").pipe(Config.orElse(() => Config.redacted("GOOGLE_API_KEY"))),
  missing("GEMINI_API_KEY")
)

const defaults = {
  apiKey: apiKeyConfig,
  baseURL: optionalString("GEMINI_BASE_URL"),
  timeout: optionalNumber("GEMINI_TIMEOUT"),
  apiVersion: Config.succeed(undefined),
  defaultHeaders: Config.succeed(undefined)
}

/**
 * The argument of {@link layerConfig}: a `Config` for any client option, read in place of its
 * default variable.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = ClientConfigOf<Options>

/**
 * The client through `Config` (any `ConfigProvider`). By default GEMINI_API_KEY or
 * GOOGLE_API_KEY (required, read with `Config.redacted`), GEMINI_BASE_URL and GEMINI_TIMEOUT
 * (seconds); `config` gives any option a `Config` of your own. A missing key is a ConfigError
 * that names the variable.
 *
 * @example
 * Google.layerConfig({ apiKey: Config.redacted("MY_GEMINI_KEY") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config?: ClientConfig): Layer.Layer<GoogleClient, ConfigError.ConfigError> =>
  Layer.effect(GoogleClient, Effect.flatMap(readClientOptions<Options>(defaults, config, missing), make))
