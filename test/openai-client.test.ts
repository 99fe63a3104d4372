/**
 * The OpenAI client Layers: from options and from Config, and the ready-made `OpenAi.model`.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { TEST_KEY, useEmulator } from "./helpers/openai.js"

const emulator = useEmulator()
const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]

const clientFrom = (layer: Layer.Layer<OpenAi.OpenAiClient, unknown>) => Effect.scoped(Effect.map(Layer.build(layer), (context) => context.unsafeMap.get(OpenAi.OpenAiClient.key) as OpenAi.ClientService))

const withConfig = (entries: ReadonlyArray<readonly [string, string]>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("OpenAi.layerConfig", () => {
  it.effect("a missing OPENAI_API_KEY is a ConfigError that names it and says what to do", () =>
    Effect.gen(function* () {
      const exit = yield* clientFrom(OpenAi.layerConfig()).pipe(withConfig([]), Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const text = Exit.isFailure(exit) ? String(exit.cause) : ""
      expect(text).toContain("OPENAI_API_KEY")
      expect(text).toContain("OpenAi.layer({ apiKey })")
      const empty = yield* clientFrom(OpenAi.layerConfig()).pipe(withConfig([["OPENAI_API_KEY", " "]]), Effect.exit)
      expect(Exit.isFailure(empty) && String(empty.cause)).toContain("OPENAI_API_KEY is not set")
    }))

  it.effect("reads the key (Redacted), base URL, organization and project", () =>
    Effect.gen(function* () {
      const client = yield* clientFrom(OpenAi.layerConfig()).pipe(
        withConfig([["OPENAI_API_KEY", "from-config"], ["OPENAI_BASE_URL", "http://127.0.0.1:1/v1"], ["OPENAI_ORG_ID", "org-1"], ["OPENAI_PROJECT_ID", "proj-1"]])
      )
      expect(String(client.apiKey)).toBe("<redacted>")
      expect(Redacted.value(client.apiKey)).toBe("from-config")
      expect(client.sdk.baseURL).toBe("http://127.0.0.1:1/v1")
      expect(client.sdk.organization).toBe("org-1")
      expect(client.sdk.project).toBe("proj-1")
      expect(client.sdk.maxRetries).toBe(0)
    }))
})

describe("OpenAi.layer", () => {
  it.effect("takes a string or Redacted key, seconds for the timeout, and ignores stray OPENAI_* variables", () =>
    Effect.gen(function* () {
      const saved = process.env.OPENAI_BASE_URL
      process.env.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
      try {
        const client = yield* clientFrom(OpenAi.layer({ apiKey: Redacted.make("k"), timeout: 45 }))
        expect(client.sdk.baseURL).toBe("https://api.openai.com/v1")
        expect(client.sdk.timeout).toBe(45_000)
        expect(client.sdk.maxRetries).toBe(0)
        const plain = yield* clientFrom(OpenAi.layer({ apiKey: "plain" }))
        expect(Redacted.value(plain.apiKey)).toBe("plain")
      } finally {
        if (saved === undefined) delete process.env.OPENAI_BASE_URL
        else process.env.OPENAI_BASE_URL = saved
      }
    }))
})

describe("OpenAi.model", () => {
  it.effect("builds its client from Config, sending organization and project headers", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(messages).pipe(
        Effect.provide(OpenAi.model("gpt-4o-mini")),
        withConfig([["OPENAI_API_KEY", TEST_KEY], ["OPENAI_BASE_URL", emulator().openaiBaseURL], ["OPENAI_ORG_ID", "org-7"], ["OPENAI_PROJECT_ID", "proj-7"]])
      )
      expect(response.text).toContain("Paris")
      const headers = emulator().requests[0]!.headers
      expect(headers["openai-organization"]).toBe("org-7")
      expect(headers["openai-project"]).toBe("proj-7")
      expect(emulator().requests[0]!.apiKey).toBe(TEST_KEY)
    }))

  it.effect("uses options.client instead of Config when given, with the model's default settings", () =>
    Effect.gen(function* () {
      const layer = OpenAi.model("gpt-4.1-mini", { client: { apiKey: TEST_KEY, baseURL: emulator().openaiBaseURL }, settings: { temperature: 0.3, seed: 1 } })
      const response = yield* LanguageModel.request(messages, { settings: { seed: 2 } }).pipe(Effect.provide(layer), withConfig([]))
      expect(response.modelName).toBe("gpt-4.1-mini")
      expect(emulator().requests[0]!.body).toMatchObject({ model: "gpt-4.1-mini", temperature: 0.3, seed: 2 })
    }))

  it.effect("a missing key fails the layer with the ConfigError", () =>
    Effect.gen(function* () {
      const exit = yield* LanguageModel.request(messages).pipe(Effect.provide(OpenAi.model("gpt-4o-mini")), withConfig([]), Effect.exit)
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("OPENAI_API_KEY")
      expect(emulator().requests).toHaveLength(0)
    }))
})
