/**
 * Seeds 000 and 003 "Batch Status and Results" (batch_results_handling.py): each result carries
 * its custom id and either a ModelResponse or an error with code and message.
 */
import { modelRequestBatch, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const requests = [
    ["request-1", [ModelRequest.userTextPrompt("Hello")]],
    ["request-2", [ModelRequest.userTextPrompt("World")]]
  ] as const
  const results = await modelRequestBatch("openai:gpt-4o-mini", requests)
  for (const result of results) {
    console.log(`Request: ${result.customId}`) // matches your request's id
    if (result.isSuccessful) {
      const response = result.response // a standard ModelResponse
      const first = response.parts[0]
      console.log(`  Text: ${first?._tag === "TextPart" ? first.content : ""}`)
      console.log(`  Tokens: ${response.usage.inputTokens} in / ${response.usage.outputTokens} out`)
    } else {
      console.log(`  Error: ${result.error.code} - ${result.error.message}`)
    }
  }
  check(results[0]?.customId === "request-1" && results[1]?.customId === "request-2", "ids match the requests")
  check(results[0]?.isSuccessful === true && results[0].response.text === "You said: Hello", "request-1 answered")
}

runExample(import.meta.url, main)
