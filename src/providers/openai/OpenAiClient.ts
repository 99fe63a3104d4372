/**
 * The OpenAI client service: the official SDK instance (retries off: ours are a `Schedule`) and
 * the API key, kept `Redacted` so it never prints. Built from options ({@link layer}) or from
 * the environment through `Config` ({@link layerConfig}).
 *
 * @since 0.1.0
 */
import { Config, type ConfigError, Context, Effect, Layer, Redacted } from "effect"
import type OpenAI from "openai"
import { abortableFetch } from "../../internal/http/abortableFetch.js"
import { type ClientConfig as ClientConfigOf, missingKey, nonEmptyKey, optionalString, readClientOptions } from "../clientConfig.js"
import { openAiSdk } from "./sdk.js"

/**
 * What the client service holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The SDK instance, with `maxRetries: 0`. */
  readonly sdk: OpenAI
  /** The API key; errors are redacted of it. */
  readonly apiKey: Redacted.Redacted<string>
}

/**
 * The OpenAI client service Tag.
 *
 * @since 0.1.0
 * @category context
 */
export class OpenAiClient extends Context.Tag("effect-llm-direct/OpenAiClient")<OpenAiClient, Service>() {}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The API key. */
  readonly apiKey: Redacted.Redacted<string> | string
  /** Another server speaking the OpenAI API (default https://api.openai.com/v1). */
  readonly baseURL?: string | undefined
  /** The organization id sent as `OpenAI-Organization`. */
  readonly organization?: string | undefined
  /** The project id sent as `OpenAI-Project`. */
  readonly project?: string | undefined
  /** The default timeout of one HTTP request, in seconds (the SDK's default is 10 minutes). */
  readonly timeout?: number | undefined
}

/**
 * The client service from options. Everything is explicit: the SDK reads no environment variable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.map(openAiSdk, ({ OpenAI }) => {
    const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
    const sdk = new OpenAI({
      apiKey: Redacted.value(apiKey),
      // explicit values, so a stray OPENAI_* variable cannot change what `layer` built
      adminAPIKey: null,
      baseURL: options.baseURL ?? "https://api.openai.com/v1",
      organization: options.organization ?? null,
      project: options.project ?? null,
      maxRetries: 0,
      // cancellation without composed signals (internal/http/abortableFetch.ts)
      fetch: abortableFetch,
      ...(options.timeout !== undefined ? { timeout: Math.max(1, Math.round(options.timeout * 1000)) } : {})
    })
    return { sdk, apiKey }
  })

/**
 * The client from options.
 *
 * @example
 * OpenAi.layer({ apiKey: Redacted.make(process.env.MY_KEY!), timeout: 60 })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<OpenAiClient> => Layer.effect(OpenAiClient, make(options))

/**
 * The environment variables {@link layerConfig} reads when given no `Config` of its own.
 *
 * @since 0.2.0
 * @category constants
 */
export const configVariables: ReadonlyArray<string> = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"]

const missing = (name: string) => missingKey(name, `export your OpenAI API key as ${name}, or build the client with OpenAi.layer({ apiKey })`)

/**
 * The API key from OPENAI_API_KEY; a missing or empty one is a ConfigError that names the variable.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = nonEmptyKey(Config.redacted("OPENAI_API_KEY"), missing("OPENAI_API_KEY"))

const defaults = {
  apiKey: apiKeyConfig,
  baseURL: optionalString("OPENAI_BASE_URL"),
  organization: optionalString("OPENAI_ORG_ID"),
  project: optionalString("OPENAI_PROJECT_ID"),
  timeout: Config.succeed(undefined)
}

/**
 * Every client option from the environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID.
 *
 * @since 0.1.0
 * @category constants
 */
export const optionsConfig: Config.Config<Options> = Config.all(defaults)

/**
 * The argument of {@link layerConfig}: a `Config` for any client option, read in place of its
 * default variable.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = ClientConfigOf<Options>

/**
 * The client through `Config` (any `ConfigProvider`). By default OPENAI_API_KEY (required, read
 * as `Config.redacted`), OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID; `config` gives
 * any option a `Config` of your own. A missing key is a ConfigError that names the variable.
 *
 * @example
 * OpenAi.layerConfig({ apiKey: Config.redacted("MY_OPENAI_KEY"), baseURL: Config.string("MY_BASE") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config?: ClientConfig): Layer.Layer<OpenAiClient, ConfigError.ConfigError> =>
  Layer.effect(OpenAiClient, Effect.flatMap(readClientOptions<Options>(defaults, config, missing), make))
