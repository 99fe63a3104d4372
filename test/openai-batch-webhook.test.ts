/**
 * Webhook completion of OpenAI batch runs, end to end on loopback: the emulator posts
 * Standard-Webhooks-signed events to a real @effect/platform-node HttpServer running
 * `OpenAi.webhookHandler()`, which verifies them with the SDK and publishes them to the
 * `OpenAiWebhooks` PubSub that `Batch.run`'s `completion` listens on. Real short times: the
 * emulator ends batches on a timer (`finishAfterMs`) and the HTTP is real.
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Logger, PubSub, Queue, Redacted } from "effect"
import * as Batch from "../src/Batch.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { signOpenAiWebhook } from "../src/testing/Emulator.js"
import { outcomes, reqs } from "./batch-helpers.js"
import { TEST_KEY } from "./helpers/openai.js"
import { useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()

const SECRET = `whsec_${Buffer.from("emulator-webhook-secret-0123456789").toString("base64")}`
const OTHER_SECRET = `whsec_${Buffer.from("somebody-else-entirely-9876543210").toString("base64")}`

/** A real HttpServer on loopback with the handler at /webhooks/openai, sharing OpenAiWebhooks with the test. */
const serverLayer = HttpRouter.empty.pipe(
  HttpRouter.post("/webhooks/openai", OpenAi.webhookHandler()),
  HttpServer.serve(),
  Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(OpenAi.webhooksLayer({ secret: Redacted.make(SECRET) }))
)

/** Every log line the server writes, for the never-logs-the-secret check. */
const logged: Array<string> = []
const capturing = Logger.replace(Logger.defaultLogger, Logger.make(({ message, annotations }) => {
  logged.push(`${JSON.stringify(message)} ${JSON.stringify([...annotations])}`)
}))

const model = () => OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(OpenAi.layer({ apiKey: TEST_KEY, baseURL: emulator().openaiBaseURL })))

const webhookUrl = Effect.map(HttpServer.HttpServer, (server) => {
  const address = server.address
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  return `http://127.0.0.1:${address.port}/webhooks/openai`
})

const post = (url: string, body: string, headers: Record<string, string>) =>
  Effect.promise(async () => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
    return { status: response.status, text: await response.text() }
  })

/** The status calls the emulator received (GET /v1/batches/:id), final ones included. */
const statusCalls = () => emulator().requests.filter((r) => r.method === "GET" && /^\/v1\/batches\/[^/]+$/.test(r.path)).length

const until = (condition: () => boolean) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 5_000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("condition not met within 5 s")
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

describe("Batch.run with webhook completion (OpenAI)", () => {
  it.live("a webhook completes the run at once: one status call after create, one after the event, no further polls", () =>
    Effect.gen(function* () {
      batches().lifecycle = { finishAfterMs: 800 } // well after the first status check, even on a loaded machine
      batches().webhook = { url: yield* webhookUrl, secret: SECRET }
      const completion = yield* OpenAi.webhookCompletion() // fallback: every hour
      const started = Date.now()
      const results = yield* Batch.run(reqs("a", "b", "c"), { completion }).pipe(Effect.provide(model()))
      const elapsed = Date.now() - started
      expect(outcomes(results)).toEqual(["a:ok", "b:ok", "c:ok"])
      const [batch] = batches().batches()
      // the status check right after create saw it in progress; the event woke the second
      expect(statusCalls()).toBe(2)
      expect(batches().webhooks()).toEqual([{ eventId: `evt_emu_${batch!.id.slice(6)}_completed`, type: "batch.completed", batchId: batch!.id, outcome: 200 }])
      // well before the hourly fallback
      expect(elapsed).toBeLessThan(10_000)
    }).pipe(Effect.provide(serverLayer)))

  it.live("a lost webhook is covered by the fallback poll", () =>
    Effect.gen(function* () {
      batches().lifecycle = { finishAfterMs: 100 }
      batches().webhook = { url: yield* webhookUrl, secret: SECRET, drop: true }
      const completion = yield* OpenAi.webhookCompletion({ fallback: "400 millis" })
      const results = yield* Batch.run(reqs("a", "b"), { completion }).pipe(Effect.provide(model()))
      expect(outcomes(results)).toEqual(["a:ok", "b:ok"])
      const [batch] = batches().batches()
      expect(batches().webhooks().map((d) => d.outcome)).toEqual(["dropped"])
      // after create, then the fallback poll(s) until final
      expect(statusCalls()).toBeGreaterThanOrEqual(2)
      expect(batch?.status).toBe("completed")
    }).pipe(Effect.provide(serverLayer)))

  it.live("events for other batches and other types do not wake the run", () =>
    Effect.gen(function* () {
      batches().lifecycle = { finishAfterMs: 60_000 }
      const hooks = yield* OpenAi.OpenAiWebhooks
      const completion = yield* OpenAi.webhookCompletion()
      const fiber = yield* Batch.run(reqs("a"), { completion }).pipe(Effect.provide(model()), Effect.fork)
      yield* until(() => statusCalls() >= 1)
      const id = batches().batches()[0]!.id
      yield* hooks.publish({ id: "evt_1", object: "event", created_at: 0, type: "batch.completed", data: { id: "batch_other" } })
      yield* hooks.publish({ id: "evt_2", object: "event", created_at: 0, type: "response.completed", data: { id } })
      yield* Effect.sleep("200 millis")
      expect(statusCalls()).toBe(1)
      // an event for this batch, even a premature one, wakes exactly one status call
      yield* hooks.publish({ id: "evt_3", object: "event", created_at: 0, type: "batch.completed", data: { id } })
      yield* until(() => statusCalls() === 2)
      yield* Effect.sleep("100 millis")
      expect(statusCalls()).toBe(2)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(serverLayer)))

  it.live("interruption still cancels the live batch", () =>
    Effect.gen(function* () {
      batches().lifecycle = { finishAfterMs: 60_000 }
      batches().webhook = { url: yield* webhookUrl, secret: SECRET }
      const completion = yield* OpenAi.webhookCompletion()
      const fiber = yield* Batch.run(reqs("a", "b"), { completion }).pipe(Effect.provide(model()), Effect.fork)
      yield* until(() => statusCalls() >= 1)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      const [batch] = batches().batches()
      expect(batch?.cancelCalls).toBe(1)
      expect(batch?.status).toBe("cancelling")
    }).pipe(Effect.provide(serverLayer)))
})

describe("OpenAi.webhookHandler", () => {
  const event = (batchId: string) => JSON.stringify({ id: "evt_x", object: "event", created_at: Math.floor(Date.now() / 1000), type: "batch.completed", data: { id: batchId } })

  it.live("answers 200 to a signed delivery and publishes it; 400 to a forged, stale or unsigned one, never echoing the secret", () =>
    Effect.gen(function* () {
      const url = yield* webhookUrl
      const hooks = yield* OpenAi.OpenAiWebhooks
      const seen = yield* PubSub.subscribe(hooks.events)

      const body = event("batch_1")
      const good = yield* post(url, body, signOpenAiWebhook(SECRET, body))
      expect(good.status).toBe(200)
      expect((yield* Queue.take(seen)).data).toEqual({ id: "batch_1" })

      const forged = yield* post(url, body, signOpenAiWebhook(OTHER_SECRET, body))
      expect(forged.status).toBe(400)
      expect(forged.text).toContain("does not match")

      const stale = yield* post(url, body, signOpenAiWebhook(SECRET, body, { timestamp: Math.floor(Date.now() / 1000) - 600 }))
      expect(stale.status).toBe(400)
      expect(stale.text).toContain("too old")

      // a body changed after signing
      const tampered = yield* post(url, event("batch_2"), signOpenAiWebhook(SECRET, body))
      expect(tampered.status).toBe(400)

      const unsigned = yield* post(url, body, {})
      expect(unsigned.status).toBe(400)
      expect(unsigned.text).toContain("webhook-signature")

      for (const answer of [forged, stale, tampered, unsigned]) {
        expect(answer.text).not.toContain(SECRET)
        expect(answer.text).not.toContain(SECRET.slice(6))
      }
      // only the good delivery was published
      expect(yield* Queue.size(seen)).toBe(0)
      // each refusal was logged with its reason, and no log line holds the secret
      expect(logged.filter((line) => line.includes("OpenAI webhook refused"))).toHaveLength(4)
      for (const line of logged) {
        expect(line).not.toContain(SECRET)
        expect(line).not.toContain(SECRET.slice(6))
      }
    }).pipe(Effect.scoped, Effect.provide(serverLayer.pipe(Layer.provide(capturing)))))

  it.effect("layerConfig reads OPENAI_WEBHOOK_SECRET as Config.redacted; a missing one names the variable", () =>
    Effect.gen(function* () {
      const body = event("batch_9")
      const headers = signOpenAiWebhook(SECRET, body)
      const verified = yield* Effect.flatMap(OpenAi.OpenAiWebhooks, (hooks) => hooks.verify(body, headers)).pipe(
        Effect.provide(OpenAi.webhooksLayerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", SECRET]])))
      )
      expect(verified.type).toBe("batch.completed")
      const missing = yield* Effect.flip(Effect.flatMap(OpenAi.OpenAiWebhooks, () => Effect.void).pipe(
        Effect.provide(OpenAi.webhooksLayerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      ))
      expect(String(missing)).toContain("OPENAI_WEBHOOK_SECRET")
    }))
})
