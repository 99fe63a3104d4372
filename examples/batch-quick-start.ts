/**
 * Seed 003 "Quick Start" (batch_quick_start.py): `modelRequestBatch` submits, polls every
 * `pollInterval` seconds and resolves with one result per request, in submission order.
 */
import { modelRequestBatch, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const questions = [
    ["math-1", "What is 2 + 2?"],
    ["math-2", "What is the square root of 144?"],
    ["science-1", "What is photosynthesis?"],
    ["science-2", "Explain gravity in one sentence."]
  ] as const
  const requests = questions.map(([customId, question]) => [customId, [ModelRequest.userTextPrompt(question)]] as const)

  const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { pollInterval: 60 })

  for (const result of results) {
    if (result.isSuccessful) {
      const first = result.response.parts[0]
      console.log(`${result.customId}: ${first?._tag === "TextPart" ? first.content : ""}`)
    } else {
      console.log(`${result.customId}: ERROR - ${result.error.message}`)
    }
  }
  check(results.length === 4 && results.every((r) => r.isSuccessful), "four answers")
  check(results[1]?.isSuccessful === true && results[1].response.text === "The square root of 144 is 12.", "math-2 answered")
}

runExample(import.meta.url, main)
