/**
 * The plan of a batch run, decided before any network call and the same for every driver: the
 * options checked, the request list checked, and the list split into parts (consecutive slices,
 * in submission order) that fit one provider batch and the run's enqueued-token budget. Pure:
 * plain values in, an `Either` out (an `Either` is also an Effect, so a driver can `yield*` it).
 *
 * @since 0.2.0
 * @internal
 */
import { Either } from "effect"
import { InvalidInputError } from "../../AiError.js"
import type { BatchRequest } from "../../BatchData.js"
import type { Limits } from "../../BatchModel.js"

const listed = (ids: ReadonlyArray<string>): string => {
  const shown = ids.slice(0, 5).map((id) => JSON.stringify(id)).join(", ")
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown
}

/**
 * The provider-neutral rules: at least one request, every custom id unique.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkCustomIds = (
  requests: ReadonlyArray<{ readonly customId: string }>,
  provider: string
): Either.Either<void, InvalidInputError> => {
  if (requests.length === 0) {
    return Either.left(new InvalidInputError({ provider, reason: "the batch has no requests; pass at least one." }))
  }
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const { customId } of requests) (seen.has(customId) ? duplicates : seen).add(customId)
  return duplicates.size === 0
    ? Either.void
    : Either.left(new InvalidInputError({
        provider,
        reason: `custom ids must be unique within a batch; duplicated: ${listed([...duplicates])}.`
      }))
}

const wholeAtLeast = (provider: string, name: string, value: number | undefined, least: number): InvalidInputError | undefined =>
  value === undefined || (Number.isInteger(value) && value >= least)
    ? undefined
    : new InvalidInputError({ provider, reason: `${name} must be a whole number of at least ${least}, got ${value}.` })

/**
 * The provider's limits, lowered by the caller's `maxRequestsPerBatch` / `maxBytesPerBatch`.
 *
 * @since 0.1.0
 * @category utils
 */
export const effectiveLimits = (
  provider: string,
  limits: Limits,
  options: { readonly maxRequestsPerBatch?: number | undefined; readonly maxBytesPerBatch?: number | undefined }
): Either.Either<Limits, InvalidInputError> => {
  const bad = wholeAtLeast(provider, "maxRequestsPerBatch", options.maxRequestsPerBatch, 1) ??
    wholeAtLeast(provider, "maxBytesPerBatch", options.maxBytesPerBatch, 1)
  return bad !== undefined
    ? Either.left(bad)
    : Either.right({
        maxRequests: Math.min(limits.maxRequests, options.maxRequestsPerBatch ?? Infinity),
        maxBytes: Math.min(limits.maxBytes, options.maxBytesPerBatch ?? Infinity)
      })
}

/**
 * The budget of a run's live provider batches; `Infinity` for no limit.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueueLimits {
  readonly maxConcurrentBatches: number
  readonly maxEnqueuedTokens: number
}

/**
 * A run's queue options checked (whole numbers of at least 1; unset is no limit), before any network call.
 *
 * @since 0.1.0
 * @category utils
 */
export const queueLimitsOf = (
  provider: string,
  options: { readonly maxConcurrentBatches?: number | undefined; readonly maxEnqueuedTokens?: number | undefined }
): Either.Either<QueueLimits, InvalidInputError> => {
  const bad = wholeAtLeast(provider, "maxConcurrentBatches", options.maxConcurrentBatches, 1) ??
    wholeAtLeast(provider, "maxEnqueuedTokens", options.maxEnqueuedTokens, 1)
  return bad !== undefined
    ? Either.left(bad)
    : Either.right({ maxConcurrentBatches: options.maxConcurrentBatches ?? Infinity, maxEnqueuedTokens: options.maxEnqueuedTokens ?? Infinity })
}

/**
 * Characters (UTF-8 bytes) of an encoded request counted as one token by {@link estimateTokens}.
 *
 * @since 0.1.0
 * @category constants
 */
export const BYTES_PER_TOKEN = 4

/**
 * The default token estimate of one request: the bytes of its encoded upload line divided by 4
 * (rounded up), plus its own `settings.maxTokens` (the output it may enqueue; 0 when unset).
 * A rough, deliberately cheap figure in the spirit of OpenAI's "about four characters a token";
 * pass `estimateTokens` to the run for a real tokenizer.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens = (request: BatchRequest, encodedBytes: number): number =>
  Math.ceil(encodedBytes / BYTES_PER_TOKEN) + Math.max(0, request.settings?.maxTokens ?? 0)

/**
 * The estimated tokens a part holds in the budget: 0 when the run has no token budget (nothing is estimated then).
 *
 * @since 0.2.0
 * @category utils
 */
export const partTokens = <A>(requests: ReadonlyArray<A>, tokensOf: (request: A) => number, maxEnqueuedTokens: number): number => {
  if (maxEnqueuedTokens === Infinity) return 0
  let sum = 0
  for (const request of requests) sum += tokensOf(request)
  return sum
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
 *
 * @since 0.1.0
 * @category utils
 */
export const split = <A extends { readonly customId: string }>(
  provider: string,
  requests: ReadonlyArray<A>,
  limits: Limits,
  sizeOf: (request: A) => number,
  bytesOf?: ((requests: ReadonlyArray<A>) => number) | undefined
): Either.Either<ReadonlyArray<ReadonlyArray<A>>, InvalidInputError> => {
  if (bytesOf !== undefined && requests.length > 0 && requests.length <= limits.maxRequests) {
    try {
      if (bytesOf(requests) <= limits.maxBytes) return Either.right([requests])
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
      return Either.left(unencodable(provider, request.customId, e))
    }
    if (size > limits.maxBytes) {
      return Either.left(new InvalidInputError({
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
  return Either.right(chunks)
}

/**
 * Splits each chunk further, in order, so that none holds more than `maxTokens` estimated
 * tokens (greedy, like {@link split}). A request estimated above `maxTokens` on its own can
 * never be enqueued and fails the list before any network call.
 *
 * @since 0.1.0
 * @category utils
 */
export const splitByTokens = <A extends { readonly customId: string }>(
  provider: string,
  chunks: ReadonlyArray<ReadonlyArray<A>>,
  tokensOf: (request: A) => number,
  maxTokens: number
): Either.Either<ReadonlyArray<ReadonlyArray<A>>, InvalidInputError> => {
  // the chunks themselves (a chunk may be the validated list a model kept the encoding of)
  if (maxTokens === Infinity) return Either.right(chunks)
  const out: Array<Array<A>> = []
  for (const input of chunks) {
    let chunk: Array<A> = []
    let sum = 0
    for (const request of input) {
      let tokens: number
      try {
        tokens = tokensOf(request)
      } catch (e) {
        return Either.left(new InvalidInputError({
          provider,
          reason: `the tokens of request ${JSON.stringify(request.customId)} cannot be estimated: ${e instanceof Error ? e.message : String(e)}`
        }))
      }
      if (!Number.isFinite(tokens) || tokens < 0) {
        return Either.left(new InvalidInputError({
          provider,
          reason: `estimateTokens returned ${tokens} for request ${JSON.stringify(request.customId)}; it must return a finite number of at least 0.`
        }))
      }
      if (tokens > maxTokens) {
        return Either.left(new InvalidInputError({
          provider,
          reason: `request ${JSON.stringify(request.customId)} is estimated at ${tokens} tokens, more than maxEnqueuedTokens (${maxTokens}) allows in one batch; raise maxEnqueuedTokens (to at most your provider's enqueued-token limit), shorten the request, or send it with LanguageModel.request.`
        }))
      }
      if (chunk.length > 0 && sum + tokens > maxTokens) {
        out.push(chunk)
        chunk = []
        sum = 0
      }
      chunk.push(request)
      sum += tokens
    }
    if (chunk.length > 0) out.push(chunk)
  }
  return Either.right(out)
}

/**
 * What splitting a run's list needs: the batch limits, the sizes, and the token budget.
 *
 * @since 0.2.0
 * @category models
 */
export interface SplitPlan<A> {
  readonly provider: string
  readonly limits: Limits
  readonly sizeOf: (request: A) => number
  readonly bytesOf?: ((requests: ReadonlyArray<A>) => number) | undefined
  readonly tokensOf: (request: A) => number
  readonly maxEnqueuedTokens: number
}

/**
 * The parts of a run (or of a resubmission round): {@link split} by the provider's limits, then
 * {@link splitByTokens} by the token budget. Consecutive slices of `requests`, in order.
 *
 * @since 0.2.0
 * @category utils
 */
export const parts = <A extends { readonly customId: string }>(
  plan: SplitPlan<A>,
  requests: ReadonlyArray<A>
): Either.Either<ReadonlyArray<ReadonlyArray<A>>, InvalidInputError> =>
  Either.flatMap(split(plan.provider, requests, plan.limits, plan.sizeOf, plan.bytesOf), (chunks) =>
    splitByTokens(plan.provider, chunks, plan.tokensOf, plan.maxEnqueuedTokens))
