/**
 * Seeds 000 and 003 "Batch with Tools" (batch_tools.py): tools work in batches as in direct
 * requests; tool calls come back in the responses for you to execute.
 */
import { Schema } from "effect"
import { batchCreate, modelRequestBatch, ModelRequest, ModelRequestParameters, tool } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

/** Perform a calculation. */
const Calculate = Schema.Struct({ expression: Schema.String })

export const main = async (): Promise<void> => {
  const params = new ModelRequestParameters({
    functionTools: [tool("calculate", { description: "Perform a calculation.", parameters: Calculate })],
    allowTextOutput: true
  })
  const requests = [
    ["calc-1", [ModelRequest.userTextPrompt("What is 15 * 23?")]],
    ["calc-2", [ModelRequest.userTextPrompt("What is 144 / 12?")]]
  ] as const

  // seed 000: submit only
  const batch = await batchCreate("openai:gpt-4o-mini", requests, { modelRequestParameters: params })
  console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
  check(batch.requestCount === 2, "two requests submitted")

  // seed 003: the whole lifecycle
  const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { modelRequestParameters: params })
  for (const result of results) {
    if (result.isSuccessful) console.log(`${result.customId}: ${JSON.stringify(result.response.parts)}`)
  }
  check(results.every((r) => r.isSuccessful && r.response.toolCalls[0]?.toolName === "calculate"), "each answer calls calculate")
  // batches do not execute tools: run them yourself and send a follow-up batch with the results
}

runExample(import.meta.url, main)
