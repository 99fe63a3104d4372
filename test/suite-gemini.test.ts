/** The shared provider suite on Google Gemini (test/helpers/providerSuite.ts). */
import { Layer } from "effect"
import * as Google from "../src/providers/google/index.js"
import { googleError, googleRouteKeys } from "../src/testing/Emulator.js"
import { apiKey, modelName } from "./helpers/google.js"
import { providerSuite } from "./helpers/providerSuite.js"

const client = (baseURL: string, key = apiKey) => Google.layer({ apiKey: key, baseURL })

providerSuite({
  name: "Google Gemini",
  provider: "google",
  model: modelName,
  languageModel: (emulator, options) =>
    Google.languageModel(modelName, { retry: false }).pipe(Layer.provide(client(emulator.googleBaseURL, options?.apiKey))),
  requestRoute: googleRouteKeys.generateContent,
  streamRoute: googleRouteKeys.streamGenerateContent,
  errorResponse: (status, message) => googleError(status, message),
  extraStatuses: [[504, "ProviderUnavailableError"]],
  batch: {
    layer: (emulator) => Google.batchModel(modelName).pipe(Layer.provide(client(emulator.googleBaseURL))),
    setLifecycle: (emulator, lifecycle) => {
      emulator.googleBatches.lifecycle = lifecycle
    },
    batches: (emulator) => emulator.googleBatches.batches().map((b) => ({ id: b.id, customIds: b.keys, cancelCalls: b.cancelCalls })),
    reset: (emulator) => emulator.googleBatches.reset()
  }
})
