/**
 * Seed 003 "Batch Object Properties" (batch_properties.py): what a Batch tells you.
 */
import { batchCreate, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const batch = await batchCreate("openai:gpt-4o-mini", [["q1", [ModelRequest.userTextPrompt("Hello")]]])
  console.log(`Is complete: ${batch.isComplete}`) // finished, successfully or not
  console.log(`Is successful: ${batch.isSuccessful}`) // completed
  console.log(`Status: ${batch.status}`)
  console.log(`Total: ${batch.requestCount}`)
  console.log(`Completed: ${batch.completedCount}`)
  console.log(`Failed: ${batch.failedCount}`)
  console.log(`Provider details: ${JSON.stringify(batch.details)}`)
  check(batch.requestCount === 1, "one request")
  check(batch.isComplete === (batch.status === "completed" || batch.status === "failed" || batch.status === "expired" || batch.status === "cancelled"), "isComplete means a final status")
  check(batch.isComplete && batch.isSuccessful && batch.completedCount === 1 && batch.failedCount === 0, "the emulated batch completed at once")
}

runExample(import.meta.url, main)
