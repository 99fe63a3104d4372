/** The shared provider suite on the OpenAI Responses API (test/helpers/providerSuite.ts). */
import { expect } from "@effect/vitest"
import { Layer, Redacted } from "effect"
import * as OpenAi from "../src/providers/openai/index.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { TEST_KEY } from "./helpers/openai.js"
import { openAiBatchCase } from "./helpers/openaiSuiteCases.js"
import { providerSuite } from "./helpers/providerSuite.js"

const client = (baseURL: string, apiKey = TEST_KEY) => OpenAi.layer({ apiKey: Redacted.make(apiKey), baseURL })

providerSuite({
  name: "OpenAI Responses",
  provider: "openai",
  model: "gpt-4o-mini",
  languageModel: (emulator, options) =>
    OpenAi.responsesLanguageModel("gpt-4o-mini", { retry: false }).pipe(Layer.provide(client(emulator.openaiBaseURL, options?.apiKey))),
  requestRoute: "POST /v1/responses",
  errorResponse: (status, message) => openAiError(status, message),
  checkResponse: (response) => {
    expect(response.providerResponseId).toMatch(/^resp_/)
  },
  batch: openAiBatchCase((emulator) => OpenAi.responsesBatchModel("gpt-4o-mini").pipe(Layer.provide(client(emulator.openaiBaseURL))))
})
