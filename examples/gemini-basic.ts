/**
 * Google Gemini through its own entry point (`effect-llm-direct/google`, which needs the optional
 * peer dependency `@google/genai`): a request, a streamed request, a tool call, thinking and a
 * batch, with the key from GEMINI_API_KEY (or GOOGLE_API_KEY).
 *
 *   GEMINI_API_KEY=... npx tsx examples/gemini-basic.ts
 */
import { Console, Effect, Schema, Stream } from "effect"
import { Google } from "../src/google.js"
import { Batch, LanguageModel, Message, Tool } from "../src/index.js"
import { check, runExample, usingRealProviders } from "./_support.js"

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})

const program = Effect.gen(function* () {
  const answer = yield* LanguageModel.request([Message.ModelRequest.userTextPrompt("What is the capital of France?")])
  yield* Console.log(answer.text, `(${answer.usage.inputTokens} in / ${answer.usage.outputTokens} out tokens)`)
  check(answer.text.includes("Paris"), "the answer names Paris")

  let text = ""
  yield* LanguageModel.requestStream([Message.ModelRequest.userTextPrompt("Who was Albert Einstein?")]).pipe(
    Stream.runForEach((event) =>
      Effect.sync(() => {
        if (event._tag === "PartStartEvent" && event.part._tag === "TextPart") text += event.part.content
        if (event._tag === "PartDeltaEvent" && event.delta._tag === "TextPartDelta") text += event.delta.contentDelta
      }))
  )
  yield* Console.log(text)
  check(text.startsWith("Albert Einstein"), "the streamed text adds up")

  // thinking: Gemini's thinkingConfig goes through extraBody; thought summaries come back as thinking parts
  const withTool = yield* LanguageModel.request([Message.ModelRequest.userTextPrompt("What is 123 / 456?")], {
    parameters: { functionTools: [Divide] },
    settings: { extraBody: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } }
  })
  yield* Console.log(withTool.thinking, withTool.toolCalls)
  check(withTool.toolCalls[0]?.toolName === "divide", "the tool is called")
  check(withTool.thinking !== "", "the thought summary is kept")

  const results = yield* Batch.run([
    { customId: "q1", messages: [Message.ModelRequest.userTextPrompt("What is 2 + 2?")] },
    { customId: "q2", messages: [Message.ModelRequest.userTextPrompt("What is the square root of 144?")] }
    // the emulator's batches move a step per status check: no need to wait a real interval
  ], { pollInterval: usingRealProviders() ? "30 seconds" : "10 millis" })
  for (const r of results) yield* Console.log(r.customId, r.isSuccessful ? r.response.text : r.error.message)
  check(results.map((r) => r.customId).join() === "q1,q2", "one result per request, in order")
  check(results.every((r) => r.isSuccessful), "every request succeeded")
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(Google.model("gemini-2.5-flash"))))

runExample(import.meta.url, main)
