/**
 * Two emulators in one process are strangers: each keeps its own files, batches and id counters
 * (a batch made on one is a 404 on the other, ids start afresh on each), its controls see only
 * its own batches (even on a port another emulator had), and closing one leaves the other
 * answering. Plain fetch on the wire, no SDK.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { type EmulatorInstance, startEmulator } from "../src/testing/index.js"

const started: Array<EmulatorInstance> = []
const start = async (port?: number): Promise<EmulatorInstance> => {
  const emulator = await startEmulator(port === undefined ? undefined : { port })
  started.push(emulator)
  return emulator
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()))
})

const json = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })
const openai = { authorization: "Bearer k" }
const anthropic = { "x-api-key": "k", "anthropic-version": "2023-06-01" }
const gemini = { "x-goog-api-key": "k" }

const chat = { model: "gpt-4o-mini", messages: [{ role: "user", content: "What is the capital of France?" }] }
const message = { model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "What is the capital of France?" }] }
const generate = { contents: [{ role: "user", parts: [{ text: "What is the capital of France?" }] }] }

/** Uploads a one-line batch input and creates an OpenAI batch from it: the file and batch ids. */
const openAiBatch = async (e: EmulatorInstance): Promise<{ readonly fileId: string; readonly batchId: string }> => {
  const form = new FormData()
  form.append("purpose", "batch")
  const line = JSON.stringify({ custom_id: "q1", method: "POST", url: "/v1/chat/completions", body: chat })
  form.append("file", new Blob([`${line}\n`]), "input.jsonl")
  const file = (await (await fetch(`${e.openaiBaseURL}/files`, { method: "POST", headers: openai, body: form })).json()) as { id: string }
  const created = await json(`${e.openaiBaseURL}/batches`, { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }, openai)
  return { fileId: file.id, batchId: ((await created.json()) as { id: string }).id }
}

const anthropicBatch = async (e: EmulatorInstance): Promise<string> => {
  const created = await json(`${e.anthropicBaseURL}/v1/messages/batches`, { requests: [{ custom_id: "q1", params: message }] }, anthropic)
  return ((await created.json()) as { id: string }).id
}

const geminiBatch = async (e: EmulatorInstance): Promise<string> => {
  const body = { batch: { inputConfig: { requests: { requests: [{ request: generate, metadata: { key: "q1" } }] } } } }
  const created = await json(`${e.googleBaseURL}/v1beta/models/gemini-2.5-flash:batchGenerateContent`, body, gemini)
  return ((await created.json()) as { name: string }).name
}

/** The ids of a first answer on each provider: OpenAI's request id, Anthropic's message id, Gemini's response id. */
const firstIds = async (e: EmulatorInstance) => {
  const chatAnswer = await json(`${e.openaiBaseURL}/chat/completions`, chat, openai)
  const messageAnswer = (await (await json(`${e.anthropicBaseURL}/v1/messages`, message, anthropic)).json()) as { id: string }
  const geminiAnswer = (await (await json(`${e.googleBaseURL}/v1beta/models/gemini-2.5-flash:generateContent`, generate, gemini)).json()) as { responseId: string }
  return { openai: chatAnswer.headers.get("x-request-id"), anthropic: messageAnswer.id, gemini: geminiAnswer.responseId }
}

describe("emulator: each instance keeps its own state", () => {
  it("a file or batch made on one emulator is a 404 on another, and neither's controls list the other's", async () => {
    const a = await start()
    const b = await start()
    const { batchId, fileId } = await openAiBatch(a)
    const messageBatchId = await anthropicBatch(a)
    const geminiBatchName = await geminiBatch(a)

    expect((await fetch(`${a.openaiBaseURL}/batches/${batchId}`, { headers: openai })).status).toBe(200)
    expect((await fetch(`${b.openaiBaseURL}/batches/${batchId}`, { headers: openai })).status).toBe(404)
    expect((await fetch(`${b.openaiBaseURL}/files/${fileId}`, { headers: openai })).status).toBe(404)
    expect((await fetch(`${a.anthropicBaseURL}/v1/messages/batches/${messageBatchId}`, { headers: anthropic })).status).toBe(200)
    expect((await fetch(`${b.anthropicBaseURL}/v1/messages/batches/${messageBatchId}`, { headers: anthropic })).status).toBe(404)
    expect((await fetch(`${a.googleBaseURL}/v1beta/${geminiBatchName}`, { headers: gemini })).status).toBe(200)
    expect((await fetch(`${b.googleBaseURL}/v1beta/${geminiBatchName}`, { headers: gemini })).status).toBe(404)

    expect(a.openaiBatches.batches().map((x) => x.id)).toEqual([batchId])
    expect(a.anthropicBatches.batches().map((x) => x.id)).toEqual([messageBatchId])
    expect(a.googleBatches.batches().map((x) => `batches/${x.id}`)).toEqual([geminiBatchName])
    expect(b.openaiBatches.batches()).toEqual([])
    expect(b.anthropicBatches.batches()).toEqual([])
    expect(b.googleBatches.batches()).toEqual([])
  })

  it("ids and counters start afresh on each emulator", async () => {
    const a = await start()
    const onA = await firstIds(a)
    const batchesOnA = [await openAiBatch(a), await anthropicBatch(a), await geminiBatch(a)]
    await firstIds(a)

    const b = await start()
    expect(await firstIds(b)).toEqual(onA)
    expect(onA).toEqual({ openai: "req_emu_1", anthropic: "msg_emu_000001", gemini: "resp_emu_000001" })
    expect([await openAiBatch(b), await anthropicBatch(b), await geminiBatch(b)]).toEqual(batchesOnA)
  })

  it("an emulator on the port a closed one had starts empty; the closed one's controls still see its own", async () => {
    const a = await start()
    const port = Number(new URL(a.url).port)
    await openAiBatch(a)
    await anthropicBatch(a)
    await geminiBatch(a)
    await a.close()

    const b = await start(port)
    expect(b.url).toBe(a.url)
    expect(b.openaiBatches.batches()).toEqual([])
    expect(b.anthropicBatches.batches()).toEqual([])
    expect(b.googleBatches.batches()).toEqual([])
    expect(a.openaiBatches.batches()).toHaveLength(1)
    expect(a.anthropicBatches.batches()).toHaveLength(1)
    expect(a.googleBatches.batches()).toHaveLength(1)
  })

  it("closing one emulator leaves the other answering, its batches and lifecycle as they were", async () => {
    const a = await start()
    const b = await start()
    b.openaiBatches.lifecycle = { statusCalls: 1 }
    const { batchId } = await openAiBatch(b)
    a.openaiBatches.lifecycle = { statusCalls: 5 }
    await a.close()

    expect((await json(`${b.openaiBaseURL}/chat/completions`, chat, openai)).status).toBe(200)
    const retrieved = (await (await fetch(`${b.openaiBaseURL}/batches/${batchId}`, { headers: openai })).json()) as { status: string }
    expect(retrieved.status).toBe("completed")
    expect(b.openaiBatches.lifecycle).toEqual({ statusCalls: 1 })
  })
})
