/**
 * Azure OpenAI: the same programs on an Azure deployment, with AZURE_OPENAI_ENDPOINT and
 * AZURE_OPENAI_API_KEY in the environment (the API version from AZURE_OPENAI_API_VERSION, else
 * the library's default). A request and a stream on Chat Completions, a Responses request, a
 * small batch, and the Promise facade's "azure:<deployment>" model string.
 */
import { Effect, Layer } from "effect"
import { modelRequest, ModelRequest } from "../src/direct/index.js"
import { AzureOpenAi, Batch, LanguageModel, Message, StreamEvent } from "../src/index.js"
import { check, runExample } from "./_support.js"

// the name of your deployment (on the emulator any name works)
const deployment = process.env.AZURE_OPENAI_DEPLOYMENT ?? "gpt-4o-mini"

const program = Effect.gen(function* () {
  const question = [Message.ModelRequest.userTextPrompt("What is the capital of France?")]
  const response = yield* LanguageModel.request(question)
  console.log(`request  → ${response.text}`)
  //> request  → The capital of France is Paris.
  check(response.text === "The capital of France is Paris.", "the answer names Paris")

  const streamed = yield* StreamEvent.accumulateStream(LanguageModel.requestStream(question))
  console.log(`stream   → ${streamed.text}`)
  check(streamed.text === response.text, "the stream accumulates to the same answer")

  const results = yield* Batch.run(
    [{ customId: "a", messages: [Message.ModelRequest.userTextPrompt("What is 2 + 2?")] }, { customId: "b", messages: question }],
    { pollInterval: "1 second" }
  )
  for (const r of results) console.log(`batch    → ${r.customId}: ${r.isSuccessful ? r.response.text : r.error.message}`)
  check(results.every((r) => r.isSuccessful), "every batch request succeeded")
})

const responses = LanguageModel.request([Message.ModelRequest.userTextPrompt("What is 2 + 2?")]).pipe(
  Effect.tap((r) => Effect.sync(() => console.log(`responses → ${r.text}`))),
  Effect.provide(AzureOpenAi.responsesLanguageModel(deployment).pipe(Layer.provide(AzureOpenAi.layerConfig())))
)

export const main = async (): Promise<void> => {
  await Effect.runPromise(Effect.zipRight(program.pipe(Effect.provide(AzureOpenAi.model(deployment))), responses))
  const viaFacade = await modelRequest(`azure:${deployment}`, [ModelRequest.userTextPrompt("What is 2 + 2?")])
  console.log(`facade   → ${viaFacade.text}`)
  check(viaFacade.text === "2 + 2 = 4.", "the facade resolves the azure model string")
}

runExample(import.meta.url, main)
