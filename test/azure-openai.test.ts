/**
 * Azure OpenAI through the SDK's AzureOpenAI client against the emulator, beyond the shared
 * suite: Azure's URL shapes (deployment-scoped paths, the `api-version` query, `/openai/v1`),
 * the `api-key` header or an Entra token, batches on Azure's endpoint names with the deployment
 * as the lines' model, the enqueued-token failure, and the configuration from the environment.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted, Schedule, Stream } from "effect"
import OpenAI from "openai"
import * as Batch from "../src/Batch.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as AzureOpenAi from "../src/providers/azure/index.js"
import { openAiBatchEmulator } from "../src/testing/emulator/openai.js"
import { failureOf, TEST_KEY, useEmulator } from "./helpers/openai.js"

const emulator = useEmulator()
const DEPLOYMENT = "my-gpt-4o-mini"
const ask = [ModelRequest.userTextPrompt("What is the capital of France?")]

const client = (options?: Partial<AzureOpenAi.ClientOptions>) =>
  AzureOpenAi.layer({ endpoint: `${emulator().azureEndpoint}/`, apiKey: Redacted.make(TEST_KEY), ...options } as AzureOpenAi.ClientOptions)

const withConfig = (entries: ReadonlyArray<readonly [string, string]>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("Azure OpenAI: requests", () => {
  it.effect("a chat request goes to the deployment's path with api-version and the api-key header", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask).pipe(Effect.provide(AzureOpenAi.languageModel(DEPLOYMENT).pipe(Layer.provide(client()))))
      expect(response.text).toContain("Paris")
      const request = emulator().requests.at(-1)!
      expect(request.rawPath).toBe(`/openai/deployments/${DEPLOYMENT}/chat/completions`)
      expect(request.query.get("api-version")).toBe(AzureOpenAi.defaultApiVersion)
      expect(request.headers["api-key"]).toBe(TEST_KEY)
      expect(request.headers.authorization).toBeUndefined()
      expect((request.body as { model: string }).model).toBe(DEPLOYMENT)
    }))

  it.effect("a Responses stream goes to /openai/responses with the chosen api-version", () =>
    Effect.gen(function* () {
      const events = yield* Stream.runCollect(LanguageModel.requestStream(ask)).pipe(
        Effect.provide(AzureOpenAi.responsesLanguageModel(DEPLOYMENT).pipe(Layer.provide(client({ apiVersion: "preview" }))))
      )
      expect([...events].at(-1)?._tag).toBe("ResponseMetadataEvent")
      const request = emulator().requests.at(-1)!
      expect(request.rawPath).toBe("/openai/responses")
      expect(request.query.get("api-version")).toBe("preview")
    }))

  it.effect("an Entra token provider is asked on every request and sent as a bearer token", () =>
    Effect.gen(function* () {
      let calls = 0
      const layer = AzureOpenAi.languageModel(DEPLOYMENT).pipe(Layer.provide(AzureOpenAi.layer({
        endpoint: emulator().azureEndpoint,
        azureADTokenProvider: async () => `entra-token-${++calls}`
      })))
      yield* LanguageModel.request(ask).pipe(Effect.provide(layer))
      yield* LanguageModel.request(ask).pipe(Effect.provide(layer))
      expect(calls).toBe(2)
      expect(emulator().requests.map((r) => r.headers.authorization)).toEqual(["Bearer entra-token-1", "Bearer entra-token-2"])
      expect(emulator().requests[0]!.headers["api-key"]).toBeUndefined()
    }))

  it.effect("a rejected key is an AuthenticationError that does not repeat the key", () =>
    Effect.gen(function* () {
      const key = "invalid-azure-key-93kd02"
      const exit = yield* Effect.exit(LanguageModel.request(ask).pipe(Effect.provide(AzureOpenAi.languageModel(DEPLOYMENT, { retry: false }).pipe(Layer.provide(client({ apiKey: key }))))))
      const error = failureOf(exit)
      expect(error._tag).toBe("AuthenticationError")
      expect(JSON.stringify(error)).not.toContain(key)
    }))

  it("the emulator answers Azure's shapes: 404 without api-version on a versioned path, /openai/v1 without one", async () => {
    const raw = await fetch(`${emulator().azureEndpoint}/openai/deployments/${DEPLOYMENT}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": TEST_KEY },
      body: JSON.stringify({ model: DEPLOYMENT, messages: [{ role: "user", content: "hi" }] })
    })
    expect(raw.status).toBe(404)
    // the v1 shape: the plain OpenAI client on {endpoint}/openai/v1
    const v1 = new OpenAI({ apiKey: TEST_KEY, baseURL: `${emulator().azureEndpoint}/openai/v1`, maxRetries: 0 })
    const response = await v1.responses.create({ model: DEPLOYMENT, input: "What is the capital of France?" })
    expect(response.output_text).toContain("Paris")
    expect(emulator().requests.at(-1)!.rawPath).toBe("/openai/v1/responses")
  })
})

describe("Azure OpenAI: batches", () => {
  const requests = [
    { customId: "a", messages: ask },
    { customId: "b", messages: [ModelRequest.userTextPrompt("What is 2 + 2?")] }
  ]

  it.live("a run uploads and creates on Azure's paths, lines on /chat/completions with the deployment as model", () =>
    Effect.gen(function* () {
      openAiBatchEmulator(emulator()).reset()
      openAiBatchEmulator(emulator()).lifecycle = { statusCalls: 1 }
      const results = yield* Batch.run(requests, { pollInterval: "5 millis" }).pipe(Effect.provide(AzureOpenAi.batchModel(DEPLOYMENT).pipe(Layer.provide(client()))))
      expect(results.map((r) => [r.customId, r.isSuccessful])).toEqual([["a", true], ["b", true]])
      const paths = emulator().requests.map((r) => `${r.method} ${r.rawPath}`)
      expect(paths).toContain("POST /openai/files")
      expect(paths).toContain("POST /openai/batches")
      const create = emulator().requests.find((r) => r.rawPath === "/openai/batches")!
      expect(create.body).toMatchObject({ endpoint: "/chat/completions", completion_window: "24h" })
      const batch = openAiBatchEmulator(emulator()).batches()[0]!
      const lines = openAiBatchEmulator(emulator()).fileText(batch.inputFileId)!.trim().split("\n").map((l) => JSON.parse(l) as { url: string; body: { model: string } })
      expect(lines.map((l) => [l.url, l.body.model])).toEqual([["/chat/completions", DEPLOYMENT], ["/chat/completions", DEPLOYMENT]])
    }))

  it.live("the enqueued-token limit is handled as on OpenAI: submitted again after queueBackoff, then BatchFailedError while the queue stays full", () =>
    Effect.gen(function* () {
      openAiBatchEmulator(emulator()).reset()
      openAiBatchEmulator(emulator()).lifecycle = {
        statusCalls: 1,
        outcome: "failed",
        batchErrors: [{ code: "token_limit_exceeded", message: `Enqueued token limit reached for ${DEPLOYMENT}.`, line: 1 }]
      }
      const queueBackoff = Schedule.spaced("5 millis").pipe(Schedule.intersect(Schedule.recurs(1)))
      const error = yield* Effect.flip(Batch.run(requests, { pollInterval: "5 millis", queueBackoff }).pipe(Effect.provide(AzureOpenAi.batchModel(DEPLOYMENT).pipe(Layer.provide(client())))))
      expect(error._tag).toBe("BatchFailedError")
      if (error._tag === "BatchFailedError") expect(error.errors.map((e) => e.code)).toEqual(["token_limit_exceeded"])
      // refused once, submitted again once after the backoff, then the backoff ended
      expect(openAiBatchEmulator(emulator()).batches().length).toBe(2)
    }))
})

describe("Azure OpenAI: configuration", () => {
  it.effect("layerConfig reads the endpoint, the key (redacted) and the API version from the environment", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(ask).pipe(
        Effect.provide(AzureOpenAi.languageModel(DEPLOYMENT).pipe(Layer.provide(AzureOpenAi.layerConfig()))),
        withConfig([["AZURE_OPENAI_ENDPOINT", emulator().azureEndpoint], ["AZURE_OPENAI_API_KEY", TEST_KEY], ["OPENAI_API_VERSION", "2024-10-21"]])
      )
      expect(response.text).toContain("Paris")
      expect(emulator().requests.at(-1)!.query.get("api-version")).toBe("2024-10-21")
      const options = yield* AzureOpenAi.optionsConfig.pipe(withConfig([["AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com"], ["AZURE_OPENAI_API_KEY", TEST_KEY]]))
      expect(String(options.apiKey)).not.toContain(TEST_KEY)
    }))

  it.effect("a missing key or endpoint is a ConfigError that names the variable", () =>
    Effect.gen(function* () {
      const noKey = yield* Effect.exit(Layer.build(AzureOpenAi.layerConfig()).pipe(Effect.scoped, withConfig([["AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com"]])))
      expect(Exit.isFailure(noKey) && String(failureOf(noKey))).toContain("AZURE_OPENAI_API_KEY")
      const noEndpoint = yield* Effect.exit(Layer.build(AzureOpenAi.layerConfig()).pipe(Effect.scoped, withConfig([["AZURE_OPENAI_API_KEY", TEST_KEY]])))
      expect(Exit.isFailure(noEndpoint) && String(failureOf(noEndpoint))).toContain("AZURE_OPENAI_ENDPOINT")
    }))
})
