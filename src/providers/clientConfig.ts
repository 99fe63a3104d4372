/**
 * What the providers' `layerConfig` share: client options read through `Config`, each from the
 * `Config` the caller gives or else from the provider's default variable, and an API key that,
 * missing or empty, fails with a `ConfigError` that names the variable and says what to do
 * (`Config.redacted` alone would word it "<redacted>").
 *
 * @since 0.2.0
 */
import { Config, ConfigError, Effect, Either, Option, Redacted } from "effect"

/**
 * The argument of a provider's `layerConfig`: a `Config` for any client option, read in place of
 * the provider's default variable, or the option's value itself.
 *
 * @example
 * OpenAi.layerConfig({ apiKey: Config.redacted("MY_OPENAI_KEY"), baseURL: Config.string("MY_BASE") })
 *
 * @since 0.2.0
 * @category options
 */
export type ClientConfig<Options> = { readonly [K in keyof Options]?: Config.Config<Options[K]> | Options[K] | undefined }

/**
 * A `Config` as it is, a value as the `Config` that always reads it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const asConfig = <A>(value: Config.Config<A> | A): Config.Config<A> =>
  Config.isConfig(value) ? (value as Config.Config<A>) : Config.succeed(value as A)

/**
 * An optional non-empty string variable: absent or empty reads as `undefined`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.option(Config.nonEmptyString(name)).pipe(Config.map(Option.getOrUndefined))

/**
 * An optional number variable (seconds, say): absent reads as `undefined`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionalNumber = (name: string): Config.Config<number | undefined> =>
  Config.option(Config.number(name)).pipe(Config.map(Option.getOrUndefined))

/**
 * The error of a missing API key read from `name`: "`name` is not set: `advice`".
 *
 * @since 0.2.0
 * @category errors
 */
export const missingKey = (name: string, advice: string): ConfigError.ConfigError =>
  ConfigError.MissingData([name], `${name} is not set: ${advice}`)

/**
 * An API key `Config`: an empty one (after trimming) fails as missing, with `missing`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const nonEmptyKey = <K extends Redacted.Redacted<string> | string>(
  key: Config.Config<K>,
  missing: ConfigError.ConfigError
): Config.Config<K> =>
  key.pipe(Config.mapOrFail((value) => ((typeof value === "string" ? value : Redacted.value(value)).trim() === "" ? Either.left(missing) : Either.right(value))))

/**
 * Reads an API key: a missing or empty one fails with the error `missing` gives for the
 * variable's name (the default key's own words when the default was read).
 *
 * @since 0.2.0
 * @category constructors
 */
export const readKey = <K extends Redacted.Redacted<string> | string>(
  key: Config.Config<K> | K,
  missing: (name: string) => ConfigError.ConfigError
): Effect.Effect<K, ConfigError.ConfigError> =>
  Effect.mapError(asConfig(key), (error) => {
    if (!ConfigError.isMissingDataOnly(error)) return error
    // the variable's name: the path of the (first) missing piece
    const path = firstPath(error)
    return path.length > 0 ? missing(path.join(".")) : error
  })

const firstPath = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "MissingData":
    case "InvalidData":
    case "SourceUnavailable":
    case "Unsupported":
      return error.path
    case "And":
    case "Or":
      return firstPath(error.left)
  }
}

/**
 * Reads client options: each from `config`'s `Config` when it has one, else from `defaults`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const readOptions = <Options>(
  defaults: { readonly [K in keyof Options]-?: Config.Config<Options[K]> },
  config: NoInfer<ClientConfig<Options>> | undefined
): Effect.Effect<Options, ConfigError.ConfigError> => {
  const configs: Record<string, Config.Config<unknown>> = {}
  for (const key of Object.keys(defaults) as Array<keyof Options & string>) {
    const given = config?.[key]
    configs[key] = given !== undefined ? asConfig(given) : defaults[key]
  }
  // Config.all over the merged record: every option's ConfigError, not the first one only
  return Config.all(configs) as unknown as Effect.Effect<Options, ConfigError.ConfigError>
}

/**
 * Reads a client's options with its API key: the key through {@link readKey} (a missing one is
 * `missing`'s error), every other option through {@link readOptions}. What each provider's
 * `layerConfig` reads before it builds its client.
 *
 * @since 0.2.0
 * @category constructors
 */
export const readClientOptions = <Options extends { readonly apiKey: Redacted.Redacted<string> | string }>(
  defaults: { readonly [K in keyof Options]-?: Config.Config<Options[K]> },
  config: NoInfer<ClientConfig<Options>> | undefined,
  missing: (name: string) => ConfigError.ConfigError
): Effect.Effect<Options, ConfigError.ConfigError> =>
  Effect.zipWith(
    readKey<Options["apiKey"]>(config?.apiKey ?? defaults.apiKey, missing),
    readOptions<Options>(defaults, config),
    (apiKey, options) => ({ ...options, apiKey })
  )
