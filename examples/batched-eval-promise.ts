/**
 * The same eval as batched-eval.ts through the promise facade: `batched(model, options)` makes a
 * model whose `modelRequest` calls share provider batches, so
 * `await Promise.all(cases.map((c) => modelRequest(m, ...)))` pays the batch price. Times are in
 * seconds, as everywhere in the facade.
 */
import { batched, batchedProgress, ModelRequest, modelRequest, watchBatchedProgress } from "../src/direct/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

const words = ["apple", "river", "cloud", "stone", "maple", "ember", "harbor", "violet", "canyon", "lantern"]
const cases = Array.from({ length: 500 }, (_, i) => {
  const word = `${words[i % words.length]}${i}`
  return { prompt: `Reply with exactly this word and nothing else: ${word}`, expected: word }
})

export const main = async (): Promise<void> => {
  const model = batched("openai:gpt-4o-mini", {
    maxWait: 2,
    pollInterval: usingRealProviders() ? 30 : 0.01,
    cost: { prices: { "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 } } }
  })
  let last = ""
  const stop = watchBatchedProgress(model, (p) => {
    last = `${p.done + p.failed}/${p.total} answered, ${p.liveBatches} batch(es) running`
    if (process.stdout.isTTY) process.stdout.write(`\r${last}`)
  })
  const passed = await Promise.all(cases.map(async (c) => {
    try {
      const response = await modelRequest(model, [ModelRequest.userTextPrompt(c.prompt)], { modelSettings: { maxTokens: 20 } })
      return response.text.trim().toLowerCase().endsWith(c.expected)
    } catch (error) {
      console.error(`case failed: ${(error as Error).message}`)
      return false
    }
  }))
  stop()
  const progress = await batchedProgress(model)
  console.log(process.stdout.isTTY ? "" : last)
  const score = passed.filter(Boolean).length
  console.log(`score ${score}/${cases.length} in ${progress.batches} batch(es)`)
  console.log(`cost $${progress.cost.toFixed(6)} at the batch price; saved $${progress.saved.toFixed(6)} against direct requests`)
  check(score === cases.length, "every case passes on the emulator")
  check(progress.batches === 1 && progress.direct === 0, "one batch, no direct call")
  check(progress.saved > 0, "the batch price saved something")
}

export const emulatorSettings: EmulatorSettings = { statusCalls: 3 }

runExample(import.meta.url, main, emulatorSettings)
