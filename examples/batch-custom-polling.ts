/**
 * Seed 003 "Custom Polling" (batch_advanced.py): the low-level functions with exponential
 * backoff capped at 5 minutes — first as the seed's loop, then the same policy as an Effect
 * `Schedule` handed to `Batch.run`.
 */
import { Duration, Effect, Schedule } from "effect"
import { batchCreate, batchResults, batchStatus, ModelRequest } from "../src/direct/index.js"
import { Batch, OpenAi } from "../src/index.js"
import { check, runExample, wait } from "./_support.js"

export const main = async (): Promise<void> => {
  const requests = [
    ["q1", [ModelRequest.userTextPrompt("What is 2 + 2?")]],
    ["q2", [ModelRequest.userTextPrompt("What is 3 + 3?")]]
  ] as const

  let batch = await batchCreate("openai:gpt-4o-mini", requests)
  console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
  let waitTime = 10
  while (!batch.isComplete) {
    console.log(`Status: ${batch.status} - waiting ${waitTime}s...`)
    await wait(waitTime)
    batch = await batchStatus("openai:gpt-4o-mini", batch)
    waitTime = Math.min(waitTime * 1.5, 300) // cap at 5 minutes
  }
  if (batch.isSuccessful) {
    const results = await batchResults("openai:gpt-4o-mini", batch)
    for (const result of results) {
      if (result.isSuccessful) console.log(`${result.customId}: ${result.response.text}`)
    }
    check(results.length === 2 && results.every((r) => r.isSuccessful), "both answered")
  } else {
    console.log(`Batch failed with status: ${batch.status}`)
  }

  // the same policy in Effect: exponential from 10 s by 1.5, capped at 5 minutes
  const backoff = Schedule.exponential("10 seconds", 1.5).pipe(
    Schedule.modifyDelay((delay) => Duration.min(delay, Duration.minutes(5)))
  )
  const results = await Effect.runPromise(
    Batch.run(requests.map(([customId, messages]) => ({ customId, messages })), { schedule: backoff }).pipe(
      Effect.provide(OpenAi.model("gpt-4o-mini"))
    )
  )
  check(results.map((r) => r.customId).join() === "q1,q2", "Batch.run with a custom schedule")
}

runExample(import.meta.url, main)
