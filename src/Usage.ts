/**
 * Token accounting for one model request.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Token usage of one request. `inputTokens` counts all input, cached tokens included;
 * `details` keeps the provider's extra counters (reasoning tokens, audio tokens, ...).
 *
 * @example
 * new RequestUsage({ inputTokens: 56, outputTokens: 7 }).totalTokens // 63
 *
 * @since 0.1.0
 * @category models
 */
export class RequestUsage extends Schema.Class<RequestUsage>("RequestUsage")({
  inputTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  outputTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  cacheReadTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  cacheWriteTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  details: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Number }), { default: () => ({}) })
}) {
  /** Input plus output tokens. */
  get totalTokens(): number {
    return this.inputTokens + this.outputTokens
  }

  /** Adds two usages field by field (details summed by key). */
  add(that: RequestUsage): RequestUsage {
    const details: Record<string, number> = { ...this.details }
    for (const [key, value] of Object.entries(that.details)) details[key] = (details[key] ?? 0) + value
    // sums of two usages' numbers: no constructor validation (fields in the schema's order, as a
    // validating constructor would put them)
    return new RequestUsage({
      inputTokens: this.inputTokens + that.inputTokens,
      outputTokens: this.outputTokens + that.outputTokens,
      cacheReadTokens: this.cacheReadTokens + that.cacheReadTokens,
      cacheWriteTokens: this.cacheWriteTokens + that.cacheWriteTokens,
      details
    }, true)
  }

  /** An empty usage: every counter zero. */
  static readonly empty: RequestUsage = new RequestUsage({})
}
