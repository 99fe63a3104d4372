/**
 * Conformance of the Responses model: what it sends to `/responses`, checked against OpenAI's
 * official OpenAPI spec by the `@stdy/cli` mock server (test/helpers/openaiSteady.ts), which
 * answers 400 to a request that violates it. Each test asserts the status the server gave; the
 * first shows a non-conforming Responses body does get a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Layer, Redacted, Schema, Stream } from "effect"
import { readFileSync } from "node:fs"
import OpenAI from "openai"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, CachePoint, DocumentUrl, ImageUrl, ModelRequest, ModelResponse, RetryPromptPart, SystemPromptPart, TextPart, ThinkingPart, ToolCallPart, ToolReturnPart, UserPromptPart } from "../src/Message.js"
import * as Output from "../src/Output.js"
import { CodeExecutionTool, FileSearchTool, McpServerTool, WebSearchTool } from "../src/Parameters.js"
import * as OpenAi from "../src/providers/openai/index.js"
import * as ResponsesCodec from "../src/providers/openai/responsesCodec.js"
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
const model = (name: string, options?: OpenAi.ResponsesModelOptions) =>
  OpenAi.responsesLanguageModel(name, { retry: false, ...options }).pipe(Layer.provide(Layer.sync(OpenAi.OpenAiClient, () => ({ sdk: sdk(), apiKey: Redacted.make(KEY) }))))

const exchangesOf = <A, E>(program: Effect.Effect<A, E, LanguageModel.LanguageModel>, name = "gpt-4o-mini", options?: OpenAi.ResponsesModelOptions) =>
  Effect.gen(function* () {
    const before = exchanges.length
    const exit = yield* Effect.exit(Effect.provide(program, model(name, options)))
    return { exit, made: exchanges.slice(before) }
  })

/** One exchange, to /responses, status 200 (with steady's diagnostic if not). */
const expectAccepted = (made: ReadonlyArray<Exchange>) => {
  expect(made.map((e) => `${e.status} ${e.diagnostic}`)).toEqual(["200 "])
  expect(made[0]!.url).toContain("/responses")
}

/** Steady's answers are random but schema-valid: decoded, or a typed error, never a crash. */
const expectTypedOutcome = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>) => {
  if (Exit.isFailure(exit)) expect(["ResponseDecodeError", "ProviderUnavailableError", "ConnectionError"]).toContain(failureOf(exit)._tag)
}

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})
class City extends Schema.Class<City>("City")({ city: Schema.String, country: Schema.String }) {}

describe("OpenAI Responses conformance (OpenAPI spec via steady)", () => {
  it.live("the server rejects a Responses body that violates the spec with 400", () =>
    Effect.gen(function* () {
      const { exit, made } = yield* exchangesOf(LanguageModel.request([ModelRequest.userTextPrompt("hi")], { settings: { extraBody: { temperature: "hot" } } }))
      expect(made.map((e) => e.status)).toEqual([400])
      expect(failureOf(exit)._tag).toBe("InvalidRequestError")
    }))

  it.live("a plain request with instructions and settings is accepted", () =>
    Effect.gen(function* () {
      const { exit, made } = yield* exchangesOf(
        LanguageModel.request([ModelRequest.userTextPrompt("What is the capital of France?", { instructions: "Be brief." })], { settings: { maxTokens: 100, temperature: 0.5, topP: 0.9 } })
      )
      expectAccepted(made)
      expectTypedOutcome(exit)
    }))

  it.live("a streamed request is accepted (only the request is checked)", () =>
    Effect.gen(function* () {
      const { made } = yield* exchangesOf(Stream.runDrain(LanguageModel.requestStream([ModelRequest.userTextPrompt("Hi")])))
      expectAccepted(made)
    }))

  it.live("tools, a named tool choice and a history of every part are accepted", () =>
    Effect.gen(function* () {
      const history = [
        new ModelRequest({
          parts: [
            new SystemPromptPart({ content: "You divide." }),
            new UserPromptPart({ content: ["Divide these:", new ImageUrl({ url: "https://example.com/a.png" }), new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })] })
          ]
        }),
        new ModelResponse({
          parts: [
            new ThinkingPart({ content: "Dividing.", signature: "ZW5jcnlwdGVk", id: "rs_1", providerName: "openai" }),
            new TextPart({ content: "Let me divide." }),
            new ToolCallPart({ toolName: "divide", args: { numerator: 1, denominator: 2 }, toolCallId: "call_1" })
          ],
          modelName: "gpt-5-mini",
          providerName: "openai"
        }),
        new ModelRequest({ parts: [new ToolReturnPart({ toolName: "divide", content: 0.5, toolCallId: "call_1" }), new RetryPromptPart({ content: "Try again." })] })
      ]
      const { exit, made } = yield* exchangesOf(
        LanguageModel.request(history, { parameters: { functionTools: [Divide] }, settings: { toolChoice: { toolName: "divide" }, parallelToolCalls: false } }),
        "gpt-5-mini",
        { reasoning: { effort: "low", summary: "auto" } }
      )
      expectAccepted(made)
      expectTypedOutcome(exit)
    }))

  for (const [mode, parameters] of [["native", Output.native(City)], ["prompted", Output.prompted(City)], ["tool", Output.tool(City)]] as const) {
    it.live(`structured output, ${mode} mode, is accepted`, () =>
      Effect.gen(function* () {
        const { made } = yield* exchangesOf(LanguageModel.request([ModelRequest.userTextPrompt("Paris?")], { parameters }))
        expectAccepted(made)
      }))
  }

  it.live("documents by bytes and URL, the prompt cache settings and every built-in tool are accepted", () =>
    Effect.gen(function* () {
      const prompt = new ModelRequest({
        parts: [new UserPromptPart({
          content: [
            "Compare.",
            new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" }),
            new CachePoint(),
            new DocumentUrl({ url: "https://example.com/spec.pdf" })
          ]
        })]
      })
      const { made } = yield* exchangesOf(LanguageModel.request([prompt], {
        parameters: {
          builtinTools: [
            new WebSearchTool({ allowedDomains: ["example.com"], userLocation: { city: "Paris", country: "FR" }, searchContextSize: "medium" }),
            new FileSearchTool({ vectorStoreIds: ["vs_1"], maxNumResults: 4 }),
            new CodeExecutionTool(),
            new McpServerTool({ name: "crm", url: "https://mcp.example.com/sse", authorizationToken: "tok", allowedTools: ["lookup"], description: "CRM", headers: { "x-tenant": "7" } })
          ]
        },
        settings: { promptCacheKey: "tenant-7", promptCacheRetention: "in_memory" }
      }))
      expectAccepted(made)
    }))

  it.live("a history holding built-in tool items (sent back by id) and a reasoning item is accepted", () =>
    Effect.gen(function* () {
      const recorded = Either.getOrThrow(ResponsesCodec.decodeResponse(JSON.parse(readFileSync(new URL("./fixtures/openai/responses-builtin-tools.json", import.meta.url), "utf8")), { requestedModel: "gpt-5" }))
      const history = [ModelRequest.userTextPrompt("What do ACME's invoices total in USD?"), recorded, ModelRequest.userTextPrompt("And in GBP?")]
      const { made } = yield* exchangesOf(
        LanguageModel.request(history, { parameters: { builtinTools: [new WebSearchTool({}), new CodeExecutionTool()] } }),
        "gpt-5-mini"
      )
      expectAccepted(made)
    }))
})
