/**
 * Model strings: `"openai:gpt-4o-mini"`, `"anthropic:claude-haiku-4-5"`, `"google:gemini-2.5-flash"`,
 * `"test"` → the provider Layer, configured from the environment (OPENAI_API_KEY / OPENAI_BASE_URL,
 * ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, GEMINI_API_KEY or GOOGLE_API_KEY / GEMINI_BASE_URL).
 * `"openai-responses:gpt-5-mini"` is the same OpenAI model on the Responses API;
 * `"azure:<deployment>"` and `"azure-responses:<deployment>"` are Azure OpenAI deployments
 * (AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_API_KEY). The Gemini provider is loaded only when a
 * `google:` string is resolved, so `@google/genai` (an optional peer dependency) is needed only then.
 *
 * @since 0.1.0
 */
import { type ConfigError, Effect, Layer } from "effect"
import { InvalidInputError } from "./AiError.js"
import type * as BatchModel from "./BatchModel.js"
import type * as LanguageModel from "./LanguageModel.js"
import * as Anthropic from "./providers/anthropic/index.js"
import * as AzureOpenAi from "./providers/azure/index.js"
import * as OpenAi from "./providers/openai/index.js"
import * as TestModel from "./testing/TestModel.js"

/**
 * The providers a model string may name.
 *
 * @since 0.1.0
 * @category constants
 */
export const knownProviders = ["openai", "anthropic", "test", "openai-responses", "azure", "azure-responses", "google"] as const
/**
 * A provider a model string may name.
 *
 * @since 0.1.0
 * @category models
 */
export type KnownProvider = (typeof knownProviders)[number]

/**
 * A parsed model string.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelString {
  readonly provider: KnownProvider
  readonly model: string
}

const environment: Record<KnownProvider, string> = {
  openai: "OPENAI_API_KEY (and OPENAI_BASE_URL for another server)",
  anthropic: "ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for another server)",
  test: "nothing",
  "openai-responses": "OPENAI_API_KEY (and OPENAI_BASE_URL for another server)",
  azure: "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY (and AZURE_OPENAI_API_VERSION)",
  "azure-responses": "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY (and AZURE_OPENAI_API_VERSION)",
  google: "GEMINI_API_KEY or GOOGLE_API_KEY (and GEMINI_BASE_URL for another server)"
}

/**
 * Parses `"provider:model"` (`"test"` alone is the TestModel). An unknown provider or an empty
 * model name is an InvalidInputError listing the known providers.
 *
 * @since 0.1.0
 * @category utils
 */
export const parse = (input: string): Effect.Effect<ModelString, InvalidInputError> => {
  const trimmed = input.trim()
  if (trimmed === "test") return Effect.succeed({ provider: "test", model: "test" })
  const colon = trimmed.indexOf(":")
  const provider = colon < 0 ? "" : trimmed.slice(0, colon)
  const model = colon < 0 ? "" : trimmed.slice(colon + 1)
  if (!(knownProviders as ReadonlyArray<string>).includes(provider) || model === "") {
    return Effect.fail(new InvalidInputError({
      reason: `cannot resolve model string "${input}": write "provider:model" with a provider among ${knownProviders.join(", ")} (for example "openai:gpt-4o-mini" or "anthropic:claude-haiku-4-5"), or pass a Layer.`
    }))
  }
  return Effect.succeed({ provider: provider as KnownProvider, model })
}

const configured = (spec: ModelString) => (error: ConfigError.ConfigError): InvalidInputError =>
  new InvalidInputError({
    provider: spec.provider,
    reason: `${spec.provider}:${spec.model} needs ${environment[spec.provider]} in the environment: ${String(error)}`
  })

// the Gemini provider imports @google/genai, an optional peer dependency: loaded on demand
const loadGoogle = (spec: ModelString) =>
  Effect.tryPromise({
    // the provider loads its SDK with the first client: import both, so that a missing SDK is this error
    try: () => Promise.all([import("./providers/google/index.js"), import("@google/genai")]).then(([google]) => google),
    catch: (error) =>
      new InvalidInputError({
        provider: spec.provider,
        reason: `${spec.provider}:${spec.model} needs the optional peer dependency @google/genai: install it with \`npm install @google/genai\` (${error instanceof Error ? error.message : String(error)})`
      })
  })

/**
 * The Layer of a model string: a `LanguageModel` and the provider's `BatchModel`.
 * Configuration problems become an InvalidInputError naming the variable.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: string): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel, InvalidInputError> =>
  Layer.unwrapEffect(
    Effect.map(parse(input), (spec) => {
      switch (spec.provider) {
        case "openai":
          return OpenAi.model(spec.model).pipe(Layer.mapError(configured(spec)))
        case "anthropic":
          return Anthropic.model(spec.model).pipe(Layer.mapError(configured(spec)))
        case "google":
          return Layer.unwrapEffect(Effect.map(loadGoogle(spec), (Google) => Google.model(spec.model).pipe(Layer.mapError(configured(spec)))))
        case "test":
          return TestModel.layer()
        case "openai-responses":
          return OpenAi.responsesModel(spec.model).pipe(Layer.mapError(configured(spec)))
        case "azure":
          return AzureOpenAi.model(spec.model).pipe(Layer.mapError(configured(spec)))
        case "azure-responses":
          return AzureOpenAi.responsesModel(spec.model).pipe(Layer.mapError(configured(spec)))
      }
    })
  )
