/**
 * Seed 001 `model_request_stream` example: iterate the events of a streamed request.
 * pydantic-ai's `async with ... as stream` becomes a plain `for await`; `break` would abort it.
 */
import { modelRequestStream, ModelRequest, type ModelResponseStreamEvent } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

export const main = async (): Promise<void> => {
  const messages = [ModelRequest.userTextPrompt("Who was Albert Einstein?")]
  const stream = modelRequestStream("openai:gpt-4.1-mini", messages)
  const chunks: Array<ModelResponseStreamEvent> = []
  for await (const chunk of stream) chunks.push(chunk)
  console.log(chunks)
  console.log(stream.response.text, stream.usage)
  check(chunks[0]?._tag === "PartStartEvent" && chunks[1]?._tag === "FinalResultEvent", "PartStart then FinalResult")
  check(chunks.at(-1)?._tag === "PartEndEvent", "the stream ends with PartEnd")
  check(stream.response.text === "Albert Einstein was a German-born theoretical physicist.", "the text adds up")
  check(stream.usage.outputTokens > 0, "usage arrives with the stream")
}

runExample(import.meta.url, main)
