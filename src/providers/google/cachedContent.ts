/**
 * Gemini's explicit prompt caching as a scoped resource: {@link make} creates cached content
 * (instructions, a conversation prefix, tool definitions) through the SDK's `caches.create`,
 * and deletes it (`caches.delete`) when its `Scope` closes, interrupted or not. Requests use it
 * by name: pass {@link CachedContent.settings} as a request's settings (or the model option
 * `cachedContent`), and Gemini reads the cached prefix at the cache rate
 * (`RequestUsage.cacheReadTokens`).
 *
 * @since 0.2.0
 */
import { Duration, Effect, Redacted, type Scope } from "effect"
import { type AiError, ResponseDecodeError } from "../../AiError.js"
import { abortable } from "../../internal/http/abortableFetch.js"
import type { ModelMessage } from "../../Message.js"
import type { ModelSettings } from "../../Parameters.js"
import { fromInput as toolFromInput, type ToolDefinitionInput } from "../../Tool.js"
import { encodeMessages, providerName } from "./codec.js"
import { userContentProblem } from "./content.js"
import { mapError } from "./errors.js"
import { GoogleClient } from "./GoogleClient.js"
import { googleSdk } from "./sdk.js"

/**
 * What to cache: the model it is for (requests that use it must name the same model), and any
 * of a system instruction, messages (the conversation prefix) and function tools; `ttl` is how
 * long Gemini keeps it (default one hour) unless the Scope closes first; `displayName` labels it.
 *
 * @since 0.2.0
 * @category options
 */
export interface Options {
  readonly model: string
  readonly instructions?: string | undefined
  readonly messages?: ReadonlyArray<ModelMessage> | undefined
  readonly tools?: ReadonlyArray<ToolDefinitionInput> | undefined
  readonly ttl?: Duration.DurationInput | undefined
  readonly displayName?: string | undefined
}

/**
 * Cached content on Gemini: its resource `name` (`cachedContents/...`), the model, when it
 * expires, how many tokens it holds, and the settings that send a request with it.
 *
 * @since 0.2.0
 * @category models
 */
export interface CachedContent {
  readonly name: string
  readonly model: string
  readonly expireTime: Date | undefined
  readonly tokenCount: number | undefined
  /** `{ extraBody: { cachedContent: name } }`: a request's settings that use this cache. */
  readonly settings: ModelSettings
}

/**
 * The settings that send a request with the cached content of this name.
 *
 * @since 0.2.0
 * @category utils
 */
export const settingsOf = (name: string): ModelSettings => ({ extraBody: { cachedContent: name } })

const dateOf = (text: string | undefined): Date | undefined => {
  if (text === undefined) return undefined
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * Creates cached content and deletes it when the Scope closes. A failed delete is logged, not
 * raised (Gemini drops the content anyway when its `ttl` runs out).
 *
 * @example
 * Effect.scoped(Effect.gen(function*() {
 *   const cache = yield* Google.cachedContent({ model: "gemini-2.5-flash", instructions: longManual, ttl: "30 minutes" })
 *   return yield* LanguageModel.request([ModelRequest.userTextPrompt("What does chapter 3 say?")], { settings: cache.settings })
 * }))
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<CachedContent, AiError, GoogleClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* GoogleClient
    const sdkModule = yield* googleSdk
    const onError = mapError(Redacted.value(client.apiKey), sdkModule)
    const messages = options.messages ?? []
    const problem = userContentProblem(messages)
    if (problem !== undefined) return yield* Effect.fail(problem)
    const warnings: Array<string> = []
    const encoded = encodeMessages(messages, warnings)
    for (const warning of warnings) yield* Effect.logWarning(`${providerName}: ${warning}`)
    const system = [options.instructions, encoded.system].filter((s): s is string => s !== undefined && s !== "")
    const declarations = (options.tools ?? []).map(toolFromInput).map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parametersJsonSchema: t.parametersJsonSchema
    }))
    const ttl = options.ttl !== undefined ? `${Duration.toSeconds(Duration.decode(options.ttl))}s` : undefined
    const config = {
      ...(encoded.contents.length > 0 ? { contents: encoded.contents } : {}),
      ...(system.length > 0 ? { systemInstruction: system.join("\n\n") } : {}),
      ...(declarations.length > 0 ? { tools: [{ functionDeclarations: declarations }] } : {}),
      ...(ttl !== undefined ? { ttl } : {}),
      ...(options.displayName !== undefined ? { displayName: options.displayName } : {})
    }
    const remove = (name: string) =>
      abortable((controller) => client.sdk.caches.delete({ name, config: { abortSignal: controller.signal } }), onError).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${providerName}: could not delete the cached content ${name}: ${error.message}`)),
        Effect.asVoid
      )
    const created = yield* Effect.acquireRelease(
      abortable((controller) => client.sdk.caches.create({ model: options.model, config: { ...config, abortSignal: controller.signal } }), onError),
      (cache) => (typeof cache.name === "string" && cache.name !== "" ? remove(cache.name) : Effect.void)
    )
    if (typeof created.name !== "string" || created.name === "") {
      return yield* Effect.fail(new ResponseDecodeError({ provider: providerName, path: "name", detail: "Gemini created cached content without a name" }))
    }
    return {
      name: created.name,
      model: options.model,
      expireTime: dateOf(created.expireTime),
      tokenCount: created.usageMetadata?.totalTokenCount,
      settings: settingsOf(created.name)
    }
  })

/**
 * The model option `cachedContent` as the settings a model starts from.
 *
 * @since 0.2.0
 * @category utils
 */
export const withCachedContent = (cachedContent: string | undefined, settings: ModelSettings | undefined): ModelSettings | undefined =>
  cachedContent === undefined ? settings : { ...settings, extraBody: { cachedContent, ...settings?.extraBody } }
