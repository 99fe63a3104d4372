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
import { GoogleGenAI } from "@google/genai"
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"

/** What the {@link GoogleClient} holds. */
export interface Service {
  /** The SDK instance (Gemini Developer API, no SDK retries). */
  readonly sdk: GoogleGenAI
  /** The API key, for redacting provider text that echoes it. */
  readonly apiKey: Redacted.Redacted<string>
}

/** The Google Gemini client service Tag. */
export class GoogleClient extends Context.Tag("effect-llm-direct/GoogleClient")<GoogleClient, Service>() {}

/** Options of {@link layer}. */
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

/** The default API base URL. */
export const defaultBaseURL = "https://generativelanguage.googleapis.com"

/**
 * Builds the client service from options. The base URL never comes from the environment here:
 * options mean options; use {@link layerConfig} for the environment.
 */
export const make = (options: Options): Service => {
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
}

/**
 * The client from options.
 *
 * @example
 * Google.layer({ apiKey: Redacted.make("..."), baseURL: emulator.googleBaseURL })
 */
export const layer = (options: Options): Layer.Layer<GoogleClient> => Layer.sync(GoogleClient, () => make(options))

const missingKey = ConfigError.MissingData(
  ["GEMINI_API_KEY"],
  "GEMINI_API_KEY (or GOOGLE_API_KEY) is not set: export your Gemini API key as GEMINI_API_KEY, or build the client with Google.layer({ apiKey })"
)

const nonEmpty = (key: Redacted.Redacted<string>) => (Redacted.value(key).trim() === "" ? Either.left(missingKey) : Either.right(key))

/** The API key from GEMINI_API_KEY, else GOOGLE_API_KEY; a missing or empty one is a ConfigError naming both. */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted("GEMINI_API_KEY").pipe(
  Config.orElse(() => Config.redacted("GOOGLE_API_KEY")),
  Config.mapOrFail(nonEmpty)
)

/**
 * The client from `Config`: GEMINI_API_KEY or GOOGLE_API_KEY (required, read with
 * `Config.redacted`), GEMINI_BASE_URL (optional) and GEMINI_TIMEOUT (optional, seconds).
 */
export const layerConfig = (options?: Omit<Options, "apiKey" | "baseURL" | "timeout">): Layer.Layer<GoogleClient, ConfigError.ConfigError> =>
  Layer.effect(
    GoogleClient,
    Effect.gen(function*() {
      const apiKey = yield* Effect.mapError(apiKeyConfig, (e) => (ConfigError.isMissingDataOnly(e) ? missingKey : e))
      const baseURL = yield* Config.option(Config.nonEmptyString("GEMINI_BASE_URL"))
      const timeout = yield* Config.option(Config.number("GEMINI_TIMEOUT"))
      return make({ ...options, apiKey, baseURL: Option.getOrUndefined(baseURL), timeout: Option.getOrUndefined(timeout) })
    })
  )
