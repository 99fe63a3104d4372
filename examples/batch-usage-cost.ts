/**
 * Usage and cost of a batch: `modelRequestBatchWithSummary` sums the tokens of the successful
 * results and prices them, from `@pydantic/genai-prices` (an optional package) or from your own
 * per-million-token prices, at the batch rate (half the standard price on OpenAI and Anthropic).
 * Then the same in Effect with `Batch.runWithSummary`.
 */
import { Effect } from "effect"
import { modelRequestBatchWithSummary, ModelRequest } from "../src/direct/index.js"
import { Batch, OpenAi } from "../src/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const requests = [
    ["math-1", [ModelRequest.userTextPrompt("What is 2 + 2?")]],
    ["math-2", [ModelRequest.userTextPrompt("What is the square root of 144?")]],
    ["science-1", [ModelRequest.userTextPrompt("What is photosynthesis?")]]
  ] as const

  // prices from @pydantic/genai-prices (npm install @pydantic/genai-prices)
  const { results, usage, cost } = await modelRequestBatchWithSummary("openai:gpt-4o-mini", requests, { cost: true })
  console.log(`${results.length} results: ${usage.inputTokens} input + ${usage.outputTokens} output tokens (${usage.cacheReadTokens} cached)`)
  if (usage.withoutUsage > 0) console.log(`${usage.withoutUsage} results reported no usage`)
  for (const line of cost?.byModel ?? []) {
    console.log(`${line.provider}/${line.model}: ${line.results} results, $${line.totalCost.toFixed(6)} at ${line.multiplier}× (${line.source})`)
  }
  console.log(`Total: $${cost?.totalCost.toFixed(6)}; not priced: ${cost?.unpriced ?? 0}`)
  check(usage.succeeded === 3 && usage.inputTokens > 0, "usage summed over three results")
  check((cost?.totalCost ?? 0) > 0 && cost?.byModel[0]?.source === "genai-prices", "priced by @pydantic/genai-prices")

  // your own prices (per million tokens, standard rate) win; the batch multiplier still applies
  const summary = await Effect.runPromise(
    Batch.runWithSummary(requests.map(([customId, messages]) => ({ customId, messages })), {
      cost: { prices: { "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6, cacheReadPerMillion: 0.075 } } }
    }).pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))
  )
  console.log(`With our prices: $${summary.cost?.totalCost.toFixed(6)} for ${summary.usage.totalTokens} tokens`)
  check(summary.cost?.byModel[0]?.source === "prices", "own prices used")
  check(Math.abs((summary.cost?.totalCost ?? 0) - (cost?.totalCost ?? 0)) < 1e-12, "the same figures as genai-prices for gpt-4o-mini")
}

runExample(import.meta.url, main)
