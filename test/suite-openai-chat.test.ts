/** The shared provider suite on OpenAI Chat Completions (test/helpers/providerSuite.ts). */
import { Layer, Redacted } from "effect"
import * as OpenAi from "../src/providers/openai/index.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { TEST_KEY } from "./helpers/openai.js"
import { openAiBatchCase } from "./helpers/openaiSuiteCases.js"
import { providerSuite } from "./helpers/providerSuite.js"

const client = (baseURL: string, apiKey = TEST_KEY) => OpenAi.layer({ apiKey: Redacted.make(apiKey), baseURL })

providerSuite({
  name: "OpenAI Chat Completions",
  provider: "openai",
  model: "gpt-4o-mini",
  languageModel: (emulator, options) =>
    OpenAi.languageModel("gpt-4o-mini", { retry: false }).pipe(Layer.provide(client(emulator.openaiBaseURL, options?.apiKey))),
  requestRoute: "POST /v1/chat/completions",
  errorResponse: (status, message) => openAiError(status, message),
  batch: openAiBatchCase((emulator) => OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(client(emulator.openaiBaseURL))))
})
