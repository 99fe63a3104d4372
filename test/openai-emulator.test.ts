/**
 * The emulator's OpenAI route on the wire (plain fetch, no SDK, no codec): its frames have the
 * shape of the recorded streams, and its errors the shape of OpenAI's.
 */
import { describe, expect, it } from "@effect/vitest"
import { answerChat } from "../src/testing/emulator/openai.js"
import { useEmulator } from "./helpers/openai.js"

const emulator = useEmulator()

const post = (body: unknown, headers: Record<string, string> = {}, key = "k") =>
  fetch(`${emulator().openaiBaseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify(body)
  })

/* eslint-disable @typescript-eslint/no-explicit-any */
const frames = async (response: Response): Promise<Array<any>> => {
  const text = await response.text()
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true)
  return text.split("\n\n").filter((f) => f !== "" && f !== "data: [DONE]").map((f) => {
    expect(f.startsWith("data: ")).toBe(true)
    return JSON.parse(f.slice(6))
  })
}

const ask = { model: "gpt-4o-mini", messages: [{ role: "user", content: "What is the capital of France?" }] }
const divide = { type: "function", function: { name: "divide", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } } }

describe("emulator: POST /v1/chat/completions", () => {
  it("streams text like the recorded fixtures: role chunk, content deltas, finish chunk, usage-only chunk, [DONE]", async () => {
    const response = await post({ ...ask, stream: true, stream_options: { include_usage: true } })
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const chunks = await frames(response)
    expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null })
    expect(chunks.slice(1, -2).map((c) => c.choices[0].delta.content).join("")).toBe("The capital of France is Paris.")
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" })
    expect(chunks.at(-1).choices).toEqual([])
    expect(chunks.at(-1).usage).toMatchObject({ completion_tokens: 8, prompt_tokens_details: { cached_tokens: 0 } })
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull()
    for (const c of chunks) expect(c).toMatchObject({ object: "chat.completion.chunk", id: chunks[0].id, model: "gpt-4o-mini" })
  })

  it("leaves usage out without include_usage", async () => {
    const chunks = await frames(await post({ ...ask, stream: true }))
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop")
    for (const c of chunks) expect(c).not.toHaveProperty("usage")
  })

  it("streams tool calls with index, id and name first, then argument fragments", async () => {
    const chunks = await frames(await post({ model: "m", messages: [{ role: "user", content: "3 and 4" }], tools: [divide], stream: true }, { "x-emulator-id": "pin" }))
    expect(chunks[0].id).toBe("chatcmpl-pin")
    expect(chunks[0].choices[0].delta).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ index: 0, id: "call_pin_0", type: "function", function: { name: "divide", arguments: "" } }]
    })
    const fragments = chunks.slice(1, -1).map((c) => c.choices[0].delta.tool_calls[0])
    expect(fragments.length).toBeGreaterThan(1)
    for (const f of fragments) expect(Object.keys(f).sort()).toEqual(["function", "index"])
    expect(JSON.parse(fragments.map((f) => f.function.arguments).join(""))).toEqual({ a: 3, b: 4 })
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls")
  })

  it("x-emulator-deltas: N gives exactly N content deltas, and the JSON answer has the same text", async () => {
    const chunks = await frames(await post({ ...ask, stream: true }, { "x-emulator-deltas": "200" }))
    const deltas = chunks.map((c) => c.choices[0]?.delta.content).filter((d) => typeof d === "string" && d !== "")
    expect(deltas).toHaveLength(200)
    const json: any = await (await post(ask, { "x-emulator-deltas": "200" })).json()
    expect(json.choices[0].message.content).toBe(deltas.join(""))
  })

  it("answers JSON in the chat.completion shape", async () => {
    const json: any = await (await post(ask)).json()
    expect(json).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "The capital of France is Paris.", refusal: null } }] })
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens)
  })

  it("echoes an invalid key in a 401, in OpenAI's error format", async () => {
    const response = await post(ask, {}, "my-invalid-key")
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({
      error: {
        message: "Incorrect API key provided: my-invalid-key. You can find your API key at https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key"
      }
    })
  })

  it("rejects what the real API rejects with 400", async () => {
    for (const body of [
      { messages: ask.messages },
      { model: "m", messages: [] },
      { model: "m", messages: [{ role: "tool", content: "x" }] },
      { ...ask, tool_choice: "required" },
      { ...ask, stream_options: { include_usage: true } }
    ]) {
      const response = await post(body)
      expect(response.status).toBe(400)
      expect(((await response.json()) as any).error.type).toBe("invalid_request_error")
    }
  })
})

describe("emulator: answerChat (for batch output lines)", () => {
  it("gives the body the route answers for the same request", async () => {
    const routed: any = await (await post(ask, { "x-emulator-deltas": "40" })).json()
    expect(answerChat(ask, { "x-emulator-deltas": "40" })).toEqual(routed)
  })
})
