/**
 * Seed 000 "Basic Example" (direct_basic.py): one request, print the text and the usage.
 * Python's `model_request_sync` becomes an awaited `modelRequest`.
 */
import { modelRequest, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const modelResponse = await modelRequest("anthropic:claude-haiku-4-5", [
    ModelRequest.userTextPrompt("What is the capital of France?")
  ])
  const first = modelResponse.parts[0]
  console.log(first?._tag === "TextPart" ? first.content : first)
  //> The capital of France is Paris.
  console.log(modelResponse.usage)
  //> RequestUsage { inputTokens: ..., outputTokens: ... }
  check(modelResponse.text === "The capital of France is Paris.", "the answer names Paris")
  check(modelResponse.usage.inputTokens > 0 && modelResponse.usage.outputTokens > 0, "usage is reported")
}

runExample(import.meta.url, main)
