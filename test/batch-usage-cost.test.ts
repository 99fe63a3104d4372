import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import * as Batch from "../src/Batch.js"
import * as Cost from "../src/Cost.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { RequestUsage } from "../src/Usage.js"
import { reqs, withClock } from "./batch-helpers.js"

const response = (provider: string, model: string, usage?: ConstructorParameters<typeof RequestUsage>[0]) =>
  new ModelResponse({
    parts: [new TextPart({ content: "ok" })],
    modelName: model,
    providerName: provider,
    ...(usage !== undefined ? { usage: new RequestUsage(usage) } : {})
  })
const ok = (customId: string, r: ModelResponse) => new Batch.BatchResultSuccess({ customId, response: r })
const failed = (customId: string) => new Batch.BatchResultFailure({ customId, error: new Batch.ResultError({ code: "expired", message: "x" }) })

// OpenAI: a, b with usage (b with cache reads and reasoning), c without; Anthropic: d; e failed
const results: ReadonlyArray<Batch.BatchResult> = [
  ok("a", response("openai", "gpt-4o-mini-2024-07-18", { inputTokens: 1_000, outputTokens: 200 })),
  ok("b", response("openai", "gpt-4o-mini-2024-07-18", { inputTokens: 3_000, outputTokens: 800, cacheReadTokens: 2_000, details: { reasoning_tokens: 300 } })),
  ok("c", response("openai", "gpt-4o-mini-2024-07-18")),
  ok("d", response("anthropic", "claude-sonnet-4-20250514", { inputTokens: 10_000, outputTokens: 1_000, cacheReadTokens: 4_000, cacheWriteTokens: 1_000 })),
  failed("e")
]

describe("Batch.usage", () => {
  it("sums the successful results and counts those without usage", () => {
    const usage = Batch.usage(results)
    // input 1000 + 3000 + 10000 = 14000; output 200 + 800 + 1000 = 2000
    expect(usage.inputTokens).toBe(14_000)
    expect(usage.outputTokens).toBe(2_000)
    expect(usage.totalTokens).toBe(16_000)
    // cache reads 2000 + 4000; writes 1000; reasoning 300 (b only)
    expect(usage.cacheReadTokens).toBe(6_000)
    expect(usage.cacheWriteTokens).toBe(1_000)
    expect(usage.reasoningTokens).toBe(300)
    // a, b, c, d succeeded; c reported no usage; e failed
    expect(usage.succeeded).toBe(4)
    expect(usage.withoutUsage).toBe(1)
    expect(usage.failed).toBe(1)
  })

  it("is all zero for no results", () => {
    expect(Batch.usage([])).toEqual(new Batch.BatchUsage({
      inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, succeeded: 0, withoutUsage: 0, failed: 0
    }))
  })
})

describe("Cost.cost", () => {
  it.effect("prices from @pydantic/genai-prices, batch price halved, match the hand-computed figures", () =>
    Effect.gen(function* () {
      const bill = yield* Cost.cost(results)
      const openai = bill.byModel.find((m) => m.provider === "openai")!
      const anthropic = bill.byModel.find((m) => m.provider === "anthropic")!
      // gpt-4o-mini (genai-prices 0.1.8): input 0.15, cache read 0.075, output 0.60 $/Mtok
      // a: 1000 × 0.15 = 150; b: (3000 − 2000) × 0.15 + 2000 × 0.075 = 150 + 150 = 300 → input 450 / 1e6
      // output: (200 + 800) × 0.60 = 600 / 1e6; batch × 0.5 → input 0.000225, output 0.0003
      expect(openai.source).toBe("genai-prices")
      expect(openai.results).toBe(2)
      expect(openai.multiplier).toBe(0.5)
      expect(openai.inputCost).toBeCloseTo(0.000225, 12)
      expect(openai.outputCost).toBeCloseTo(0.0003, 12)
      // claude-sonnet-4: input 3, cache write 3.75, cache read 0.30, output 15 $/Mtok
      // input: (10000 − 4000 − 1000) × 3 + 4000 × 0.30 + 1000 × 3.75 = 15000 + 1200 + 3750 = 19950 / 1e6
      // output: 1000 × 15 = 15000 / 1e6; batch × 0.5 → input 0.009975, output 0.0075
      expect(anthropic.inputCost).toBeCloseTo(0.009975, 12)
      expect(anthropic.outputCost).toBeCloseTo(0.0075, 12)
      // total: 0.000225 + 0.0003 + 0.009975 + 0.0075 = 0.018
      expect(bill.totalCost).toBeCloseTo(0.018, 12)
      expect(bill.currency).toBe("USD")
      // c reported no usage: counted, not priced
      expect(bill.withoutUsage).toBe(1)
      expect(bill.unpriced).toBe(0)
    }))

  it.effect("user prices win (by model-name prefix), and other multipliers apply", () =>
    Effect.gen(function* () {
      const bill = yield* Cost.cost(results, {
        prices: {
          "gpt-4o-mini": { inputPerMillion: 1, outputPerMillion: 10 },
          "claude-sonnet-4": { inputPerMillion: 2, outputPerMillion: 20, cacheReadPerMillion: 0.5, cacheWritePerMillion: 4 }
        },
        batchMultiplier: { anthropic: 1 }
      })
      const openai = bill.byModel.find((m) => m.provider === "openai")!
      const anthropic = bill.byModel.find((m) => m.provider === "anthropic")!
      // openai: cache reads default to the input price: input (1000 + 3000) × 1 = 4000; output 1000 × 10 = 10000
      // × 0.5 (default for openai) → 0.002 + 0.005
      expect(openai.source).toBe("prices")
      expect(openai.inputCost).toBeCloseTo(0.002, 12)
      expect(openai.outputCost).toBeCloseTo(0.005, 12)
      // anthropic: 5000 × 2 + 4000 × 0.5 + 1000 × 4 = 16000; output 1000 × 20 = 20000; × 1
      expect(anthropic.inputCost).toBeCloseTo(0.016, 12)
      expect(anthropic.outputCost).toBeCloseTo(0.02, 12)
      expect(anthropic.multiplier).toBe(1)
      expect(bill.totalCost).toBeCloseTo(0.002 + 0.005 + 0.016 + 0.02, 12)
    }))

  it.effect("Gemini batches are billed at half the standard price, like OpenAI's and Anthropic's", () =>
    Effect.gen(function* () {
      // the provider name the Gemini provider puts on its responses
      const gemini = [ok("g", response("google", "gemini-2.5-flash", { inputTokens: 1_000_000, outputTokens: 100_000 }))]
      const bill = yield* Cost.cost(gemini, { prices: { "gemini-2.5-flash": { inputPerMillion: 0.3, outputPerMillion: 2.5 } } })
      const google = bill.byModel.find((m) => m.provider === "google")!
      // standard: 1M × 0.30 + 0.1M × 2.50 = 0.30 + 0.25; the Batch API bills half
      expect(google.multiplier).toBe(0.5)
      expect(google.inputCost).toBeCloseTo(0.15, 12)
      expect(google.outputCost).toBeCloseTo(0.125, 12)
      expect(bill.totalCost).toBeCloseTo(0.275, 12)
      expect(Cost.defaultBatchMultipliers.google).toBe(0.5)
    }))

  it.effect("models nobody prices are counted as unpriced, not guessed", () =>
    Effect.gen(function* () {
      const bill = yield* Cost.cost([ok("x", response("openai", "no-such-model-xyz", { inputTokens: 10, outputTokens: 1 })), ...results])
      expect(bill.unpriced).toBe(1)
      expect(bill.unpricedModels).toEqual(["no-such-model-xyz"])
      expect(bill.totalCost).toBeCloseTo(0.018, 12)
    }))

  it.effect("a missing @pydantic/genai-prices is a typed error only when a model needs it", () =>
    Effect.gen(function* () {
      const missing = Cost.costWith(() => Promise.reject(new Error("Cannot find package '@pydantic/genai-prices'")))
      const exit = yield* Effect.exit(missing(results))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(missing(results))
      expect(error).toBeInstanceOf(Cost.PricesUnavailableError)
      expect(error.models).toEqual(["gpt-4o-mini-2024-07-18", "claude-sonnet-4-20250514"])
      expect(error.message).toContain("npm install @pydantic/genai-prices@0.1.8")
      // every model priced by the user: the package is never imported
      const own = yield* missing(results, {
        prices: { "gpt-4o-mini": { inputPerMillion: 1, outputPerMillion: 1 }, "claude-sonnet-4": { inputPerMillion: 1, outputPerMillion: 1 } }
      })
      expect(own.byModel).toHaveLength(2)
    }))
})

describe("Batch.runWithSummary", () => {
  it.effect("returns the results, their usage and their cost, and encodes to JSON", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make({
        provider: "openai",
        modelName: "gpt-4o-mini",
        answer: (r) => response("openai", "gpt-4o-mini", r.customId === "b" ? undefined : { inputTokens: 100, outputTokens: 10 })
      })
      const summary = yield* withClock(Batch.runWithSummary(reqs("a", "b", "c"), { cost: { prices: { "gpt-4o-mini": { inputPerMillion: 2, outputPerMillion: 8 } } } }).pipe(
        Effect.provide(sim.layer)
      ))
      expect(summary.results.map((r) => r.customId)).toEqual(["a", "b", "c"])
      // a, c: 100 in, 10 out each; b without usage
      expect(summary.usage.inputTokens).toBe(200)
      expect(summary.usage.outputTokens).toBe(20)
      expect(summary.usage.withoutUsage).toBe(1)
      // (200 × 2 + 20 × 8) / 1e6 × 0.5 = 560 / 1e6 × 0.5 = 0.00028
      expect(summary.cost?.totalCost).toBeCloseTo(0.00028, 12)
      const json = Schema.encodeSync(Batch.BatchSummary)(summary)
      expect(Schema.decodeUnknownSync(Batch.BatchSummary)(JSON.parse(JSON.stringify(json))).usage.inputTokens).toBe(200)
      // without `cost` nothing is priced
      const plain = yield* withClock(Batch.runWithSummary(reqs("a")).pipe(Effect.provide(sim.layer)))
      expect(plain.cost).toBeUndefined()
    }))
})
