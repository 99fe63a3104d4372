/**
 * The same requests as Effect programs over the `LanguageModel` service: the provider is a
 * Layer, swapped for another (TestModel, the emulator, a real key) without touching the program.
 */
import { Console, Effect, Schema, Stream } from "effect"
import { LanguageModel, Message, OpenAi, Tool } from "../src/index.js"
import { check, runExample } from "./_support.js"

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})

const program = Effect.gen(function* () {
  const answer = yield* LanguageModel.request([Message.ModelRequest.userTextPrompt("What is the capital of France?")])
  yield* Console.log(answer.text)
  check(answer.text.includes("Paris"), "the answer names Paris")

  const withTool = yield* LanguageModel.request([Message.ModelRequest.userTextPrompt("What is 123 / 456?")], {
    parameters: { functionTools: [Divide] },
    settings: { temperature: 0 }
  })
  yield* Console.log(withTool.toolCalls)
  check(withTool.toolCalls[0]?.toolName === "divide", "the tool is called")

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
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini"))))

runExample(import.meta.url, main)
