/**
 * The OpenAI client service: the official SDK instance (retries off: ours are a `Schedule`) and
 * the API key, kept `Redacted` so it never prints. Built from options ({@link layer}) or from
 * the environment through `Config` ({@link layerConfig}).
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import type OpenAI from "openai"
import { abortableFetch } from "../../internal/abortableFetch.js"
import { openAiSdk } from "./sdk.js"

/** What the client service holds. */
export interface Service {
  /** The SDK instance, with `maxRetries: 0`. */
  readonly sdk: OpenAI
  /** The API key; errors are redacted of it. */
  readonly apiKey: Redacted.Redacted<string>
}

/** The OpenAI client service Tag. */
export class OpenAiClient extends Context.Tag("effect-llm-direct/OpenAiClient")<OpenAiClient, Service>() {}

/** Options of {@link layer}. */
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

/** The client service from options. Everything is explicit: the SDK reads no environment variable. */
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
      // cancellation without composed signals (internal/abortableFetch.ts)
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
 */
export const layer = (options: Options): Layer.Layer<OpenAiClient> => Layer.effect(OpenAiClient, make(options))

const missingKey = ConfigError.MissingData(
  ["OPENAI_API_KEY"],
  "OPENAI_API_KEY is not set: export your OpenAI API key as OPENAI_API_KEY, or build the client with OpenAi.layer({ apiKey })"
)

/** The API key from OPENAI_API_KEY; a missing or empty one is a ConfigError that names the variable. */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted("OPENAI_API_KEY").pipe(
  Config.mapOrFail((key) => (Redacted.value(key).trim() === "" ? Either.left(missingKey) : Either.right(key)))
)

const optional = (name: string) => Config.option(Config.nonEmptyString(name)).pipe(Config.map(Option.getOrUndefined))

/** Every client option from the environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID. */
export const optionsConfig: Config.Config<Options> = Config.all({
  apiKey: apiKeyConfig,
  baseURL: optional("OPENAI_BASE_URL"),
  organization: optional("OPENAI_ORG_ID"),
  project: optional("OPENAI_PROJECT_ID")
})

/**
 * The client from the environment (any `ConfigProvider`): OPENAI_API_KEY (required, read as
 * `Config.redacted`), OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID.
 */
export const layerConfig = (): Layer.Layer<OpenAiClient, ConfigError.ConfigError> =>
  Layer.effect(
    OpenAiClient,
    optionsConfig.pipe(
      // only the key is required, and Config.redacted hides the message of a missing one:
      // say which variable and what to do
      Effect.mapError((error) => (ConfigError.isMissingDataOnly(error) ? missingKey : error)),
      Effect.flatMap(make)
    )
  )
