/**
 * Token totals of a batch: the usage of every successful result summed, and the results that
 * carried no usage counted (never guessed). Pure; re-exported by the `Batch` namespace as
 * `Batch.usage` and `Batch.BatchUsage`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { BatchResult } from "./BatchData.js"
import type { RequestUsage } from "./Usage.js"

/**
 * The summed usage of a batch's results. `inputTokens` counts all input, cache reads and writes
 * included (as {@link RequestUsage} does); `reasoningTokens` are part of `outputTokens` (OpenAI
 * reports them as `completion_tokens_details.reasoning_tokens`), shown apart. `succeeded` counts
 * the successful results, `withoutUsage` those among them whose response reported no usage (every
 * counter zero): their tokens are unknown, not zero. `failed` counts the failed results, which
 * carry no usage (a batch bills only what succeeded).
 *
 * @since 0.1.0
 * @category models
 */
export class BatchUsage extends Schema.Class<BatchUsage>("BatchUsage")({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  cacheReadTokens: Schema.Number,
  cacheWriteTokens: Schema.Number,
  reasoningTokens: Schema.Number,
  succeeded: Schema.Number,
  withoutUsage: Schema.Number,
  failed: Schema.Number
}) {
  /** Input plus output tokens. */
  get totalTokens(): number {
    return this.inputTokens + this.outputTokens
  }
}

/**
 * The reasoning tokens of one usage (OpenAI's `reasoning_tokens` detail; 0 when absent).
 *
 * @since 0.1.0
 * @category utils
 */
export const reasoningTokensOf = (usage: RequestUsage): number => usage.details.reasoning_tokens ?? 0

/**
 * Whether a usage reports anything. A provider that sends no usage block decodes to every
 * counter zero; a real request always has input tokens, so all-zero means "not reported".
 *
 * @since 0.1.0
 * @category guards
 */
export const hasUsage = (usage: RequestUsage): boolean =>
  usage.inputTokens > 0 || usage.outputTokens > 0 || usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0 ||
  Object.keys(usage.details).length > 0

/**
 * Sums the usage of the successful results and counts the rest.
 *
 * @example
 * const results = yield* Batch.run(requests)
 * const usage = Batch.usage(results)
 * console.log(`${usage.inputTokens} in, ${usage.outputTokens} out; ${usage.withoutUsage} results reported no usage`)
 *
 * @since 0.1.0
 * @category utils
 */
export const usage = (results: Iterable<BatchResult>): BatchUsage => {
  let inputTokens = 0
  let outputTokens = 0
  let cacheReadTokens = 0
  let cacheWriteTokens = 0
  let reasoningTokens = 0
  let succeeded = 0
  let withoutUsage = 0
  let failed = 0
  for (const result of results) {
    if (!result.isSuccessful) {
      failed += 1
      continue
    }
    succeeded += 1
    const u = result.response.usage
    if (!hasUsage(u)) {
      withoutUsage += 1
      continue
    }
    inputTokens += u.inputTokens
    outputTokens += u.outputTokens
    cacheReadTokens += u.cacheReadTokens
    cacheWriteTokens += u.cacheWriteTokens
    reasoningTokens += reasoningTokensOf(u)
  }
  return new BatchUsage({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens, succeeded, withoutUsage, failed })
}
