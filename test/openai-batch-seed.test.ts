/**
 * Seed 004's OpenAI batch API (`OpenAi.Batch`): createChatRequest, batchCreateJob,
 * batchGetStatus, batchRetrieveJob (output text, tool calls, errors), batchCancelJob and
 * batchListJobs, over `OpenAi.model`, which now provides the BatchModel next to the LanguageModel.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as OpenAi from "../src/OpenAiProvider.js"
import * as Tool from "../src/Tool.js"
import { TEST_KEY } from "./helpers/openai.js"
import { callsTo, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

const model = () => OpenAi.model("gpt-4o-mini", { client: { apiKey: TEST_KEY, baseURL: emulator().openaiBaseURL } })
const { createChatRequest, batchCreateJob, batchGetStatus, batchRetrieveJob, batchCancelJob, batchListJobs } = OpenAi.Batch

const GetWeather = Tool.make("get_weather", {
  description: "Get current weather information for a location.",
  parameters: Schema.Struct({ location: Schema.String, units: Schema.optional(Schema.String) })
})

describe("OpenAi.Batch (seed 004)", () => {
  it("createChatRequest: system prompt, prompt, model, settings and tools", () => {
    const request = createChatRequest({
      customId: "weather-tokyo",
      prompt: "What's the weather like in Tokyo?",
      model: "gpt-4o-mini",
      maxTokens: 150,
      temperature: 0.8,
      systemPrompt: "You are a weather bot.",
      tools: [GetWeather]
    })
    expect(request.customId).toBe("weather-tokyo")
    expect(request.model).toBe("gpt-4o-mini")
    expect(request.settings).toEqual({ maxTokens: 150, temperature: 0.8 })
    expect(request.parameters?.functionTools.map((t) => t.name)).toEqual(["get_weather"])
    const [message] = request.messages
    expect(message?._tag === "ModelRequest" && message.parts.map((p) => p._tag)).toEqual(["SystemPromptPart", "UserPromptPart"])
    const plain = createChatRequest({ customId: "x", prompt: "hi", model: "gpt-4o-mini" })
    expect(plain.settings).toBeUndefined()
    expect(plain.parameters).toBeUndefined()
  })

  it.effect("basic usage: create with metadata, check the status, retrieve the results", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 3 }
      const requests = [
        createChatRequest({ customId: "math-question", prompt: "What is 2+2?", model: "gpt-4o-mini", maxTokens: 50 }),
        createChatRequest({ customId: "creative-writing", prompt: "Write a short poem about coding", model: "gpt-4o-mini", maxTokens: 100, temperature: 0.8 }),
        createChatRequest({ customId: "explanation", prompt: "Explain quantum computing in one sentence", model: "gpt-4o-mini", maxTokens: 75 })
      ]
      const id = yield* batchCreateJob(requests, { metadata: { project: "my-batch-job", version: "1.0" } })
      expect(id).toMatch(/^batch_/)
      const create = emulator().requests.find((r) => r.path === "/v1/batches" && r.method === "POST")!
      expect(create.body).toMatchObject({ metadata: { project: "my-batch-job", version: "1.0" }, endpoint: "/v1/chat/completions", completion_window: "24h" })

      const running = yield* batchGetStatus(id)
      expect(running.status).toBe("in_progress")
      expect(running.completionWindow).toBe("24h")
      expect(running.createdAt).toBeInstanceOf(Date)
      expect(running.requestCounts.total).toBe(3)
      // not complete yet (this look-up finds it finalizing): the seed's "Job not ready" case
      const early = yield* Effect.flip(batchRetrieveJob(id))
      expect(early._tag === "InvalidInputError" && early.reason).toContain("still")

      const job = yield* batchGetStatus(id)
      expect(job.status).toBe("completed")
      expect(job.requestCounts).toEqual({ total: 3, completed: 3, failed: 0 })
      expect(job.outputFileId).toMatch(/^file-/)
      expect(job.metadata).toEqual({ project: "my-batch-job", version: "1.0" })
      const results = yield* batchRetrieveJob(id)
      expect(results.map((r) => r.customId).sort()).toEqual(["creative-writing", "explanation", "math-question"])
      const math = results.find((r) => r.customId === "math-question")!
      expect(math.output).toBe("2 + 2 = 4.")
      expect(math.error).toBeUndefined()
      expect(math.toolCalls).toEqual([])
      expect(math.response?.finishReason).toBe("stop")
    }).pipe(Effect.provide(model())))

  it.effect("tools: tool calls as OpenAI sends them (toolCall.function.name), errors with code and message", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 0, errors: { "weather-london": 400 }, duplicate: ["weather-tokyo"] }
      const tools = [GetWeather]
      const id = yield* batchCreateJob([
        createChatRequest({ customId: "weather-tokyo", prompt: "What's the weather like in Tokyo?", model: "gpt-4o-mini", tools, maxTokens: 150 }),
        createChatRequest({ customId: "weather-london", prompt: "Get weather for London, UK in fahrenheit", model: "gpt-4o-mini", tools, maxTokens: 150 })
      ])
      const results = yield* batchRetrieveJob(id)
      expect(results.map((r) => r.customId).sort()).toEqual(["weather-london", "weather-tokyo"]) // the duplicate line counts once
      const tokyo = results.find((r) => r.customId === "weather-tokyo")!
      expect(tokyo.output).toBeUndefined()
      expect(tokyo.toolCalls.map((c) => [c.type, c.function.name, JSON.parse(c.function.arguments).location])).toEqual([["function", "get_weather", "What's the weather like in Tokyo?"]])
      const london = results.find((r) => r.customId === "weather-london")!
      expect(london.error?.code).toBe("invalid_request_error")
      expect(london.output).toBeUndefined()
    }).pipe(Effect.provide(model())))

  it.effect("cancel and list (newest first, limited, across pages)", () =>
    Effect.gen(function* () {
      batches().lifecycle = { statusCalls: 5 }
      const ids: Array<string> = []
      for (const n of [1, 2, 3]) ids.push(yield* batchCreateJob([createChatRequest({ customId: `c${n}`, prompt: "hi", model: "gpt-4o-mini" })]))
      const cancelled = yield* batchCancelJob(ids[0]!)
      expect(cancelled.status).toBe("cancelling")
      expect(cancelled.batch.id).toBe(ids[0])
      expect((yield* batchListJobs(2)).map((j) => j.id)).toEqual([ids[2], ids[1]])
      expect((yield* batchListJobs()).map((j) => j.id)).toEqual([...ids].reverse())
      expect((yield* batchListJobs()).map((j) => j.status)).toEqual(["validating", "validating", "cancelling"])
    }).pipe(Effect.provide(model())))

  it.effect("refuses what OpenAI does not offer, before any call; one request is enough", () =>
    Effect.gen(function* () {
      const one = [createChatRequest({ customId: "only", prompt: "hi", model: "gpt-4o-mini" })]
      const endpoint = yield* Effect.flip(batchCreateJob(one, { endpoint: "/v1/embeddings" as "/v1/chat/completions" }))
      expect(endpoint._tag === "InvalidInputError" && endpoint.reason).toContain("/v1/chat/completions")
      const window = yield* Effect.flip(batchCreateJob(one, { completionWindow: "1h" as "24h" }))
      expect(window._tag === "InvalidInputError" && window.reason).toContain("24h")
      const mixed = yield* Effect.flip(batchCreateJob([...one, createChatRequest({ customId: "other", prompt: "hi", model: "gpt-4.1" })]))
      expect(mixed._tag === "InvalidInputError" && mixed.reason).toContain("one model per batch")
      expect(emulator().requests).toEqual([])
      expect(yield* batchCreateJob(one)).toMatch(/^batch_/)
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
    }).pipe(Effect.provide(model())))

  it.effect("OpenAi.model still provides the LanguageModel", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.request([ModelRequest.userTextPrompt("What is the capital of France?")])
      expect(response.text).toBe("The capital of France is Paris.")
    }).pipe(Effect.provide(model())))
})
