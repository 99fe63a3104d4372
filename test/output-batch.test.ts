/**
 * Output modes in batches: seed 004's `createChatRequest` with `outputType` and `outputMode`,
 * the batch input lines that carry each mode's wire fields, and results decoded with the schema,
 * on OpenAI (seed 004's API) and Anthropic (`Batch.run` with `Output` parameters).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Batch from "../src/Batch.js"
import { ModelRequest } from "../src/Message.js"
import * as Output from "../src/Output.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as OpenAi from "../src/OpenAiProvider.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { anthropicBatchEmulator } from "../src/testing/emulator/anthropic.js"
import { openAiBatchEmulator } from "../src/testing/emulator/openai.js"
import * as Tool from "../src/Tool.js"

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
  // batches end at create: no polling
  openAiBatchEmulator(emulator).lifecycle = { statusCalls: 0 }
  anthropicBatchEmulator(emulator).lifecycle = { statusCalls: 0 }
})
afterAll(async () => {
  await emulator?.close()
})

const WeatherResult = Schema.Struct({
  location: Schema.String,
  temperature: Schema.Number,
  condition: Schema.String,
  humidity: Schema.Int
}).annotations({ identifier: "WeatherResult" })

const modes = ["native", "tool", "prompted"] as const
const { createChatRequest, batchCreateJob, batchGetStatus, batchRetrieveJob } = OpenAi.Batch

describe("seed 004: createChatRequest with outputType and outputMode", () => {
  it("builds each mode's parameters (tool by default), function tools kept", () => {
    const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ city: Schema.String }) })
    for (const mode of modes) {
      const request = createChatRequest({ customId: `m-${mode}`, prompt: "Weather in Paris", model: "gpt-4o-mini", outputType: WeatherResult, outputMode: mode, tools: [Lookup], maxTokens: 200 })
      expect(request.parameters).toEqual(Output.make(WeatherResult, { mode, functionTools: [Lookup] }))
      expect(request.settings).toEqual({ maxTokens: 200 })
    }
    expect(createChatRequest({ customId: "d", prompt: "p", model: "gpt-4o-mini", outputType: WeatherResult }).parameters?.outputMode).toBe("tool")
    // without an output type, the mode means nothing: the request is as before
    expect(createChatRequest({ customId: "n", prompt: "p", model: "gpt-4o-mini", outputMode: "native" }).parameters).toBeUndefined()
  })

  it.live("the seed's native, tool and prompted requests in one OpenAI batch: lines carry each mode, results decode", () =>
    Effect.gen(function* () {
      const prompts = { native: "Get weather information for Paris and format it properly", tool: "Analyze the weather in Berlin", prompted: "Get weather for Miami and return as JSON" }
      const requests = modes.map((mode) => createChatRequest({ customId: `${mode}-1`, prompt: prompts[mode], model: "gpt-4o-mini", outputType: WeatherResult, outputMode: mode, maxTokens: 250 }))
      const id = yield* batchCreateJob(requests)
      const job = yield* batchGetStatus(id)
      expect(job.status).toBe("completed")

      const lines = openAiBatchEmulator(emulator).fileText(job.inputFileId!)!.trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; body: Record<string, unknown> })
      const body = (mode: string) => lines.find((l) => l.custom_id === `${mode}-1`)!.body
      expect(body("native").response_format).toMatchObject({ type: "json_schema", json_schema: { name: "WeatherResult", strict: true } })
      expect(body("tool").tool_choice).toEqual({ type: "function", function: { name: "final_result" } })
      expect((body("prompted").messages as Array<{ role: string; content: string }>)[0]).toMatchObject({ role: "system" })
      expect((body("prompted").messages as Array<{ role: string; content: string }>)[0]!.content).toContain("matches this JSON schema")

      const results = yield* batchRetrieveJob(id)
      for (const mode of modes) {
        const result = results.find((r) => r.customId === `${mode}-1`)!
        const weather = yield* Output.decode(WeatherResult, result.response!, Output.make(WeatherResult, { mode }))
        expect(Object.keys(weather).sort()).toEqual(["condition", "humidity", "location", "temperature"])
      }
      const native = results.find((r) => r.customId === "native-1")!
      expect(JSON.parse(native.output!)).toMatchObject({ location: "Paris" })
    }).pipe(Effect.provide(OpenAi.model("gpt-4o-mini", { client: { apiKey: "k", baseURL: emulator.openaiBaseURL } }))))

  it.live("Anthropic message batches carry each mode too, and the results decode", () =>
    Effect.gen(function* () {
      const results = yield* Batch.run(modes.map((mode) => ({
        customId: `${mode}-tokyo`,
        messages: [ModelRequest.userTextPrompt("Check weather in Tokyo and return structured data")],
        parameters: Output.make(WeatherResult, { mode })
      })))
      const create = emulator.requests.find((r) => r.path === "/v1/messages/batches" && r.method === "POST")!
      const params = (mode: string) => (create.body as { requests: Array<{ custom_id: string; params: Record<string, unknown> }> }).requests.find((r) => r.custom_id === `${mode}-tokyo`)!.params
      expect(params("native").output_config).toMatchObject({ format: { type: "json_schema" } })
      expect(params("tool").tool_choice).toEqual({ type: "tool", name: "final_result" })
      expect(String(params("prompted").system)).toContain("matches this JSON schema")
      for (const [i, mode] of modes.entries()) {
        const result = results[i]!
        expect(result.isSuccessful).toBe(true)
        if (!result.isSuccessful) continue
        const weather = yield* Output.decode(WeatherResult, result.response, Output.make(WeatherResult, { mode }))
        expect(weather.location).toMatch(/Tokyo/)
      }
    }).pipe(Effect.provide(Anthropic.model("claude-haiku-4-5", { client: { apiKey: "k", baseURL: emulator.anthropicBaseURL } }))))
})
