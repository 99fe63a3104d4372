/** Model strings of the Responses and Azure providers, resolved from the environment against the emulator. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as ModelString from "../src/ModelString.js"
import { TEST_KEY, useEmulator } from "./helpers/openai.js"

const emulator = useEmulator()
const ask = [ModelRequest.userTextPrompt("What is the capital of France?")]
const withConfig = (entries: ReadonlyArray<readonly [string, string]>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("model strings: openai-responses, azure, azure-responses", () => {
  it.effect("parse to their provider and model", () =>
    Effect.gen(function* () {
      expect(yield* ModelString.parse("openai-responses:gpt-5-mini")).toEqual({ provider: "openai-responses", model: "gpt-5-mini" })
      expect(yield* ModelString.parse("azure:my-deployment")).toEqual({ provider: "azure", model: "my-deployment" })
      expect(yield* ModelString.parse("azure-responses:my-deployment")).toEqual({ provider: "azure-responses", model: "my-deployment" })
    }))

  it.effect("openai-responses: requests go to /v1/responses", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask).pipe(
        Effect.provide(ModelString.layer("openai-responses:gpt-4o-mini")),
        withConfig([["OPENAI_API_KEY", TEST_KEY], ["OPENAI_BASE_URL", emulator().openaiBaseURL]])
      )
      expect(response.text).toContain("Paris")
      expect(emulator().requests.at(-1)!.path).toBe("/v1/responses")
    }))

  for (const [provider, path] of [["azure", "/openai/deployments/dep-1/chat/completions"], ["azure-responses", "/openai/responses"]] as const) {
    it.effect(`${provider}: requests go to ${path}`, () =>
      Effect.gen(function* () {
        const response = yield* LanguageModel.request(ask).pipe(
          Effect.provide(ModelString.layer(`${provider}:dep-1`)),
          withConfig([["AZURE_OPENAI_API_KEY", TEST_KEY], ["AZURE_OPENAI_ENDPOINT", emulator().azureEndpoint]])
        )
        expect(response.text).toContain("Paris")
        expect(emulator().requests.at(-1)!.rawPath).toBe(path)
      }))
  }

  it.effect("azure without its environment is an InvalidInputError naming the variables", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.request(ask).pipe(Effect.provide(ModelString.layer("azure:dep-1")), withConfig([])))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain("AZURE_OPENAI_ENDPOINT")
    }))
})
