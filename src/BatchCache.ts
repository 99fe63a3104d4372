/**
 * Priming the provider's prompt cache before a batch: a batch runs its requests in any order and
 * many at once, so without a cache entry already there most of them write the shared prefix
 * instead of reading it. {@link primeCache} sends each distinct cached prefix of a request list
 * once, as a direct request of one output token, so that the batch's requests read it (at the
 * cache read rate, on top of the batch discount). Use `ttl: "1h"` cache points for batches,
 * which can take longer than five minutes to start.
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import type { AiError } from "./AiError.js"
import { BatchRequest, type BatchRequestInput } from "./BatchData.js"
import * as LanguageModel from "./LanguageModel.js"
import { type ModelMessage, ModelRequest, type ModelRequestPart, UserPromptPart } from "./Message.js"
import { RequestUsage } from "./Usage.js"

const isCachePoint = (item: unknown): boolean => typeof item === "object" && item !== null && (item as { _tag?: unknown })._tag === "CachePoint"

/**
 * The messages of a request up to and including its last `CachePoint` (the prefix its cache
 * breakpoint covers), or `undefined` when it has none.
 *
 * @since 0.2.0
 * @category utils
 */
export const cachedPrefix = (messages: ReadonlyArray<ModelMessage>): ReadonlyArray<ModelMessage> | undefined => {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    if (message._tag !== "ModelRequest") continue
    for (let j = message.parts.length - 1; j >= 0; j--) {
      const part = message.parts[j]!
      if (part._tag !== "UserPromptPart" || typeof part.content === "string") continue
      let at = part.content.length - 1
      while (at >= 0 && !isCachePoint(part.content[at])) at--
      if (at < 0) continue
      const parts: Array<ModelRequestPart> = [...message.parts.slice(0, j), new UserPromptPart({ content: part.content.slice(0, at + 1) })]
      const cut = new ModelRequest({ parts, ...(message.instructions !== undefined ? { instructions: message.instructions } : {}) })
      return [...messages.slice(0, i), cut]
    }
  }
  return undefined
}

/**
 * What priming did: the prefixes sent and the usage of their requests (their cache writes).
 *
 * @since 0.2.0
 * @category models
 */
export interface Primed {
  /** Distinct cached prefixes sent (requests sharing a prefix share one). */
  readonly prefixes: number
  /** Requests of the list that have a cached prefix. */
  readonly requests: number
  /** The usage of the priming requests, summed. */
  readonly usage: RequestUsage
}

/**
 * Sends each distinct cached prefix of `requests` (its messages up to the last `CachePoint`,
 * with its parameters and settings) once through the `LanguageModel` in context, with
 * `maxTokens: 1`, so that the provider's cache holds it before the batch is submitted. Requests
 * without a `CachePoint` are not primed. Run it right before `Batch.run` with the same requests,
 * on the same model.
 *
 * @example
 * yield* Batch.primeCache(requests)
 * const summary = yield* Batch.runWithSummary(requests, { cost: true })
 * console.log(summary.cost?.cacheSavings, summary.cost?.batchSavings)
 *
 * @since 0.2.0
 * @category programs
 */
export const primeCache = (
  requests: ReadonlyArray<BatchRequestInput>,
  options?: { readonly concurrency?: number | undefined }
): Effect.Effect<Primed, AiError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const model = yield* LanguageModel.LanguageModel
    const byKey = new Map<string, BatchRequest>()
    const prefixes = new Map<string, ReadonlyArray<ModelMessage>>()
    let withPrefix = 0
    for (const input of requests) {
      const request = BatchRequest.from(input)
      const prefix = cachedPrefix(request.messages)
      if (prefix === undefined) continue
      withPrefix += 1
      // requests with the same prefix, parameters and settings share one priming request
      const key = JSON.stringify([prefix, request.parameters ?? null, request.settings ?? null, request.model ?? null])
      if (!byKey.has(key)) {
        byKey.set(key, request)
        prefixes.set(key, prefix)
      }
    }
    const usages = yield* Effect.forEach([...byKey], ([key, request]) =>
      Effect.map(
        model.request(prefixes.get(key)!, { parameters: request.parameters, settings: { ...request.settings, maxTokens: 1 } }),
        (response) => response.usage
      ), { concurrency: options?.concurrency ?? 4 })
    const usage = usages.reduce((sum, u) => sum.add(u), RequestUsage.empty)
    return { prefixes: byKey.size, requests: withPrefix, usage }
  }).pipe(Effect.withSpan("batch.prime_cache"))
