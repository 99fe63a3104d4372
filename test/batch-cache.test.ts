/**
 * Prompt caching in batches: `Batch.primeCache` sends each distinct cached prefix once before a
 * batch (through the real Anthropic SDK on the emulator, whose cache then answers every batch
 * request with a read), `Cost` prices cache reads and writes at the model's rates with what
 * caching and the batch discount saved, for batches and for direct responses, and the facade's
 * `primeCache` option.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as Batch from "../src/Batch.js"
import * as Cost from "../src/Cost.js"
import { BinaryContent, CachePoint, ModelRequest, ModelResponse, TextPart, UserPromptPart } from "../src/Message.js"
import { RequestUsage } from "../src/Usage.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import { BatchResultSuccess } from "../src/BatchData.js"
import { harness, useBatchEmulator } from "./helpers/anthropic-batch.js"
import * as AnthropicProvider from "../src/providers/anthropic/index.js"
import { InvalidInputError, modelRequestBatchWithSummary } from "../src/direct/index.js"

const emulator = useBatchEmulator()

const doc = new BinaryContent({ data: new TextEncoder().encode("%PDF-1.4 a contract of 12 pages ".repeat(30)), mediaType: "application/pdf" })
const question = (n: number, prefix = "Read the contract.") => ({
  customId: `c-${n}`,
  messages: [new ModelRequest({ parts: [new UserPromptPart({ content: [doc, prefix, new CachePoint({ ttl: "1h" }), `Question ${n}?`] })] })]
})

describe("Batch.cachedPrefix", () => {
  it("cuts the messages after the last CachePoint; none without one", () => {
    const [request] = question(1).messages
    const prefix = Batch.cachedPrefix([request!])!
    expect(prefix).toHaveLength(1)
    expect(((prefix[0] as ModelRequest).parts[0] as UserPromptPart).content).toEqual([doc, "Read the contract.", new CachePoint({ ttl: "1h" })])
    expect(Batch.cachedPrefix([ModelRequest.userTextPrompt("no cache point")])).toBeUndefined()
  })
})

describe("Batch.primeCache", () => {
  it.effect("sends each distinct prefix once, with maxTokens 1, and skips requests without a cache point", () =>
    Effect.gen(function* () {
      const seen: Array<[number, number | undefined]> = []
      const model = FunctionModel.layer((messages, info) => {
        seen.push([((messages[0] as ModelRequest).parts[0] as UserPromptPart).content.length, info.settings.maxTokens])
        return new ModelResponse({ parts: [new TextPart({ content: "." })], modelName: "fn", providerName: "function", usage: new RequestUsage({ inputTokens: 100, cacheWriteTokens: 90 }) })
      })
      const requests = [question(1), question(2), question(3, "Another prefix."), { customId: "plain", messages: [ModelRequest.userTextPrompt("hi")] }]
      const primed = yield* Batch.primeCache(requests).pipe(Effect.provide(model))
      expect(primed).toMatchObject({ prefixes: 2, requests: 3 })
      expect(primed.usage.cacheWriteTokens).toBe(180)
      expect(seen).toEqual([[3, 1], [3, 1]])
    }))

  it.effect("on Anthropic, a primed prefix makes every request of the batch read the cache", () =>
    Effect.gen(function* () {
      const h = harness(emulator())
      const model = Layer.merge(AnthropicProvider.languageModel("claude-haiku-4-5").pipe(Layer.provide(h.client)), h.layer)
      const requests = [1, 2, 3, 4].map((n) => question(n, `Read contract ${Math.random()}.`)) // a prefix of its own
      const results = yield* h.drive(Effect.gen(function* () {
        const primed = yield* Batch.primeCache(requests)
        expect(primed.usage.cacheWriteTokens).toBeGreaterThan(0)
        return yield* Batch.run(requests)
      }).pipe(Effect.provide(model)))
      expect(results.map((r) => r.isSuccessful && r.response.usage.cacheReadTokens > 0 && r.response.usage.cacheWriteTokens === 0)).toEqual([true, true, true, true])
    }))
})

describe("Cost with cache tokens", () => {
  const price = { inputPerMillion: 1, outputPerMillion: 5, cacheReadPerMillion: 0.1, cacheWritePerMillion: 1.25 }
  const response = (usage: RequestUsage) => new ModelResponse({ parts: [new TextPart({ content: "x" })], modelName: "m", providerName: "anthropic", usage })
  const read = new RequestUsage({ inputTokens: 1_000_000, cacheReadTokens: 800_000, outputTokens: 100_000 })
  const write = new RequestUsage({ inputTokens: 1_000_000, cacheWriteTokens: 800_000, outputTokens: 100_000 })

  it.effect("a batch: reads at the read rate, writes at the write rate, halved; cache and batch savings add up to the standard price", () =>
    Effect.gen(function* () {
      const bill = yield* Cost.cost([new BatchResultSuccess({ customId: "a", response: response(read) }), new BatchResultSuccess({ customId: "b", response: response(write) })], { prices: { m: price }, lookup: false })
      // read: 0.2 uncached + 0.08 read + 0.5 output; write: 0.2 + 1.0 write + 0.5 output; halved
      expect(bill.totalCost).toBeCloseTo((0.78 + 1.7) / 2, 12)
      // caching: the read saved 0.72, the write cost 0.2 more; halved
      expect(bill.cacheSavings).toBeCloseTo((0.72 - 0.2) / 2, 12)
      // standard, uncached: 2 × (1.0 + 0.5) = 3.0
      expect(bill.standardCost).toBeCloseTo(3.0, 12)
      expect(bill.batchSavings).toBeCloseTo(3.0 - bill.totalCost - bill.cacheSavings, 12)
    }))

  it.effect("direct responses: Cost.responsesCost prices them at the standard rate, no batch discount", () =>
    Effect.gen(function* () {
      const bill = yield* Cost.responsesCost([response(read)], { prices: { m: price }, lookup: false })
      expect(bill.totalCost).toBeCloseTo(0.78, 12)
      expect(bill.cacheSavings).toBeCloseTo(0.72, 12)
      expect(bill.batchSavings).toBe(0)
    }))

  it("a BatchCost stored before these fields decodes with them at 0", () => {
    const old = { currency: "USD", totalCost: 1, byModel: [{ provider: "openai", model: "m", results: 1, inputCost: 0.5, outputCost: 0.5, totalCost: 1, multiplier: 0.5, source: "prices" }], unpriced: 0, unpricedModels: [], withoutUsage: 0 }
    const bill = Schema.decodeUnknownSync(Cost.BatchCost)(old)
    expect([bill.cacheSavings, bill.batchSavings, bill.byModel[0]!.cacheSavings]).toEqual([0, 0, 0])
  })
})

describe("the facade's primeCache option", () => {
  it("primes with the model's LanguageModel; a Layer without one is refused before any batch", async () => {
    const calls: Array<string> = []
    const model = FunctionModel.layer((messages) => {
      calls.push(((messages[0] as ModelRequest).parts[0] as UserPromptPart).content.length === 3 ? "prime" : "batch")
      return "ok"
    })
    const summary = await modelRequestBatchWithSummary(model, [question(1), question(2)], { primeCache: true })
    expect(summary.results.every((r) => r.isSuccessful)).toBe(true)
    expect(calls[0]).toBe("prime")
    expect(calls.filter((c) => c === "prime")).toHaveLength(1)
    const batchOnly = FunctionModel.batchLayer(() => "ok")
    await expect(modelRequestBatchWithSummary(batchOnly, [question(1)], { primeCache: true })).rejects.toBeInstanceOf(InvalidInputError)
  })
})
