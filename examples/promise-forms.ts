/**
 * Seed 001's four functions in their promise forms. JavaScript cannot block, so
 * `model_request_sync` and `model_request_stream_sync` (and `StreamedResponseSync`) become the
 * awaited `modelRequest` and the async-iterable `modelRequestStream`; `signal` cancels either.
 */
import { modelRequest, modelRequestStream, ModelRequest } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  // model_request / model_request_sync
  const modelResponse = await modelRequest("anthropic:claude-haiku-4-5", [ModelRequest.userTextPrompt("What is the capital of France?")])
  console.log(modelResponse)
  check(modelResponse.text === "The capital of France is Paris.", "model_request answers")
  check(modelResponse.modelName.length > 0, "the response names its model")

  // model_request_stream / model_request_stream_sync, with StreamedResponseSync's accessors
  const messages = [ModelRequest.userTextPrompt("Who was Albert Einstein?")]
  const stream = modelRequestStream("openai:gpt-4.1-mini", messages)
  let events = 0
  for await (const _event of stream) events++
  console.log(stream.response, stream.usage, stream.modelName, stream.timestamp)
  check(events >= 3, "events arrive")
  check(stream.response.text.startsWith("Albert Einstein"), "response() is the full answer")

  // cancellation: an AbortSignal rejects with its reason
  const controller = new AbortController()
  const reason = new Error("no longer needed")
  const pending = modelRequest("openai:gpt-4.1-mini", messages, { signal: controller.signal })
  controller.abort(reason)
  const outcome = await pending.catch((e: unknown) => e)
  check(outcome === reason, "abort rejects with the signal's reason")
}

runExample(import.meta.url, main)
