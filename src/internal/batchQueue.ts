/**
 * Queue-aware submission of a split run: the token estimate of a request, the admission of
 * provider batches under a budget of live batches and enqueued tokens, and the reading of a
 * batch the provider failed because its queue was full. The pure parts ({@link estimateTokens},
 * {@link admits}, {@link splitByTokens}, {@link isQueueFull}) plan; {@link makeGate} runs them.
 * @internal
 */
import { Deferred, Duration, Effect, Exit, FiberId } from "effect"
import { InvalidInputError } from "../AiError.js"
import type { Batch, BatchRequest } from "../BatchData.js"

/** The code of a batch that failed because the provider's enqueued-token limit was reached (OpenAI, Azure OpenAI). */
export const TOKEN_LIMIT_EXCEEDED = "token_limit_exceeded"

/** Characters (UTF-8 bytes) of an encoded request counted as one token by {@link estimateTokens}. */
export const BYTES_PER_TOKEN = 4

/**
 * The default token estimate of one request: the bytes of its encoded upload line divided by 4
 * (rounded up), plus its own `settings.maxTokens` (the output it may enqueue; 0 when unset).
 * A rough, deliberately cheap upper-bound-ish figure in the spirit of OpenAI's "about four
 * characters a token"; pass `estimateTokens` to `Batch.run` for a real tokenizer.
 */
export const estimateTokens = (request: BatchRequest, encodedBytes: number): number =>
  Math.ceil(encodedBytes / BYTES_PER_TOKEN) + Math.max(0, request.settings?.maxTokens ?? 0)

/**
 * The waits before a part refused for a full queue is submitted again, when nothing else of the
 * run is live: 1, 2, 4, 8 minutes, then 10 minutes, 30 waits in all (about four and a half
 * hours). `Batch.defaultQueueBackoff` is this list as a Schedule; `BatchWorkflow` journals it.
 */
export const defaultBackoffWaits: ReadonlyArray<Duration.Duration> = Array.from({ length: 30 }, (_, i) => Duration.minutes(Math.min(10, 2 ** i)))

/** Whether the provider failed this batch because its enqueued-token limit was reached (nothing ran, nothing is billed). */
export const isQueueFull = (batch: Batch): boolean =>
  batch.status === "failed" && batch.errors.length > 0 && batch.errors[0]!.code === TOKEN_LIMIT_EXCEEDED

/** The budget of a run's live provider batches; `Infinity` for no limit. */
export interface QueueLimits {
  readonly maxConcurrentBatches: number
  readonly maxEnqueuedTokens: number
}

const limitOf = (provider: string, name: string, value: number | undefined): Effect.Effect<number, InvalidInputError> =>
  value === undefined
    ? Effect.succeed(Infinity)
    : Number.isInteger(value) && value >= 1
      ? Effect.succeed(value)
      : Effect.fail(new InvalidInputError({ provider, reason: `${name} must be a whole number of at least 1, got ${value}.` }))

/** A run's queue options checked (whole numbers of at least 1; unset is no limit), before any network call. */
export const queueLimitsOf = (
  provider: string,
  options: { readonly maxConcurrentBatches?: number | undefined; readonly maxEnqueuedTokens?: number | undefined }
): Effect.Effect<QueueLimits, InvalidInputError> =>
  Effect.all({
    maxConcurrentBatches: limitOf(provider, "maxConcurrentBatches", options.maxConcurrentBatches),
    maxEnqueuedTokens: limitOf(provider, "maxEnqueuedTokens", options.maxEnqueuedTokens)
  })

/** What is live now: admitted batches and their estimated tokens. */
export interface QueueState {
  readonly running: number
  readonly enqueuedTokens: number
}

/** Whether a part of `tokens` may be submitted now. */
export const admits = (state: QueueState, tokens: number, limits: QueueLimits): boolean =>
  state.running < limits.maxConcurrentBatches && state.enqueuedTokens + tokens <= limits.maxEnqueuedTokens

/**
 * Splits each chunk further, in order, so that none holds more than `maxTokens` estimated
 * tokens (greedy, like `split`). A request estimated above `maxTokens` on its own can never be
 * enqueued and fails the list before any network call.
 */
export const splitByTokens = <A extends { readonly customId: string }>(
  provider: string,
  chunks: ReadonlyArray<ReadonlyArray<A>>,
  tokensOf: (request: A) => number,
  maxTokens: number
): Effect.Effect<ReadonlyArray<ReadonlyArray<A>>, InvalidInputError> =>
  Effect.suspend(() => {
    // the chunks themselves (a chunk may be the validated list a model kept the encoding of)
    if (maxTokens === Infinity) return Effect.succeed(chunks)
    const out: Array<Array<A>> = []
    for (const input of chunks) {
      let chunk: Array<A> = []
      let sum = 0
      for (const request of input) {
        let tokens: number
        try {
          tokens = tokensOf(request)
        } catch (e) {
          return Effect.fail(new InvalidInputError({
            provider,
            reason: `the tokens of request ${JSON.stringify(request.customId)} cannot be estimated: ${e instanceof Error ? e.message : String(e)}`
          }))
        }
        if (!Number.isFinite(tokens) || tokens < 0) {
          return Effect.fail(new InvalidInputError({
            provider,
            reason: `estimateTokens returned ${tokens} for request ${JSON.stringify(request.customId)}; it must return a finite number of at least 0.`
          }))
        }
        if (tokens > maxTokens) {
          return Effect.fail(new InvalidInputError({
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
    return Effect.succeed(out)
  })

/** Admission of a run's provider batches, first come first served. */
export interface Gate {
  /**
   * Runs `self` once a part of `tokens` fits the budget, after every part that asked earlier;
   * the part counts as live until `self` ends (however it ends). Once a part fails, no part
   * waiting is admitted any more (the run is over).
   */
  readonly admitted: <A, E, R>(tokens: number, self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * For an admitted part whose batch the provider failed with a full queue: waits until another
   * live part of the run finishes, or, when no other part is live, runs `backoff` (one step of
   * the caller's Schedule) instead.
   */
  readonly stall: <E, R>(backoff: Effect.Effect<void, E, R>) => Effect.Effect<void, E, R>
  /** The live parts and their tokens now (for tests and spans). */
  readonly state: () => QueueState
}

/** A {@link Gate} for these limits. */
export const makeGate = (limits: QueueLimits): Gate => {
  let running = 0
  let enqueued = 0
  let stalled = 0
  let finishes = 0
  // a part that failed fails the run: admit nobody after it (no batch created just to be cancelled)
  let closed = false
  const waiters: Array<{ readonly tokens: number; readonly admitted: Deferred.Deferred<void> }> = []
  // completed and replaced whenever a part finishes or stalls, so stalled parts look again
  let changed = Deferred.unsafeMake<void>(FiberId.none)
  const signal = () => {
    const previous = changed
    changed = Deferred.unsafeMake<void>(FiberId.none)
    Deferred.unsafeDone(previous, Exit.void)
  }
  const pump = () => {
    while (!closed && waiters.length > 0 && admits({ running, enqueuedTokens: enqueued }, waiters[0]!.tokens, limits)) {
      const next = waiters.shift()!
      running += 1
      enqueued += next.tokens
      Deferred.unsafeDone(next.admitted, Exit.void)
    }
  }
  const leave = (tokens: number, failed: boolean) =>
    Effect.sync(() => {
      if (failed) closed = true
      running -= 1
      enqueued -= tokens
      finishes += 1
      signal()
      pump()
    })

  const admitted = <A, E, R>(tokens: number, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const waiter = { tokens, admitted: Deferred.unsafeMake<void>(FiberId.none) }
        waiters.push(waiter)
        pump()
        return restore(Deferred.await(waiter.admitted)).pipe(
          Effect.onInterrupt(() =>
            Effect.suspend(() => {
              const at = waiters.indexOf(waiter)
              if (at < 0) return leave(tokens, true) // admitted just as it was interrupted
              waiters.splice(at, 1)
              pump()
              return Effect.void
            })),
          Effect.zipRight(restore(self).pipe(Effect.onExit((exit) => leave(tokens, Exit.isFailure(exit)))))
        )
      }))

  const stall = <E, R>(backoff: Effect.Effect<void, E, R>): Effect.Effect<void, E, R> =>
    Effect.suspend(() => {
      const start = finishes
      stalled += 1
      signal()
      const look: Effect.Effect<void, E, R> = Effect.suspend(() => {
        if (finishes !== start) return Effect.void
        if (running - stalled <= 0) return backoff
        return Effect.zipRight(Deferred.await(changed), look)
      })
      return Effect.ensuring(look, Effect.sync(() => { stalled -= 1 }))
    })

  return { admitted, stall, state: () => ({ running, enqueuedTokens: enqueued }) }
}
