/**
 * Azure OpenAI as an {@link OpenAiClient}: the openai SDK's `AzureOpenAI` client (which sends the
 * `api-key` header or a Microsoft Entra token, the `api-version` query, and puts the deployment
 * in deployment-scoped paths), so every OpenAI model of this library — Chat Completions,
 * Responses, batches — runs on Azure unchanged. The model name is the Azure deployment name.
 * Built from options ({@link layer}) or from the environment through `Config` ({@link layerConfig}).
 *
 * @since 0.1.0
 */
import { Config, type ConfigError, Effect, Either, Layer, Redacted } from "effect"
import { abortableFetch } from "../../internal/http/abortableFetch.js"
import { asConfig, type ClientConfig as ClientConfigOf, missingKey, nonEmptyKey, optionalString, readKey, readOptions } from "../clientConfig.js"
import { OpenAiClient, type Service } from "../openai/OpenAiClient.js"
import { openAiSdk } from "../openai/sdk.js"

/**
 * The API version sent when none is given: one that has Chat Completions, Responses and batches.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultApiVersion = "2025-04-01-preview"

/**
 * How the client authenticates: an API key or a Microsoft Entra token provider, one of them.
 *
 * @since 0.1.0
 * @category options
 */
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

/**
 * Options of {@link layer}: the endpoint, credentials, API version and timeout.
 *
 * @since 0.1.0
 * @category options
 */
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
 *
 * @since 0.1.0
 * @category constructors
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
 * AzureOpenAi.languageModel("my-gpt-4o-deployment").pipe(Layer.provide(AzureOpenAi.layer({ endpoint: "https://my-resource.openai.azure.com", apiKey })))
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
export const configVariables: ReadonlyArray<string> = ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION"]

const missing = (what: string) => (name: string) =>
  missingKey(name, `export ${what} as ${name}, or build the client with AzureOpenAi.layer({ endpoint, apiKey })`)
const missingEndpoint = missing("your resource's endpoint (https://<resource>.openai.azure.com)")
const missingApiKey = missing("your Azure OpenAI key")

const endpointConfig = Config.string("AZURE_OPENAI_ENDPOINT").pipe(
  Config.mapOrFail((value) => (value.trim() === "" ? Either.left(missingEndpoint("AZURE_OPENAI_ENDPOINT")) : Either.right(value.trim())))
)
const apiKeyConfig = nonEmptyKey(Config.redacted("AZURE_OPENAI_API_KEY"), missingApiKey("AZURE_OPENAI_API_KEY"))
const apiVersionConfig = Config.all([optionalString("AZURE_OPENAI_API_VERSION"), optionalString("OPENAI_API_VERSION")]).pipe(
  Config.map(([azure, openai]) => azure ?? openai)
)

/**
 * Every client option from the environment: AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY
 * (required, the key read as `Config.redacted`), and the API version from
 * AZURE_OPENAI_API_VERSION, else OPENAI_API_VERSION, else {@link defaultApiVersion}.
 *
 * @since 0.1.0
 * @category constants
 */
export const optionsConfig: Config.Config<Options> = Config.all({ endpoint: endpointConfig, apiKey: apiKeyConfig, apiVersion: apiVersionConfig })

/**
 * The argument of {@link layerConfig}: a `Config` (or the value) for any client option, read in
 * place of its default variable. With an `azureADTokenProvider`, no API key is read.
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig = ClientConfigOf<{
  readonly endpoint: string
  readonly apiKey: Redacted.Redacted<string> | string
  readonly azureADTokenProvider: () => Promise<string>
  readonly apiVersion?: string | undefined
  readonly timeout?: number | undefined
}>

/**
 * The Azure client through `Config` (any `ConfigProvider`). By default AZURE_OPENAI_ENDPOINT,
 * AZURE_OPENAI_API_KEY, and optionally AZURE_OPENAI_API_VERSION (or OPENAI_API_VERSION);
 * `config` gives any option a `Config` of your own (with `azureADTokenProvider`, no key is
 * read). A missing variable is a ConfigError that names it.
 *
 * @example
 * AzureOpenAi.layerConfig({ endpoint: Config.string("MY_AZURE_ENDPOINT"), apiKey: Config.redacted("MY_AZURE_KEY") })
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config?: ClientConfig): Layer.Layer<OpenAiClient, ConfigError.ConfigError> =>
  Layer.effect(
    OpenAiClient,
    Effect.gen(function*() {
      const endpoint = yield* readKey(config?.endpoint ?? endpointConfig, missingEndpoint)
      const rest = yield* readOptions<Pick<Options, "apiVersion" | "timeout">>({ apiVersion: apiVersionConfig, timeout: Config.succeed(undefined) }, config)
      const tokenProvider = config?.azureADTokenProvider !== undefined ? yield* asConfig(config.azureADTokenProvider) : undefined
      const options: Options = tokenProvider !== undefined
        ? { ...rest, endpoint, azureADTokenProvider: tokenProvider }
        : { ...rest, endpoint, apiKey: yield* readKey(config?.apiKey ?? apiKeyConfig, missingApiKey) }
      return yield* make(options)
    })
  )
