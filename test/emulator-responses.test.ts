/**
 * The emulator's Responses API route (`POST /v1/responses`) through the raw `openai` SDK's
 * `responses.create`: JSON answers, SSE event order and shapes, the `x-emulator-deltas` header,
 * function calls, errors, reasoning items (summaries, encrypted content) and json_schema output.
 * The benchmarks' Responses-only peers (@effect/ai-openai, the Vercel AI SDK's OpenAI default)
 * run against this route.
 */
import { describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { useEmulator } from "./helpers/openai.js"

const emulator = useEmulator()
const client = (apiKey = "sk-test") => new OpenAI({ apiKey, baseURL: emulator().openaiBaseURL, maxRetries: 0 })
const ask = { model: "gpt-4o-mini", input: "What is the capital of France?" }

describe("emulator: POST /v1/responses", () => {
  it("answers JSON a response object with one message, output_text and usage", async () => {
    const response = await client().responses.create(ask)
    expect(response).toMatchObject({ object: "response", status: "completed", model: "gpt-4o-mini", error: null })
    expect(response.id).toMatch(/^resp_/)
    expect(response.output).toHaveLength(1)
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "The capital of France is Paris.", annotations: [] }] })
    expect(response.output_text).toBe("The capital of France is Paris.")
    expect(response.usage).toMatchObject({ output_tokens: 8, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } })
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens)
    // identical requests get identical ids
    expect((await client().responses.create(ask)).id).toBe(response.id)
  })

  it("reads message items and input_text parts, and answers the last user message", async () => {
    const response = await client().responses.create({
      model: "gpt-4o-mini",
      instructions: "Be brief.",
      input: [
        { role: "user", content: "hello" },
        { role: "assistant", content: "Hi." },
        { type: "message", role: "user", content: [{ type: "input_text", text: "What is 2 + 2?" }] }
      ]
    })
    expect(response.output_text).toBe("2 + 2 = 4.")
    expect(response.instructions).toBe("Be brief.")
  })

  it("streams the real API's event sequence with sequence numbers and a completed response carrying usage", async () => {
    const stream = await client().responses.create({ ...ask, stream: true })
    const events: Array<OpenAI.Responses.ResponseStreamEvent> = []
    for await (const event of stream) events.push(event)
    const types = events.map((e) => e.type)
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"])
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"])
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
    const deltas = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []))
    expect(deltas.join("")).toBe("The capital of France is Paris.")
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null })
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent
    expect(completed.response.id).toBe(created.response.id)
    expect(completed.response.output[0]).toMatchObject({ type: "message", status: "completed", content: [{ type: "output_text", text: "The capital of France is Paris." }] })
    expect(completed.response.usage).toMatchObject({ output_tokens: 8 })
  })

  it("streams exactly N text deltas with x-emulator-deltas, and the JSON answer has the same text", async () => {
    const headers = { "x-emulator-deltas": "200" }
    const stream = await client().responses.create({ ...ask, stream: true }, { headers })
    let text = ""
    let deltas = 0
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") {
        deltas++
        expect(event.delta).not.toBe("")
        text += event.delta
      }
    }
    expect(deltas).toBe(200)
    expect((await client().responses.create(ask, { headers })).output_text).toBe(text)
  })

  it("calls an offered function, as JSON and as streamed argument deltas", async () => {
    const tools: Array<OpenAI.Responses.FunctionTool> = [
      { type: "function", name: "divide", strict: false, parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } }
    ]
    const request = { model: "gpt-4o-mini", input: "Divide 10 by 4", tools }
    const response = await client().responses.create(request)
    expect(response.output[0]).toMatchObject({ type: "function_call", name: "divide", status: "completed" })
    const call = response.output[0] as OpenAI.Responses.ResponseFunctionToolCall
    expect(JSON.parse(call.arguments)).toEqual({ a: 10, b: 4 })
    let args = ""
    for await (const event of await client().responses.create({ ...request, stream: true })) {
      if (event.type === "response.function_call_arguments.delta") args += event.delta
    }
    expect(args).toBe(call.arguments)
    // after the function's output it answers with it
    const followUp = await client().responses.create({
      model: "gpt-4o-mini",
      tools,
      input: [{ role: "user", content: "Divide 10 by 4" }, call, { type: "function_call_output", call_id: call.call_id, output: "2.5" }]
    })
    expect(followUp.output_text).toBe("The result is 2.5.")
  })

  it("rejects like the real API: no key, a rejected key, no model, a too small max_output_tokens", async () => {
    await expect(client("sk-invalid").responses.create(ask)).rejects.toMatchObject({ status: 401, code: "invalid_api_key" })
    await expect(client().responses.create({ input: "hi" } as never)).rejects.toMatchObject({ status: 400, param: "model" })
    await expect(client().responses.create({ ...ask, max_output_tokens: 3 })).rejects.toMatchObject({ status: 400, param: "max_output_tokens" })
    const raw = await fetch(`${emulator().openaiBaseURL}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask) })
    expect(raw.status).toBe(401)
  })

  it("ends incomplete when max_output_tokens cuts the text", async () => {
    const response = await client().responses.create({ ...ask, max_output_tokens: 16 }, { headers: { "x-emulator-deltas": "200" } })
    expect(response.status).toBe("incomplete")
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" })
    expect(response.output_text.length).toBe(64)
  })

  it("answers a reasoning request with a reasoning item first: summaries, encrypted content when included, reasoning tokens", async () => {
    const request = { ...ask, model: "gpt-5-mini", reasoning: { effort: "low" as const, summary: "auto" as const }, include: ["reasoning.encrypted_content" as const] }
    const response = await client().responses.create(request)
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"])
    const reasoning = response.output[0]!
    expect(reasoning).toMatchObject({ type: "reasoning", id: expect.stringMatching(/^rs_/), encrypted_content: expect.any(String) })
    expect(reasoning.type === "reasoning" && reasoning.summary.length).toBe(2)
    expect(response.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0)
    // streamed: the summary deltas (two summary parts) add up to the same summaries, before the text
    const summaries: Array<string> = []
    const types: Array<string> = []
    for await (const event of await client().responses.create({ ...request, stream: true })) {
      types.push(event.type)
      if (event.type === "response.reasoning_summary_text.delta") summaries[event.summary_index] = (summaries[event.summary_index] ?? "") + event.delta
      if (event.type === "response.output_item.done" && event.item.type === "reasoning") expect(event.item.encrypted_content).toBe((reasoning as { encrypted_content: string }).encrypted_content)
    }
    expect(summaries).toEqual((reasoning as { summary: Array<{ text: string }> }).summary.map((s) => s.text))
    expect(types.indexOf("response.reasoning_summary_text.delta")).toBeLessThan(types.indexOf("response.output_text.delta"))
    // without include, no encrypted content
    const plain = await client().responses.create({ ...ask, reasoning: { summary: "auto" } })
    expect(plain.output[0]).not.toHaveProperty("encrypted_content")
  })

  it("answers a json_schema text.format with JSON valid for the schema", async () => {
    const response = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Weather in Paris: 21.5 degrees",
      text: { format: { type: "json_schema", name: "weather", strict: true, schema: { type: "object", properties: { temperature: { type: "number" } }, required: ["temperature"], additionalProperties: false } } }
    })
    expect(JSON.parse(response.output_text)).toEqual({ temperature: 21.5 })
  })
})
