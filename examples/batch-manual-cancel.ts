/**
 * Seed 003 "manual cancellation" (batch_manual_cancel.py): Python's `asyncio.wait_for` +
 * `task.cancel()` is an AbortSignal here; aborting cancels the remote batch.
 */
import { modelRequestBatch, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const requests = [["q1", [ModelRequest.userTextPrompt("What is AI?")]]] as const
  const signal = AbortSignal.timeout(300 * 1000) // give up after 5 minutes
  try {
    const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { signal })
    for (const result of results) {
      if (result.isSuccessful) console.log(`${result.customId}: done`)
    }
    check(results[0]?.isSuccessful === true, "q1 done")
  } catch (error) {
    if (signal.aborted) console.log("Batch cancelled due to timeout")
    else throw error
  }
}

runExample(import.meta.url, main)
