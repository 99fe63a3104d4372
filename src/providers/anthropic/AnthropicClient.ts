/**
 * The Anthropic client service: the official SDK instance and the API key (kept `Redacted`, and
 * kept at all so errors can be scrubbed of it). Built from options ({@link layer}) or from
 * `Config` ({@link layerConfig}).
 *
 * The SDK runs with `maxRetries: 0` (retries are ours, on a `Schedule`) and, unless asked, with
 * its own OpenTelemetry spans off: SDK v1 opens an `anthropic.messages.create` span on the
 * global OpenTelemetry tracer by default, parented to OpenTelemetry's active context rather
 * than to our Effect `chat {model}` span, which would leave a second, detached span per call.
 *
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { abortableFetch } from "../../internal/abortableFetch.js"
import { anthropicSdk } from "./sdk.js"

/** What the {@link AnthropicClient} holds. */
export interface Service {
  /** The SDK instance (`maxRetries: 0`). */
  readonly sdk: Anthropic
  /** The API key, for redacting provider text that echoes it. */
  readonly apiKey: Redacted.Redacted<string>
  /**
   * The client-wide timeout in milliseconds, if one was set. The SDK only refuses long
   * non-streamed requests when no timeout is set, so the model needs to know.
   */
  readonly timeoutMs: number | undefined
}

/** The Anthropic client service Tag. */
export class AnthropicClient extends Context.Tag("effect-llm-direct/AnthropicClient")<AnthropicClient, Service>() {}

/** Options of {@link layer}. */
export interface Options {
  /** The API key (a `Redacted` keeps it out of logs). */
  readonly apiKey: Redacted.Redacted<string> | string
  /** The API base URL; default `https://api.anthropic.com`. */
  readonly baseURL?: string | undefined
  /** The client-wide request timeout, in seconds. */
  readonly timeout?: number | undefined
  /** Headers sent with every request. */
  readonly defaultHeaders?: Readonly<Record<string, string>> | undefined
  /** Turns the SDK's own OpenTelemetry spans on (off by default: the library makes its own). */
  readonly sdkTelemetry?: boolean | undefined
}

const defaultBaseURL = "https://api.anthropic.com"

/**
 * Builds the client service from options. The base URL never comes from the environment here
 * (the SDK would read ANTHROPIC_BASE_URL on its own): options mean options; use
 * {@link layerConfig} for the environment.
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.map(anthropicSdk, ({ default: Anthropic }) => {
    const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
    const timeoutMs = options.timeout !== undefined ? Math.round(options.timeout * 1000) : undefined
    const sdk = new Anthropic({
      apiKey: Redacted.value(apiKey),
      baseURL: options.baseURL ?? defaultBaseURL,
      maxRetries: 0,
      // cancellation without composed signals (internal/abortableFetch.ts)
      fetch: abortableFetch,
      ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
      ...(options.defaultHeaders !== undefined ? { defaultHeaders: { ...options.defaultHeaders } } : {}),
      ...(options.sdkTelemetry === true ? {} : { openTelemetry: false as const })
    })
    return { sdk, apiKey, timeoutMs }
  })

/**
 * The client from options.
 *
 * @example
 * Anthropic.layer({ apiKey: Redacted.make("sk-ant-..."), baseURL: "http://127.0.0.1:8080" })
 */
export const layer = (options: Options): Layer.Layer<AnthropicClient> => Layer.effect(AnthropicClient, make(options))

const missingKey = ConfigError.MissingData(
  ["ANTHROPIC_API_KEY"],
  "ANTHROPIC_API_KEY is not set: export your Anthropic API key as ANTHROPIC_API_KEY, or build the client with Anthropic.layer({ apiKey })"
)

/** The API key from ANTHROPIC_API_KEY; a missing or empty one is a ConfigError that names the variable. */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted("ANTHROPIC_API_KEY").pipe(
  Config.mapOrFail((key) => (Redacted.value(key).trim() === "" ? Either.left(missingKey) : Either.right(key)))
)

/**
 * The client from `Config`: ANTHROPIC_API_KEY (required, read with `Config.redacted`),
 * ANTHROPIC_BASE_URL (optional) and ANTHROPIC_TIMEOUT (optional, seconds). A missing key fails
 * with a `ConfigError` naming ANTHROPIC_API_KEY.
 */
export const layerConfig = (options?: Omit<Options, "apiKey" | "baseURL" | "timeout">): Layer.Layer<AnthropicClient, ConfigError.ConfigError> =>
  Layer.effect(
    AnthropicClient,
    Effect.gen(function*() {
      // Config.redacted words a missing key as "<redacted>"; say what to do instead
      const apiKey = yield* Effect.mapError(apiKeyConfig, (e) => (ConfigError.isMissingDataOnly(e) ? missingKey : e))
      const baseURL = yield* Config.option(Config.nonEmptyString("ANTHROPIC_BASE_URL"))
      const timeout = yield* Config.option(Config.number("ANTHROPIC_TIMEOUT"))
      return yield* make({
        ...options,
        apiKey,
        baseURL: Option.getOrUndefined(baseURL),
        timeout: Option.getOrUndefined(timeout)
      })
    })
  )
