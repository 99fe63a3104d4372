/**
 * OpenAI's Responses API: a reasoning model's request with its reasoning summary (a ThinkingPart
 * that keeps the encrypted reasoning), a follow-up that sends that history back, and the same
 * question streamed, which accumulates to the same answer. Also reachable as the model string
 * "openai-responses:gpt-5-mini".
 */
import { Effect, Stream } from "effect"
import { LanguageModel, Message, OpenAi, StreamEvent } from "../src/index.js"
import { check, runExample } from "./_support.js"

const model = OpenAi.responsesModel("gpt-5-mini", { reasoning: { effort: "low", summary: "auto" } })

const program = Effect.gen(function* () {
  const question = Message.ModelRequest.userTextPrompt("What is the capital of France?")
  const first = yield* LanguageModel.request([question])
  console.log(`thinking → ${first.thinking}`)
  console.log(`answer   → ${first.text}`)
  //> answer   → The capital of France is Paris.
  console.log(`usage    → ${first.usage.inputTokens} in / ${first.usage.outputTokens} out (${first.usage.details.reasoning_tokens ?? 0} reasoning)`)
  const thinking = first.parts.find((p): p is Message.ThinkingPart => p._tag === "ThinkingPart")
  check(thinking !== undefined && thinking.signature !== undefined && thinking.id !== undefined, "the reasoning comes back with its encrypted content and id")
  check(first.text === "The capital of France is Paris.", "the answer names Paris")

  // the history, reasoning included, goes back as Responses input items
  const second = yield* LanguageModel.request([question, first, Message.ModelRequest.userTextPrompt("What is 2 + 2?")])
  console.log(`follow-up → ${second.text}`)
  check(second.text === "2 + 2 = 4.", "the follow-up is answered")

  // streamed: thinking deltas, then text deltas; accumulated, the same response
  const streamed = yield* StreamEvent.accumulateStream(
    LanguageModel.requestStream([question]).pipe(
      Stream.tap((event) => Effect.sync(() => {
        if (event._tag === "PartDeltaEvent" && event.delta._tag === "TextPartDelta") process.stdout.write(event.delta.contentDelta)
      }))
    )
  )
  console.log(`\nstreamed → ${streamed.text}`)
  check(streamed.text === first.text && streamed.thinking === first.thinking, "the stream accumulates to the same answer")
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(model)))

runExample(import.meta.url, main)
