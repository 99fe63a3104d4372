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
import { Config, type ConfigError, Context, Effect, Layer, Redacted } from "effect"
import { abortableFetch } from "../../internal/http/abortableFetch.js"
import {
  type ClientConfig as ClientConfigOf,
  missingKey,
  nonEmptyKey,
  optionalNumber,
  optionalString,
  readClientOptions
} from "../clientConfig.js"
import { anthropicSdk } from "./sdk.js"

/**
 * What the {@link AnthropicClient} holds.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * The Anthropic client service Tag.
 *
 * @since 0.1.0
 * @category context
 */
export class AnthropicClient extends Context.Tag("effect-llm-direct/AnthropicClient")<AnthropicClient, Service>() {}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
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
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.map(anthropicSdk, ({ default: Anthropic }) => {
    const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
    const timeoutMs = options.timeout !== undefined ? Math.round(options.timeout * 1000) : undefined
    const sdk = new Anthropic({
      apiKey: Redacted.value(apiKey),
      baseURL: options.baseURL ?? defaultBaseURL,
      maxRetries: 0,
      // cancellation without composed signals (internal/http/abortableFetch.ts)
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
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<AnthropicClient> => Layer.effect(AnthropicClient, make(options))

/**
 * The environment variables {@link layerConfig} reads when given no `Config` of its own.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_TIMEOUT"]

const missing = (name: string) => missingKey(name, `export your Anthropic API key as ${name}, or build the client with Anthropic.layer({ apiKey })`)

/**
 * The API key from ANTHROPIC_API_KEY; a missing or empty one is a ConfigError that names the variable.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = nonEmptyKey(Config.redacted("ANTHROPIC_API_KEY"), missing("ANTHROPIC_API_KEY"))

const defaults = {
  apiKey: apiKeyConfig,
  baseURL: optionalString("ANTHROPIC_BASE_URL"),
  timeout: optionalNumber("ANTHROPIC_TIMEOUT"),
  defaultHeaders: Config.succeed(undefined),
  sdkTelemetry: Config.succeed(undefined)
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
 * The client through `Config` (any `ConfigProvider`). By default ANTHROPIC_API_KEY (required,
 * read with `Config.redacted`), ANTHROPIC_BASE_URL and ANTHROPIC_TIMEOUT (seconds); `config`
 * gives any option a `Config` of your own (`Config.succeed(value)` for a fixed one). A missing
 * key is a ConfigError that names the variable.
 *
 * @example
 * Anthropic.layerConfig({ apiKey: Config.redacted("MY_ANTHROPIC_KEY"), sdkTelemetry: Config.succeed(true) })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config?: ClientConfig): Layer.Layer<AnthropicClient, ConfigError.ConfigError> =>
  Layer.effect(AnthropicClient, Effect.flatMap(readClientOptions<Options>(defaults, config, missing), make))
