/**
 * Seed 003 "Cancellation and Timeouts" (batch_with_timeout.py): `timeout` (seconds) cancels the
 * remote batch and rejects with BatchTimeoutError if it is not done in time.
 */
import { BatchTimeoutError, modelRequestBatch, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const requests = [
    ["q1", [ModelRequest.userTextPrompt("What is AI?")]],
    ["q2", [ModelRequest.userTextPrompt("What is ML?")]]
  ] as const

  try {
    const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { timeout: 1800 }) // 30 minutes
    for (const result of results) {
      if (result.isSuccessful) console.log(`${result.customId}: ${result.response.text}`)
    }
    check(results.map((r) => r.customId).join() === "q1,q2", "both results")
  } catch (error) {
    if (error instanceof BatchTimeoutError) console.log(`Batch ${error.batchId} cancelled: ${error.message}`)
    else throw error
  }
}

runExample(import.meta.url, main)
