/**
 * Azure OpenAI as an {@link OpenAiClient}: the openai SDK's `AzureOpenAI` client (which sends the
 * `api-key` header or a Microsoft Entra token, the `api-version` query, and puts the deployment
 * in deployment-scoped paths), so every OpenAI model of this library — Chat Completions,
 * Responses, batches — runs on Azure unchanged. The model name is the Azure deployment name.
 * Built from options ({@link layer}) or from the environment through `Config` ({@link layerConfig}).
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import { abortableFetch } from "../../internal/abortableFetch.js"
import { OpenAiClient, type Service } from "./OpenAiClient.js"
import { openAiSdk } from "./sdk.js"

/** The API version sent when none is given: one that has Chat Completions, Responses and batches. */
export const defaultApiVersion = "2025-04-01-preview"

/** How the client authenticates: an API key or a Microsoft Entra token provider, one of them. */
export type Credentials =
  | {
    /** The API key, sent as the `api-key` header. */
    readonly apiKey: Redacted.Redacted<string> | string
    readonly azureADTokenProvider?: undefined
  }
  | {
    readonly apiKey?: undefined
    /** A Microsoft Entra token provider (called per request, sent as a bearer token). */
    readonly azureADTokenProvider: () => Promise<string>
  }

/** Options of {@link layer}: the endpoint, credentials, API version and timeout. */
export type Options = Credentials & {
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com` (requests go to `{endpoint}/openai/...`). */
  readonly endpoint: string
  /** The `api-version` query of every request (default {@link defaultApiVersion}). */
  readonly apiVersion?: string | undefined
  /** The default timeout of one HTTP request, in seconds. */
  readonly timeout?: number | undefined
}

const trimSlashes = (url: string): string => url.replace(/\/+$/, "")

/**
 * The client service from options. Everything is explicit: the SDK reads no environment
 * variable (`baseURL` is built from `endpoint`, so a stray OPENAI_BASE_URL changes nothing).
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.map(openAiSdk, ({ AzureOpenAI }) => {
    const apiKey = options.apiKey === undefined ? undefined : typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
    const sdk = new AzureOpenAI({
      baseURL: `${trimSlashes(options.endpoint)}/openai`,
      apiVersion: options.apiVersion ?? defaultApiVersion,
      ...(apiKey !== undefined ? { apiKey: Redacted.value(apiKey) } : { azureADTokenProvider: options.azureADTokenProvider }),
      adminAPIKey: null,
      organization: null,
      project: null,
      maxRetries: 0,
      fetch: abortableFetch,
      ...(options.timeout !== undefined ? { timeout: Math.max(1, Math.round(options.timeout * 1000)) } : {})
    })
    // with a token provider there is no key to redact (redaction skips secrets this short)
    return { sdk, apiKey: apiKey ?? Redacted.make("") }
  })

/**
 * The Azure client from options, as the `OpenAiClient` every OpenAI model uses.
 *
 * @example
 * OpenAi.languageModel("my-gpt-4o-deployment").pipe(Layer.provide(AzureOpenAi.layer({ endpoint: "https://my-resource.openai.azure.com", apiKey })))
 */
export const layer = (options: Options): Layer.Layer<OpenAiClient> => Layer.effect(OpenAiClient, make(options))

const missing = (name: string, what: string) =>
  ConfigError.MissingData([name], `${name} is not set: export ${what} as ${name}, or build the client with AzureOpenAi.layer({ endpoint, apiKey })`)

const required = (name: string, what: string) =>
  Config.string(name).pipe(Config.mapOrFail((value) => (value.trim() === "" ? Either.left(missing(name, what)) : Either.right(value.trim()))))

const optional = (name: string) => Config.option(Config.nonEmptyString(name)).pipe(Config.map(Option.getOrUndefined))

/**
 * Every client option from the environment: AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY
 * (required, the key read as `Config.redacted`), and the API version from
 * AZURE_OPENAI_API_VERSION, else OPENAI_API_VERSION, else {@link defaultApiVersion}.
 */
export const optionsConfig: Config.Config<Options> = Config.all({
  endpoint: required("AZURE_OPENAI_ENDPOINT", "your resource's endpoint (https://<resource>.openai.azure.com)"),
  apiKey: Config.redacted("AZURE_OPENAI_API_KEY").pipe(
    Config.mapOrFail((key) => (Redacted.value(key).trim() === "" ? Either.left(missing("AZURE_OPENAI_API_KEY", "your Azure OpenAI key")) : Either.right(key)))
  ),
  apiVersion: Config.all([optional("AZURE_OPENAI_API_VERSION"), optional("OPENAI_API_VERSION")]).pipe(Config.map(([azure, openai]) => azure ?? openai))
})

/**
 * The Azure client from the environment (any `ConfigProvider`): AZURE_OPENAI_ENDPOINT,
 * AZURE_OPENAI_API_KEY, and optionally AZURE_OPENAI_API_VERSION (or OPENAI_API_VERSION). A
 * missing variable is a ConfigError that names it.
 */
export const layerConfig = (): Layer.Layer<OpenAiClient, ConfigError.ConfigError> =>
  Layer.effect(
    OpenAiClient,
    optionsConfig.pipe(
      Effect.mapError((error) =>
        ConfigError.isMissingDataOnly(error) && String(error).includes("AZURE_OPENAI_API_KEY") && !String(error).includes("AZURE_OPENAI_ENDPOINT")
          ? missing("AZURE_OPENAI_API_KEY", "your Azure OpenAI key")
          : error),
      Effect.flatMap(make)
    )
  )
