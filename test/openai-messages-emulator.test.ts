/**
 * The OpenAI emulator and the message model's newer parts, through the real `openai` SDK: file
 * and audio inputs (checked like the API), cached tokens by prompt cache key, built-in tool
 * items in Responses answers, raw reasoning text, and tool calls without ids; streamed and
 * non-streamed answers accumulate to the same ModelResponse.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { BinaryContent, DocumentUrl, ModelRequest, UserPromptPart } from "../src/Message.js"
import { CodeExecutionTool, FileSearchTool, McpServerTool, WebSearchTool } from "../src/Parameters.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { accumulateStream } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { Schema } from "effect"
import { failureOf, modelLayer, TEST_KEY, useEmulator, wireBody, withoutTimestamp } from "./helpers/openai.js"

const emulator = useEmulator()

const responsesModel = (name = "gpt-4.1") =>
  OpenAi.responsesLanguageModel(name, { retry: false }).pipe(
    Layer.provide(OpenAi.layer({ apiKey: Redacted.make(TEST_KEY), baseURL: emulator().openaiBaseURL }))
  )

const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
const wav = new BinaryContent({ data: new Uint8Array([82, 73, 70, 70]), mediaType: "audio/wav" })
const prompt = (...content: ReadonlyArray<UserPromptPart["content"][number]>) => [new ModelRequest({ parts: [new UserPromptPart({ content })] })]

/** Posts a raw body to the emulator (to see its 400s), returning the status and the error message. */
const post = (path: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${emulator().openaiBaseURL}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    const json = (await response.json()) as { error?: { message?: string } }
    return { status: response.status, message: json.error?.message ?? "" }
  })

const builtinTools = [
  new WebSearchTool({ searchContextSize: "low" }),
  new FileSearchTool({ vectorStoreIds: ["vs_1"] }),
  new CodeExecutionTool(),
  new McpServerTool({ name: "crm", url: "https://mcp.example.com/sse", allowedTools: ["lookup"] })
]

describe("OpenAI emulator: Responses", () => {
  it.effect("answers built-in tools with their items and cached usage; streamed and not accumulate to the same ModelResponse", () =>
    Effect.gen(function* () {
      const options = { parameters: { builtinTools }, settings: { promptCacheKey: "emu-builtin", extraHeaders: { "x-emulator-id": "builtin1" } } }
      const ask = prompt("What does ACME owe?", pdf)
      // the first request with the key writes the cache; the two after it read it
      const first = yield* LanguageModel.request(ask, options).pipe(Effect.provide(responsesModel()))
      expect(first.usage.cacheReadTokens).toBe(0)
      const whole = yield* LanguageModel.request(ask, options).pipe(Effect.provide(responsesModel()))
      const streamed = yield* accumulateStream(LanguageModel.requestStream(ask, options)).pipe(Effect.provide(responsesModel()))
      expect(whole.usage.cacheReadTokens).toBe(Math.floor(whole.usage.inputTokens / 2))
      expect(whole.usage.cacheReadTokens).toBeGreaterThan(0)
      expect(whole.toolCalls).toEqual([])
      expect(whole.builtinToolCalls.map((c) => c.toolName)).toEqual(["web_search", "file_search", "code_interpreter", "mcp_list_tools", "lookup"])
      expect(whole.builtinToolReturns).toHaveLength(5)
      expect(whole.builtinToolReturns[0]!.content).toMatchObject({ status: "completed", sources: [{ type: "url" }] })
      expect(whole.builtinToolReturns[4]!.content).toMatchObject({ output: "echo: What does ACME owe?" })
      expect(whole.text).not.toBe("")
      expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(whole))
      // the built-in items go back as they came, and the emulator takes them
      const next = yield* LanguageModel.request([...ask, whole, ...prompt("Thanks.")], options).pipe(Effect.provide(responsesModel()))
      expect(next.text).not.toBe("")
      const input = wireBody(emulator()).input as Array<{ type?: string; id?: string }>
      expect(input.filter((i) => i.type?.endsWith("_call") || i.type === "mcp_list_tools").map((i) => i.id)).toEqual(whole.builtinToolCalls.map((c) => c.toolCallId))
    }))

  it.effect("x-emulator-builtin-tools: none leaves the items out", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request(prompt("hi"), { parameters: { builtinTools }, settings: { extraHeaders: { "x-emulator-builtin-tools": "none" } } }).pipe(Effect.provide(responsesModel()))
      expect(response.builtinToolCalls).toEqual([])
    }))

  it.effect("raw reasoning text on a header, kept as thinking, streamed and not", () =>
    Effect.gen(function* () {
      const options = { settings: { extraHeaders: { "x-emulator-reasoning-text": "1", "x-emulator-id": "raw1" } } }
      const whole = yield* LanguageModel.request(prompt("2+2?"), options).pipe(Effect.provide(responsesModel()))
      const streamed = yield* accumulateStream(LanguageModel.requestStream(prompt("2+2?"), options)).pipe(Effect.provide(responsesModel()))
      expect(whole.thinking).toContain("2+2?")
      expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(whole))
    }))

  it.effect("takes documents by bytes and URL, refuses audio before any request, and 400s malformed files like the API", () =>
    Effect.gen(function* () {
      yield* LanguageModel.request(prompt("Compare.", pdf, new DocumentUrl({ url: "https://example.com/a.pdf" }))).pipe(Effect.provide(responsesModel()))
      expect(wireBody(emulator()).input[0].content.map((c: { type: string }) => c.type)).toEqual(["input_text", "input_file", "input_file"])
      const requests = emulator().requests.length
      const error = failureOf(yield* Effect.exit(LanguageModel.request(prompt(wav)).pipe(Effect.provide(responsesModel()))))
      expect(error._tag).toBe("InvalidInputError")
      expect(emulator().requests).toHaveLength(requests)
      const noName = yield* post("/responses", { model: "gpt-4.1", input: [{ role: "user", content: [{ type: "input_file", file_data: "data:application/pdf;base64,JVBERg==" }] }] })
      expect(noName.status).toBe(400)
      expect(noName.message).toContain("filename")
      const audio = yield* post("/responses", { model: "gpt-4.1", input: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }] })
      expect(audio.status).toBe(400)
    }))
})

const Weather = Tool.make("get_weather", { description: "The weather.", parameters: Schema.Struct({ city: Schema.String }) })

describe("OpenAI emulator: Chat Completions", () => {
  it.effect("reports cached tokens for a prompt cache key it has seen", () =>
    Effect.gen(function* () {
      const options = { settings: { promptCacheKey: "emu-chat-cache" } }
      const first = yield* LanguageModel.request(prompt("Read this.", pdf, wav), options).pipe(Effect.provide(modelLayer(emulator())))
      const second = yield* LanguageModel.request(prompt("Read this.", pdf, wav), options).pipe(Effect.provide(modelLayer(emulator())))
      expect(first.usage.cacheReadTokens).toBe(0)
      expect(second.usage.cacheReadTokens).toBe(Math.floor(second.usage.inputTokens / 2))
      expect(second.usage.cacheReadTokens).toBeGreaterThan(0)
    }))

  it.effect("tool calls without ids (x-emulator-tool-call-ids: none) get generated ids, streamed and not", () =>
    Effect.gen(function* () {
      const options = { parameters: { functionTools: [Weather] }, settings: { extraHeaders: { "x-emulator-tool-call-ids": "none", "x-emulator-tool-calls": "all" } } }
      const whole = yield* LanguageModel.request(prompt("Weather in Paris?"), options).pipe(Effect.provide(modelLayer(emulator())))
      const streamed = yield* accumulateStream(LanguageModel.requestStream(prompt("Weather in Paris?"), options)).pipe(Effect.provide(modelLayer(emulator())))
      for (const response of [whole, streamed]) {
        expect(response.toolCalls.length).toBeGreaterThan(0)
        for (const call of response.toolCalls) expect(call.toolCallId).toMatch(/^call_[a-z0-9]+_\d+$/)
      }
      expect(streamed.toolCalls.map((c) => [c.toolName, c.args])).toEqual(whole.toolCalls.map((c) => [c.toolName, c.args]))
    }))

  it.effect("checks file and audio parts like the API", () =>
    Effect.gen(function* () {
      const badAudio = yield* post("/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "ogg" } }] }] })
      expect(badAudio.status).toBe(400)
      expect(badAudio.message).toContain("'wav' and 'mp3'")
      const badFile = yield* post("/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "file", file: { file_data: "not a data url", filename: "a.pdf" } }] }] })
      expect(badFile.status).toBe(400)
      const good = yield* post("/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "file", file: { file_data: "data:application/pdf;base64,JVBERg==", filename: "a.pdf" } }] }] })
      expect(good.status).toBe(200)
    }))
})
