/**
 * Seed 000 "Basic Batch Example" (batch_basic.py): submit with `batchCreate`, poll with
 * `batchStatus`, then read `batchResults`.
 */
import { batchCreate, batchResults, batchStatus, ModelRequest } from "../src/direct/index.js"
import { check, type EmulatorSettings, runExample, wait } from "./_support.js"

export const main = async (): Promise<void> => {
  const questions = [
    ["math-1", "What is 2 + 2?"],
    ["math-2", "What is the square root of 144?"],
    ["science-1", "What is photosynthesis?"],
    ["science-2", "Explain gravity in one sentence."]
  ] as const
  // each request is a [customId, messages] tuple
  const requests = questions.map(([customId, question]) => [customId, [ModelRequest.userTextPrompt(question)]] as const)

  let batch = await batchCreate("openai:gpt-4o-mini", requests) // half price
  console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)

  let polls = 0
  while (!batch.isComplete) {
    console.log(`Status: ${batch.status} - waiting...`)
    await wait(60) // check every minute
    batch = await batchStatus("openai:gpt-4o-mini", batch)
    polls++
  }

  if (batch.isSuccessful) {
    const results = await batchResults("openai:gpt-4o-mini", batch)
    for (const result of results) {
      if (result.isSuccessful) {
        const first = result.response.parts[0]
        console.log(`${result.customId}: ${first?._tag === "TextPart" ? first.content : ""}`)
      } else {
        console.log(`${result.customId}: ERROR - ${result.error.message}`)
      }
    }
    check(results.map((r) => r.customId).join() === "math-1,math-2,science-1,science-2", "results in submission order")
    check(results.every((r) => r.isSuccessful), "every request succeeded")
    check(results[0]?.isSuccessful === true && results[0].response.text === "2 + 2 = 4.", "math-1 answered")
  } else {
    console.log(`Batch failed with status: ${batch.status}`)
  }
  check(batch.isSuccessful, "the batch completed")
  console.log(`Polled ${polls} times`)
}

/** The emulator's batches finish after two status checks, so the example's polling loop polls. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 2 }

runExample(import.meta.url, main, emulatorSettings)
