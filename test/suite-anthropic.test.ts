/** The shared provider suite on Anthropic Messages (test/helpers/providerSuite.ts). */
import { Layer } from "effect"
import * as Anthropic from "../src/providers/anthropic/index.js"
import { anthropicBatchEmulator, anthropicError } from "../src/testing/emulator/anthropic.js"
import { apiKey, modelName } from "./helpers/anthropic.js"
import { providerSuite } from "./helpers/providerSuite.js"

const client = (baseURL: string, key = apiKey) => Anthropic.layer({ apiKey: key, baseURL })

const errorType = (status: number): string =>
  status === 400 ? "invalid_request_error"
    : status === 401 ? "authentication_error"
    : status === 403 ? "permission_error"
    : status === 404 ? "not_found_error"
    : status === 429 ? "rate_limit_error"
    : status === 529 ? "overloaded_error"
    : "api_error"

providerSuite({
  name: "Anthropic",
  provider: "anthropic",
  model: modelName,
  languageModel: (emulator, options) =>
    Anthropic.languageModel(modelName, { retry: false }).pipe(Layer.provide(client(emulator.anthropicBaseURL, options?.apiKey))),
  requestRoute: "POST /v1/messages",
  errorResponse: (status, message) => anthropicError(status, errorType(status), message),
  extraStatuses: [[529, "ProviderUnavailableError"]],
  batch: {
    layer: (emulator) => Anthropic.batchModel(modelName).pipe(Layer.provide(client(emulator.anthropicBaseURL))),
    setLifecycle: (emulator, lifecycle) => {
      anthropicBatchEmulator(emulator).lifecycle = lifecycle
    },
    batches: (emulator) => anthropicBatchEmulator(emulator).batches(),
    reset: (emulator) => anthropicBatchEmulator(emulator).reset()
  }
})
