/** The shared provider suite on Azure OpenAI through the SDK's AzureOpenAI client (test/helpers/providerSuite.ts). */
import { expect } from "@effect/vitest"
import { Layer, Redacted } from "effect"
import * as AzureOpenAi from "../src/providers/azure/index.js"
import { openAiError } from "../src/testing/emulator/openai.js"
import { TEST_KEY } from "./helpers/openai.js"
import { openAiBatchCase } from "./helpers/openaiSuiteCases.js"
import { providerSuite } from "./helpers/providerSuite.js"

const DEPLOYMENT = "gpt-4o-mini-deployment"
const client = (endpoint: string, apiKey = TEST_KEY) => AzureOpenAi.layer({ endpoint, apiKey: Redacted.make(apiKey), apiVersion: "2025-04-01-preview" })

providerSuite({
  name: "Azure OpenAI (Chat Completions on a deployment)",
  provider: "openai",
  model: DEPLOYMENT,
  languageModel: (emulator, options) =>
    AzureOpenAi.languageModel(DEPLOYMENT, { retry: false }).pipe(Layer.provide(client(emulator.azureEndpoint, options?.apiKey))),
  requestRoute: "POST /v1/chat/completions",
  errorResponse: (status, message) => openAiError(status, message),
  checkResponse: (response) => expect(response.modelName).toBe(DEPLOYMENT),
  batch: openAiBatchCase((emulator) => AzureOpenAi.batchModel(DEPLOYMENT).pipe(Layer.provide(client(emulator.azureEndpoint))))
})

providerSuite({
  name: "Azure OpenAI (Responses)",
  provider: "openai",
  model: DEPLOYMENT,
  languageModel: (emulator, options) =>
    AzureOpenAi.responsesLanguageModel(DEPLOYMENT, { retry: false }).pipe(Layer.provide(client(emulator.azureEndpoint, options?.apiKey))),
  requestRoute: "POST /v1/responses",
  errorResponse: (status, message) => openAiError(status, message),
  batch: openAiBatchCase((emulator) => AzureOpenAi.responsesBatchModel(DEPLOYMENT).pipe(Layer.provide(client(emulator.azureEndpoint))))
})
