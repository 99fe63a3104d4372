/**
 * What a batch cost, in US dollars, from the usage of its successful results.
 *
 * Prices come from your own table (`prices`, per million tokens by model), else from the
 * maintained price data of `@pydantic/genai-prices` (an optional peer dependency, imported only
 * when a model has no price of yours: install it with `npm install @pydantic/genai-prices` to
 * use it). That package ships the standard (non-batch) prices that pydantic collects from the
 * providers' pricing pages, with its data as of the installed version (it fetches nothing unless
 * told to with its own `updatePrices`); it has no batch prices, so the batch multiplier is
 * applied here: 0.5 for OpenAI, Anthropic and Google (Gemini), whose batch APIs bill input,
 * cache and output tokens at half the standard rate; 1 for other providers unless you say
 * otherwise.
 *
 * Every successful result with usage is priced on its own (some prices are tiered by request
 * size), under the response's model name. Results the prices do not cover are counted in
 * `unpriced`, results without usage in `withoutUsage`: neither is guessed.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { type BatchResult, BatchResultSuccess } from "./BatchData.js"
import { hasUsage } from "./BatchUsage.js"
import type { ModelResponse } from "./Message.js"
import type { RequestUsage } from "./Usage.js"

/**
 * The version of `@pydantic/genai-prices` this library is tested with (an optional peer).
 *
 * @since 0.1.0
 * @category constants
 */
export const genaiPricesVersion = "0.1.8"

/**
 * Standard prices of one model in US dollars per million tokens. `inputPerMillion` is the price of
 * uncached input; cache reads and writes default to it when not given.
 *
 * @since 0.1.0
 * @category models
 */
export class ModelPrice extends Schema.Class<ModelPrice>("ModelPrice")({
  inputPerMillion: Schema.Number,
  outputPerMillion: Schema.Number,
  cacheReadPerMillion: Schema.optional(Schema.Number),
  cacheWritePerMillion: Schema.optional(Schema.Number)
}) {}

/**
 * A {@link ModelPrice} or a plain object of its fields.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelPriceInput =
  | ModelPrice
  | {
      readonly inputPerMillion: number
      readonly outputPerMillion: number
      readonly cacheReadPerMillion?: number | undefined
      readonly cacheWritePerMillion?: number | undefined
    }

/**
 * Options of {@link cost}.
 *
 * @since 0.1.0
 * @category options
 */
export interface CostOptions {
  /**
   * Your standard (non-batch) prices by model name; they win over `@pydantic/genai-prices`. A key
   * matches the response's model name exactly, or as its prefix before a `-` ("gpt-4o-mini"
   * prices "gpt-4o-mini-2024-07-18"); the longest key wins.
   */
  readonly prices?: Readonly<Record<string, ModelPriceInput>> | undefined
  /**
   * What a batch pays as a fraction of the standard price: one number for every provider, or by
   * provider name. Default 0.5 for "openai", "anthropic" and "google", 1 for any other.
   */
  readonly batchMultiplier?: number | Readonly<Record<string, number>> | undefined
  /** Whether models without a price of yours are looked up in `@pydantic/genai-prices` (default true). */
  readonly lookup?: boolean | undefined
}

/**
 * The batch price multipliers used by default: half price on the OpenAI, Anthropic and Gemini batch APIs.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBatchMultipliers: Readonly<Record<string, number>> = { openai: 0.5, anthropic: 0.5, google: 0.5 }

/**
 * Where a model's prices came from.
 *
 * @since 0.1.0
 * @category models
 */
export const PriceSource = Schema.Literal("prices", "genai-prices")
/**
 * Where a model's prices came from.
 *
 * @since 0.1.0
 * @category models
 */
export type PriceSource = typeof PriceSource.Type

/**
 * The cost of the results of one model, in US dollars, the batch multiplier applied.
 *
 * @since 0.1.0
 * @category models
 */
export class ModelCost extends Schema.Class<ModelCost>("ModelCost")({
  provider: Schema.String,
  model: Schema.String,
  /** The results priced. */
  results: Schema.Number,
  inputCost: Schema.Number,
  outputCost: Schema.Number,
  totalCost: Schema.Number,
  multiplier: Schema.Number,
  source: PriceSource,
  /**
   * What prompt caching saved on these results: their input priced as if nothing had been read
   * from or written to a cache, less what it cost (cache writes can cost more than they save).
   */
  cacheSavings: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {}

/**
 * The cost of a batch in US dollars. `totalCost` sums `byModel`; `unpriced` counts the successful
 * results with usage that no price covered (their models in `unpricedModels`), `withoutUsage`
 * those that reported no usage. Both are left out of the total, not estimated.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchCost extends Schema.Class<BatchCost>("BatchCost")({
  currency: Schema.Literal("USD"),
  totalCost: Schema.Number,
  byModel: Schema.Array(ModelCost),
  unpriced: Schema.Number,
  unpricedModels: Schema.Array(Schema.String),
  withoutUsage: Schema.Number,
  /** What prompt caching saved, at the price paid (the batch multiplier applied); see {@link ModelCost}. */
  cacheSavings: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** What the batch discount saved: the standard price of the same results, less `totalCost`. */
  batchSavings: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {
  /** What the results would have cost as direct requests without caching. */
  get standardCost(): number {
    return this.totalCost + this.cacheSavings + this.batchSavings
  }
}

/**
 * Cost was asked for a model without a price of yours, and `@pydantic/genai-prices` is not installed.
 *
 * @since 0.1.0
 * @category errors
 */
export class PricesUnavailableError extends Schema.TaggedError<PricesUnavailableError>()("PricesUnavailableError", {
  /** The models that needed the package. */
  models: Schema.Array(Schema.String),
  /** Why the import failed. */
  detail: Schema.String
}) {
  override get message(): string {
    return `pricing ${this.models.join(", ")} needs the optional package @pydantic/genai-prices, which could not be loaded (${this.detail}). ` +
      `Install it (npm install @pydantic/genai-prices@${genaiPricesVersion}), or pass prices for these models in the cost options.`
  }
}

/**
 * What this module uses of `@pydantic/genai-prices`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PriceData {
  readonly calcPrice: (
    usage: Record<string, number | undefined>,
    modelId: string,
    options?: { readonly providerId?: string }
  ) => { readonly input_price: number; readonly output_price: number; readonly model: { readonly id: string } } | null
}

let loaded: Promise<PriceData> | undefined
// a variable specifier: bundlers and TypeScript leave the optional peer out of the graph
const packageName = "@pydantic/genai-prices"
const importPriceData = (): Promise<PriceData> => (loaded ??= import(packageName) as Promise<PriceData>)

const priceFor = (prices: Readonly<Record<string, ModelPriceInput>> | undefined, model: string): ModelPriceInput | undefined => {
  if (prices === undefined) return undefined
  if (Object.hasOwn(prices, model)) return prices[model]
  let best: string | undefined
  for (const key of Object.keys(prices)) {
    if (model.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key
  }
  return best === undefined ? undefined : prices[best]
}

const multiplierOf = (option: CostOptions["batchMultiplier"], provider: string): number =>
  typeof option === "number" ? option : option?.[provider] ?? defaultBatchMultipliers[provider] ?? 1

/**
 * One usage priced with a price of yours, before the multiplier: [input, output] dollars.
 *
 * @since 0.1.0
 * @category utils
 */
export const priceUsage = (price: ModelPriceInput, usage: RequestUsage): readonly [number, number] => {
  const uncached = Math.max(0, usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens)
  const input = uncached * price.inputPerMillion +
    usage.cacheReadTokens * (price.cacheReadPerMillion ?? price.inputPerMillion) +
    usage.cacheWriteTokens * (price.cacheWritePerMillion ?? price.inputPerMillion)
  return [input / 1_000_000, (usage.outputTokens * price.outputPerMillion) / 1_000_000]
}

// genai-prices counts input like we do: input_tokens includes cache reads and writes
const wireUsage = (usage: RequestUsage): Record<string, number> => ({
  input_tokens: usage.inputTokens,
  output_tokens: usage.outputTokens,
  cache_read_tokens: usage.cacheReadTokens,
  cache_write_tokens: usage.cacheWriteTokens
})

interface Line {
  provider: string
  model: string
  results: number
  input: number
  output: number
  multiplier: number
  source: PriceSource
  cacheSavings: number
}

/** The same usage with nothing read from or written to a cache: every input token at the input price. */
const uncached = (usage: RequestUsage): RequestUsage =>
  usage.cacheReadTokens === 0 && usage.cacheWriteTokens === 0 ? usage : ({ ...usage, cacheReadTokens: 0, cacheWriteTokens: 0 } as RequestUsage)

/**
 * {@link cost} with another source of price data (tests use it to see the missing-package error).
 *
 * @since 0.1.0
 * @category utils
 */
export const costWith = (load: () => Promise<PriceData>) =>
  (results: Iterable<BatchResult>, options: CostOptions = {}): Effect.Effect<BatchCost, PricesUnavailableError> =>
    Effect.gen(function* () {
      const priced: Array<{ readonly provider: string; readonly model: string; readonly usage: RequestUsage }> = []
      let withoutUsage = 0
      for (const result of results) {
        if (!result.isSuccessful) continue
        if (!hasUsage(result.response.usage)) {
          withoutUsage += 1
          continue
        }
        priced.push({ provider: result.response.providerName, model: result.response.modelName, usage: result.response.usage })
      }
      const lookup = options.lookup ?? true
      const needPackage = lookup ? [...new Set(priced.filter((p) => priceFor(options.prices, p.model) === undefined).map((p) => p.model))] : []
      // the package is imported only when a model has no price of yours
      const data = needPackage.length === 0
        ? undefined
        : yield* Effect.tryPromise({
            try: load,
            catch: (error) => new PricesUnavailableError({ models: needPackage, detail: error instanceof Error ? error.message : String(error) })
          })
      const lines = new Map<string, Line>()
      const unpricedModels = new Set<string>()
      let unpriced = 0
      for (let i = 0; i < priced.length; i++) {
        // genai-prices takes ~16 µs a result: let other fibers run between thousands of them
        if (i > 0 && i % 2_000 === 0) yield* Effect.yieldNow()
        const { model, provider, usage } = priced[i]!
        const own = priceFor(options.prices, model)
        let input: number
        let output: number
        let source: PriceSource
        // the input as if no cache had been used: priced only when the usage has cache tokens
        let inputUncached: number
        const plain = uncached(usage)
        if (own !== undefined) {
          ;[input, output] = priceUsage(own, usage)
          inputUncached = plain === usage ? input : priceUsage(own, plain)[0]
          source = "prices"
        } else {
          const found = data?.calcPrice(wireUsage(usage), model, { providerId: provider }) ?? null
          if (found === null) {
            unpriced += 1
            unpricedModels.add(model)
            continue
          }
          input = found.input_price
          output = found.output_price
          inputUncached = plain === usage ? input : data?.calcPrice(wireUsage(plain), model, { providerId: provider })?.input_price ?? input
          source = "genai-prices"
        }
        const multiplier = multiplierOf(options.batchMultiplier, provider)
        const key = `${provider}\u0000${model}`
        const line = lines.get(key) ?? { provider, model, results: 0, input: 0, output: 0, multiplier, source, cacheSavings: 0 }
        line.results += 1
        line.input += input * multiplier
        line.output += output * multiplier
        line.cacheSavings += (inputUncached - input) * multiplier
        lines.set(key, line)
      }
      const byModel = [...lines.values()].map((l) =>
        new ModelCost({
          provider: l.provider,
          model: l.model,
          results: l.results,
          inputCost: l.input,
          outputCost: l.output,
          totalCost: l.input + l.output,
          multiplier: l.multiplier,
          source: l.source,
          cacheSavings: l.cacheSavings
        }))
      return new BatchCost({
        currency: "USD",
        totalCost: byModel.reduce((sum, m) => sum + m.totalCost, 0),
        byModel,
        unpriced,
        unpricedModels: [...unpricedModels],
        withoutUsage,
        cacheSavings: byModel.reduce((sum, m) => sum + m.cacheSavings, 0),
        // a multiplier of 0 (free) has no standard price to compare with here
        batchSavings: byModel.reduce((sum, m) => sum + (m.multiplier > 0 ? (m.totalCost + m.cacheSavings) / m.multiplier - m.totalCost - m.cacheSavings : 0), 0)
      })
    })

/**
 * What direct (non-batch) responses cost in US dollars: {@link cost} at the standard price (no
 * batch multiplier), cache reads and writes at the model's cache rates, with what caching saved.
 *
 * @example
 * const bill = yield* Cost.responsesCost([response], { prices: { "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5, cacheReadPerMillion: 0.1, cacheWritePerMillion: 1.25 } } })
 *
 * @since 0.2.0
 * @category utils
 */
export const responsesCost = (
  responses: Iterable<ModelResponse>,
  options: Omit<CostOptions, "batchMultiplier"> = {}
): Effect.Effect<BatchCost, PricesUnavailableError> =>
  Effect.suspend(() => {
    const results: Array<BatchResult> = []
    let i = 0
    for (const response of responses) results.push(new BatchResultSuccess({ customId: `response-${i++}`, response }))
    return cost(results, { ...options, batchMultiplier: 1 })
  })

/**
 * The cost of a batch's results in US dollars, batch multiplier applied (see the module notes).
 * Fails with PricesUnavailableError only when a model needs `@pydantic/genai-prices` and it is
 * not installed.
 *
 * @example
 * const bill = yield* Cost.cost(results, { prices: { "my-model": { inputPerMillion: 1, outputPerMillion: 4 } } })
 * console.log(`$${bill.totalCost.toFixed(4)}; ${bill.unpriced} results not priced`)
 *
 * @since 0.1.0
 * @category utils
 */
export const cost: (results: Iterable<BatchResult>, options?: CostOptions) => Effect.Effect<BatchCost, PricesUnavailableError> =
  costWith(importPriceData)
