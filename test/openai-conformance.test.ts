/**
 * Conformance: what the OpenAI provider sends, checked against OpenAI's official OpenAPI spec by
 * the `@stdy/cli` mock server, which answers 400 to a request that violates it. Every test
 * asserts the HTTP status the server gave (recorded by a wrapping fetch), so a non-conforming
 * request fails the test; the first test shows such a request does get a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Redacted, Schema, Stream } from "effect"
import OpenAI from "openai"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, CachePoint, ImageUrl, ModelRequest, ModelResponse, RetryPromptPart, SystemPromptPart, TextPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { WebSearchTool } from "../src/Parameters.js"
import * as Tool from "../src/Tool.js"
import { failureOf } from "./helpers/openai.js"
import { type Steady, startSteady } from "./helpers/openaiSteady.js"

interface Exchange {
  readonly url: string
  readonly status: number
  readonly diagnostic: string
}

let steady: Steady
const exchanges: Array<Exchange> = []

beforeAll(async () => {
  steady = await startSteady()
  // a generous bound: it loads in well under a second here
  expect(steady.startupMs).toBeLessThan(20_000)
}, 30_000)

afterAll(async () => {
  await steady?.stop()
})

const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await fetch(input, init)
  const diagnostic = response.status >= 400 ? await response.clone().text() : ""
  exchanges.push({ url: String(input), status: response.status, diagnostic })
  return response
}

const KEY = "conformance-key"
const sdk = () => new OpenAI({ apiKey: KEY, baseURL: steady.baseURL, maxRetries: 0, fetch: recordingFetch })
const model = (name = "gpt-4o-mini") =>
  OpenAi.languageModel(name, { retry: false }).pipe(Layer.provide(Layer.sync(OpenAi.OpenAiClient, () => ({ sdk: sdk(), apiKey: Redacted.make(KEY) }))))

/** Runs a program and returns the statuses of the HTTP exchanges it made. */
const statusesOf = <A, E>(program: Effect.Effect<A, E, LanguageModel.LanguageModel>) =>
  Effect.gen(function* () {
    const before = exchanges.length
    const exit = yield* Effect.exit(Effect.provide(program, model()))
    const made = exchanges.slice(before)
    return { exit, made, statuses: made.map((e) => e.status) }
  })

/** The request was accepted: one exchange, status 200 (with steady's diagnostic if not). */
const expectAccepted = (made: ReadonlyArray<Exchange>) => {
  expect(made.map((e) => `${e.status} ${e.diagnostic}`)).toEqual(["200 "])
}

/** Steady's answers are random but schema-valid: we decode them or fail with a typed decode error. */
const expectDecodedOrTypedDecodeError = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>) => {
  if (Exit.isFailure(exit)) expect(failureOf(exit)._tag).toBe("ResponseDecodeError")
}

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})
const FinalResult = Tool.make("final_result", {
  description: "The final answer.",
  parameters: Schema.Struct({ city: Schema.String, country: Schema.String }),
  strict: true
})

describe("OpenAI conformance (OpenAPI spec via steady)", () => {
  it.live("the server rejects a request that violates the spec with 400 (so these tests can fail)", () =>
    Effect.gen(function* () {
      const before = exchanges.length
      const raw = yield* Effect.promise(() =>
        sdk().chat.completions.create({
          model: "gpt-4o-mini",
          // a role the spec does not know, and a temperature of the wrong type
          messages: [{ role: "bogus" as "user", content: "hi" }],
          temperature: "hot" as unknown as number
        }).then(() => undefined, (e: unknown) => e)
      )
      expect(raw).toBeInstanceOf(OpenAI.BadRequestError)
      expect(exchanges.slice(before).map((e) => e.status)).toEqual([400])
      expect(exchanges.at(-1)!.diagnostic).toContain("body.temperature")

      // and through the provider, such a rejection is an InvalidRequestError with status 400
      const { exit, statuses } = yield* statusesOf(LanguageModel.request([ModelRequest.userTextPrompt("hi")], { settings: { extraBody: { temperature: "hot" } } }))
      expect(statuses).toEqual([400])
      const error = failureOf(exit)
      expect(error._tag).toBe("InvalidRequestError")
      expect(error._tag === "InvalidRequestError" && error.status).toBe(400)
    }))

  it.live("a plain request is accepted", () =>
    Effect.gen(function* () {
      const { exit, made } = yield* statusesOf(LanguageModel.request([ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Be brief." })]))
      expectAccepted(made)
      expectDecodedOrTypedDecodeError(exit)
    }))

  it.live("a streamed request is accepted (steady answers it with JSON: only the request is checked)", () =>
    Effect.gen(function* () {
      const { exit, made } = yield* statusesOf(
        Stream.runCollect(LanguageModel.requestStream([ModelRequest.userTextPrompt("What is the capital of France?")], {
          parameters: { functionTools: [Divide] },
          settings: { maxTokens: 50, temperature: 0 }
        }))
      )
      expectAccepted(made)
      // a JSON body holds no SSE event: the stream ends without a finish reason
      if (Exit.isFailure(exit)) expect(["ConnectionError", "ResponseDecodeError"]).toContain(failureOf(exit)._tag)
      else expect(Chunk.isChunk(exit.value)).toBe(true)
    }))

  it.live("a request with function tools, output tools (strict) and a named tool choice is accepted", () =>
    Effect.gen(function* () {
      const { exit, made } = yield* statusesOf(
        LanguageModel.request([ModelRequest.userTextPrompt("Divide 10 by 4, then answer.")], {
          parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: false },
          settings: { toolChoice: { toolName: "final_result" }, parallelToolCalls: false }
        })
      )
      expectAccepted(made)
      expectDecodedOrTypedDecodeError(exit)
      const { made: required } = yield* statusesOf(
        LanguageModel.request([ModelRequest.userTextPrompt("Divide 10 by 4.")], { parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: false } })
      )
      expectAccepted(required)
    }))

  it.live("a settings-heavy request with a full history and every content kind is accepted", () =>
    Effect.gen(function* () {
      const history = [
        new ModelRequest({
          parts: [
            new SystemPromptPart({ content: "You are a calculator." }),
            new UserPromptPart({
              content: [
                "Look at these and divide 10 by 4.",
                new ImageUrl({ url: "https://example.com/cat.png" }),
                new BinaryContent({ data: new Uint8Array([137, 80, 78, 71]), mediaType: "image/png" }),
                new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" }),
                new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
              ]
            })
          ],
          instructions: "Answer with the tool."
        }),
        new ModelResponse({
          parts: [new TextPart({ content: "Let me divide." }), new ToolCallPart({ toolName: "divide", args: { numerator: 10, denominator: 0 }, toolCallId: "call_1" }), new ToolCallPart({ toolName: "divide", args: "{\"numerator\": 10", toolCallId: "call_2" })],
          modelName: "gpt-4o-mini",
          providerName: "openai"
        }),
        new ModelRequest({
          parts: [
            new ToolReturnPart({ toolName: "divide", content: { error: "division by zero" }, toolCallId: "call_1" }),
            new RetryPromptPart({ content: "invalid JSON arguments", toolName: "divide", toolCallId: "call_2" }),
            new RetryPromptPart({ content: "Please answer with the final_result tool." })
          ]
        })
      ]
      const { exit, made } = yield* statusesOf(
        LanguageModel.request(history, {
          parameters: { functionTools: [Divide], outputTools: [FinalResult], allowTextOutput: true },
          settings: {
            maxTokens: 200,
            temperature: 0.2,
            topP: 0.9,
            seed: 7,
            stopSequences: ["END", "STOP"],
            parallelToolCalls: true,
            presencePenalty: 0.5,
            frequencyPenalty: -0.5,
            toolChoice: "auto",
            timeout: 30,
            extraHeaders: { "x-trace": "conformance" },
            extraBody: { user: "conformance-user", store: false, metadata: { suite: "openai" } }
          }
        })
      )
      expectAccepted(made)
      expectDecodedOrTypedDecodeError(exit)

      const { made: developer } = yield* statusesOf(LanguageModel.request(history).pipe(Effect.provide(OpenAi.languageModel("o3-mini", { systemRole: "developer", retry: false }).pipe(
        Layer.provide(Layer.sync(OpenAi.OpenAiClient, () => ({ sdk: sdk(), apiKey: Redacted.make(KEY) })))
      ))))
      expectAccepted(developer)
    }))

  it.live("steady's random but schema-valid answers decode, or fail with a typed decode error, never crash", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 10; i++) {
        const { exit, made } = yield* statusesOf(LanguageModel.request([ModelRequest.userTextPrompt(`question ${i}`)], { settings: { seed: i } }))
        expectAccepted(made)
        expectDecodedOrTypedDecodeError(exit)
      }
    }))

  it.live("documents, WAV and MP3 audio, a cache point, the prompt cache settings and web_search_options are accepted", () =>
    Effect.gen(function* () {
      const prompt = new ModelRequest({
        parts: [new UserPromptPart({
          content: [
            "Read these.",
            new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" }),
            new BinaryContent({ data: new TextEncoder().encode("plain text"), mediaType: "text/plain" }),
            new CachePoint({ ttl: "1h" }),
            new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" }),
            new BinaryContent({ data: new Uint8Array([73, 68, 51]), mediaType: "audio/mpeg" })
          ]
        })]
      })
      const { made } = yield* statusesOf(LanguageModel.request([prompt], {
        parameters: { builtinTools: [new WebSearchTool({ searchContextSize: "low", userLocation: { city: "Paris", country: "FR", region: "IDF", timezone: "Europe/Paris" } })] },
        settings: { promptCacheKey: "tenant-7", promptCacheRetention: "24h", cacheInstructions: true }
      }))
      expectAccepted(made)
    }))
})
