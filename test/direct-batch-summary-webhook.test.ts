/**
 * The Promise facade's counterparts: modelRequestBatchWithSummary (usage and cost) and
 * BatchWebhookReceiver (webhook completion from any HTTP framework; here node:http on loopback),
 * against the emulator through the real OpenAI SDK.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Layer, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { BatchWebhookReceiver, modelRequestBatch, modelRequestBatchWithSummary, ModelRequest } from "../src/direct/index.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { type Emulator, signOpenAiWebhook, startEmulator } from "../src/testing/Emulator.js"
import { TEST_KEY } from "./helpers/openai.js"

const SECRET = `whsec_${Buffer.from("facade-webhook-secret-abcdefghijkl").toString("base64")}`

let emulator: Emulator
let model: Layer.Layer<import("../src/BatchModel.js").BatchModel>
beforeAll(async () => {
  emulator = await startEmulator()
  model = OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey: Redacted.make(TEST_KEY), baseURL: emulator.openaiBaseURL })))
})
afterAll(async () => {
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  emulator.openaiBatches.reset()
})

const tuples = [
  ["q-1", [ModelRequest.userTextPrompt("What is 2 + 2?")]],
  ["q-2", [ModelRequest.userTextPrompt("Name a colour.")]]
] as const

const statusCalls = () => emulator.requests.filter((r) => r.method === "GET" && /^\/v1\/batches\/[^/]+$/.test(r.path)).length

describe("modelRequestBatchWithSummary", () => {
  it("resolves with the results, their summed usage and their cost", async () => {
    emulator.openaiBatches.lifecycle = { statusCalls: 0 }
    const summary = await modelRequestBatchWithSummary(model, tuples, { cost: { prices: { "gpt-4o-mini": { inputPerMillion: 1, outputPerMillion: 2 } } } })
    expect(summary.results.map((r) => r.customId)).toEqual(["q-1", "q-2"])
    const each = summary.results.map((r) => (r.isSuccessful ? r.response.usage : undefined))
    const input = each.reduce((n, u) => n + (u?.inputTokens ?? 0), 0)
    const output = each.reduce((n, u) => n + (u?.outputTokens ?? 0), 0)
    expect(input).toBeGreaterThan(0)
    expect(summary.usage.inputTokens).toBe(input)
    expect(summary.usage.outputTokens).toBe(output)
    expect(summary.usage.withoutUsage).toBe(0)
    // (input × 1 + output × 2) / 1e6, half price for a batch
    expect(summary.cost?.totalCost).toBeCloseTo(((input + output * 2) / 1_000_000) * 0.5, 12)
    expect(summary.cost?.byModel[0]?.source).toBe("prices")
  })
})

describe("BatchWebhookReceiver", () => {
  let server: Server
  let receiver: BatchWebhookReceiver
  let url: string
  beforeAll(async () => {
    receiver = new BatchWebhookReceiver({ secret: SECRET })
    server = createServer(async (req, res) => {
      const chunks: Array<Buffer> = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const { status, error } = await receiver.receive(Buffer.concat(chunks).toString("utf8"), req.headers)
      res.writeHead(status).end(error ?? "")
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it("a webhook completes modelRequestBatch without further polls", async () => {
    emulator.openaiBatches.lifecycle = { finishAfterMs: 800 } // after the first status check
    emulator.openaiBatches.webhook = { url, secret: SECRET }
    const results = await modelRequestBatch(model, tuples, { webhook: receiver })
    expect(results.map((r) => r.isSuccessful)).toEqual([true, true])
    expect(statusCalls()).toBe(2)
    expect(emulator.openaiBatches.webhooks().map((d) => [d.type, d.outcome])).toEqual([["batch.completed", 200]])
  })

  it("refuses a forged or stale delivery with 400 and yields verified events to an async iterator", async () => {
    const body = JSON.stringify({ id: "evt_1", object: "event", created_at: 1, type: "batch.completed", data: { id: "batch_x" } })
    expect((await receiver.receive(body, signOpenAiWebhook("not-the-secret", body))).status).toBe(400)
    const stale = await receiver.receive(body, signOpenAiWebhook(SECRET, body, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))
    expect(stale).toEqual({ status: 400, error: "Webhook timestamp is too old" })
    const iterator = receiver[Symbol.asyncIterator]()
    const next = iterator.next()
    // the subscription starts with the first next(): let it begin before publishing
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect((await receiver.receive(body, signOpenAiWebhook(SECRET, body))).status).toBe(200)
    expect((await next).value).toMatchObject({ type: "batch.completed", data: { id: "batch_x" } })
    await iterator.return?.()
  })

  it("needs a secret", () => {
    const saved = process.env.OPENAI_WEBHOOK_SECRET
    delete process.env.OPENAI_WEBHOOK_SECRET
    try {
      expect(() => new BatchWebhookReceiver()).toThrow("OPENAI_WEBHOOK_SECRET")
    } finally {
      if (saved !== undefined) process.env.OPENAI_WEBHOOK_SECRET = saved
    }
  })
})
