/**
 * Conformance of the output modes' OpenAI requests with OpenAI's official OpenAPI spec, served by
 * the `@stdy/cli` mock ("steady"), which answers 400 to a request that violates it. Each test
 * asserts the status steady gave; the first shows a malformed response_format does get a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema, Stream } from "effect"
import OpenAI from "openai"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as Output from "../src/Output.js"
import type { ModelRequestParameters } from "../src/Parameters.js"
import * as OpenAi from "../src/providers/openai/index.js"
import * as Tool from "../src/Tool.js"
import { type Steady, startSteady } from "./helpers/openaiSteady.js"

let steady: Steady
const exchanges: Array<{ readonly status: number; readonly body: string; readonly diagnostic: string }> = []

beforeAll(async () => {
  steady = await startSteady()
}, 30_000)

afterAll(async () => {
  await steady?.stop()
})

const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await fetch(input, init)
  exchanges.push({
    status: response.status,
    body: typeof init?.body === "string" ? init.body : "",
    diagnostic: response.status >= 400 ? await response.clone().text() : ""
  })
  return response
}

const KEY = "conformance-key"
const layer = OpenAi.languageModel("gpt-4o-mini", { retry: false }).pipe(
  Layer.provide(Layer.sync(OpenAi.OpenAiClient, () => ({
    sdk: new OpenAI({ apiKey: KEY, baseURL: steady.baseURL, maxRetries: 0, fetch: recordingFetch }),
    apiKey: Redacted.make(KEY)
  })))
)

class Weather extends Schema.Class<Weather>("WeatherResult")({
  location: Schema.String,
  temperature: Schema.Number,
  condition: Schema.String,
  humidity: Schema.Int
}) {}

const ask = [ModelRequest.userTextPrompt("Get weather information for Paris", { instructions: "Be precise." })]
const Lookup = Tool.make("lookup", { description: "Look a city up.", parameters: Schema.Struct({ city: Schema.String }) })

/** Sends one request (or stream) and returns the one exchange it made, whatever steady answered. */
const exchange = (parameters: ModelRequestParameters, stream = false) =>
  Effect.gen(function* () {
    const before = exchanges.length
    const call = stream
      ? Stream.runDrain(LanguageModel.requestStream(ask, { parameters, settings: { maxTokens: 200 } }))
      : LanguageModel.request(ask, { parameters, settings: { maxTokens: 200 } })
    // steady's answers are random (and JSON for streams): only the request is under test
    yield* Effect.exit(Effect.provide(call, layer))
    const made = exchanges.slice(before)
    expect(made).toHaveLength(1)
    return { ...made[0]!, sent: JSON.parse(made[0]!.body) as Record<string, unknown> }
  })

const expectAccepted = (e: { readonly status: number; readonly diagnostic: string }) => expect(`${e.status} ${e.diagnostic}`).toBe("200 ")

describe("output modes against the OpenAI spec (steady)", () => {
  it.live("a malformed response_format is rejected with 400 (so these tests can fail)", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.promise(() =>
        new OpenAI({ apiKey: KEY, baseURL: steady.baseURL, maxRetries: 0, fetch: recordingFetch }).chat.completions
          .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], response_format: { type: "json_schema" } as unknown as OpenAI.ResponseFormatJSONSchema })
          .then(() => undefined, (e: unknown) => e)
      )
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError)
      expect(exchanges.at(-1)!.status).toBe(400)
      expect(exchanges.at(-1)!.diagnostic).toContain("response_format")
    }))

  it.live("native, strict and not, with a description and function tools, is accepted", () =>
    Effect.gen(function* () {
      const strict = yield* exchange(Output.native(Weather))
      expectAccepted(strict)
      expect(strict.sent.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "WeatherResult", strict: true } })
      const loose = yield* exchange(Output.native(Schema.Struct({ city: Schema.String, note: Schema.optional(Schema.String) }), { name: "place", description: "A place.", functionTools: [Lookup] }))
      expectAccepted(loose)
      expect(loose.sent.response_format).toMatchObject({ json_schema: { name: "place", description: "A place.", strict: false } })
    }))

  it.live("tool mode, forced by name and with function tools (required), is accepted", () =>
    Effect.gen(function* () {
      const named = yield* exchange(Output.tool(Weather))
      expectAccepted(named)
      expect(named.sent.tool_choice).toEqual({ type: "function", function: { name: "final_result" } })
      const required = yield* exchange(Output.tool(Weather, { functionTools: [Lookup] }))
      expectAccepted(required)
      expect(required.sent.tool_choice).toBe("required")
    }))

  it.live("prompted mode is accepted", () =>
    Effect.gen(function* () {
      const prompted = yield* exchange(Output.prompted(Weather))
      expectAccepted(prompted)
      expect(JSON.stringify(prompted.sent.messages)).toContain("matches this JSON schema")
    }))

  it.live("streamed requests in each mode are accepted", () =>
    Effect.gen(function* () {
      for (const parameters of [Output.native(Weather), Output.tool(Weather), Output.prompted(Weather)]) {
        const streamed = yield* exchange(parameters, true)
        expectAccepted(streamed)
        expect(streamed.sent.stream).toBe(true)
      }
    }))
})
