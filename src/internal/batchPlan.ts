/**
 * Checks a request list and splits it into provider batches, before any network call.
 * @internal
 */
import { Effect } from "effect"
import { InvalidInputError } from "../AiError.js"
import type { Limits } from "../BatchModel.js"

const listed = (ids: ReadonlyArray<string>): string => {
  const shown = ids.slice(0, 5).map((id) => JSON.stringify(id)).join(", ")
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown
}

/** The provider-neutral rules: at least one request, every custom id unique. */
export const checkCustomIds = (
  requests: ReadonlyArray<{ readonly customId: string }>,
  provider: string
): Effect.Effect<void, InvalidInputError> => {
  if (requests.length === 0) {
    return Effect.fail(new InvalidInputError({ provider, reason: "the batch has no requests; pass at least one." }))
  }
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const { customId } of requests) (seen.has(customId) ? duplicates : seen).add(customId)
  return duplicates.size === 0
    ? Effect.void
    : Effect.fail(new InvalidInputError({
        provider,
        reason: `custom ids must be unique within a batch; duplicated: ${listed([...duplicates])}.`
      }))
}

/** The provider's limits, lowered by the caller's `maxRequestsPerBatch` / `maxBytesPerBatch`. */
export const effectiveLimits = (
  provider: string,
  limits: Limits,
  options: { readonly maxRequestsPerBatch?: number | undefined; readonly maxBytesPerBatch?: number | undefined }
): Effect.Effect<Limits, InvalidInputError> => {
  const positive = (name: string, value: number | undefined) =>
    value === undefined || (Number.isInteger(value) && value >= 1)
      ? Effect.void
      : Effect.fail(new InvalidInputError({ provider, reason: `${name} must be a whole number of at least 1, got ${value}.` }))
  return Effect.zipRight(
    Effect.zip(positive("maxRequestsPerBatch", options.maxRequestsPerBatch), positive("maxBytesPerBatch", options.maxBytesPerBatch)),
    Effect.succeed({
      maxRequests: Math.min(limits.maxRequests, options.maxRequestsPerBatch ?? Infinity),
      maxBytes: Math.min(limits.maxBytes, options.maxBytesPerBatch ?? Infinity)
    })
  )
}

const unencodable = (provider: string, customId: string, e: unknown): InvalidInputError =>
  new InvalidInputError({
    provider,
    reason: `request ${JSON.stringify(customId)} cannot be encoded for ${provider}: ${e instanceof Error ? e.message : String(e)}`
  })

/**
 * Splits requests, in order, into consecutive chunks within the limits (greedy: a chunk is closed
 * when the next request would not fit). Consecutive chunks keep merging in submission order
 * trivial. A request larger than `maxBytes` on its own cannot be sent and fails the whole list.
 * With `bytesOf` (the whole list's size, `BatchModel.encodedBytes`), a list that fits one batch
 * is that one chunk, the list itself, without a size per request.
 */
export const split = <A extends { readonly customId: string }>(
  provider: string,
  requests: ReadonlyArray<A>,
  limits: Limits,
  sizeOf: (request: A) => number,
  bytesOf?: ((requests: ReadonlyArray<A>) => number) | undefined
): Effect.Effect<ReadonlyArray<ReadonlyArray<A>>, InvalidInputError> =>
  Effect.suspend(() => {
    if (bytesOf !== undefined && requests.length > 0 && requests.length <= limits.maxRequests) {
      try {
        if (bytesOf(requests) <= limits.maxBytes) return Effect.succeed([requests])
      } catch {
        // a request that cannot be encoded: the pass below names it
      }
    }
    const chunks: Array<Array<A>> = []
    let chunk: Array<A> = []
    let bytes = 0
    for (const request of requests) {
      let size: number
      try {
        size = sizeOf(request)
      } catch (e) {
        return Effect.fail(unencodable(provider, request.customId, e))
      }
      if (size > limits.maxBytes) {
        return Effect.fail(new InvalidInputError({
          provider,
          reason: `request ${JSON.stringify(request.customId)} takes ${size} bytes, more than one batch may hold (${limits.maxBytes}); shorten it or send it with LanguageModel.request.`
        }))
      }
      if (chunk.length > 0 && (chunk.length >= limits.maxRequests || bytes + size > limits.maxBytes)) {
        chunks.push(chunk)
        chunk = []
        bytes = 0
      }
      chunk.push(request)
      bytes += size
    }
    if (chunk.length > 0) chunks.push(chunk)
    return Effect.succeed(chunks)
  })
