/**
 * Webhook completion: instead of polling every minute, a run learns that its batch finished from
 * OpenAI's `batch.completed` webhook. Your own HTTP server (here @effect/platform-node's) mounts
 * `OpenAi.webhookHandler()`, which verifies the signature (secret from OPENAI_WEBHOOK_SECRET) and
 * publishes the event to the `OpenAiWebhooks` PubSub that the run listens on. Polling goes on
 * once an hour as a fallback, so a lost webhook costs latency, not results.
 *
 * With a real key: expose the server publicly (a tunnel, a deployed route), register its URL for
 * the batch events in the OpenAI dashboard, and set OPENAI_WEBHOOK_SECRET to the endpoint's
 * signing secret. Against the emulator, the emulator posts the events itself.
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Redacted } from "effect"
import { Batch, Message, OpenAi } from "../src/index.js"
import { check, emulatorWebhooks, runExample, usingRealProviders } from "./_support.js"

export const main = async (): Promise<void> => {
  const port = Number(process.env.PORT ?? 0)
  const webhooks = usingRealProviders()
    ? OpenAi.webhooksLayerConfig() // OPENAI_WEBHOOK_SECRET, read as Config.redacted
    : OpenAi.webhooksLayer({ secret: Redacted.make(`whsec_${Buffer.from("example-webhook-secret").toString("base64")}`) })

  const server = HttpRouter.empty.pipe(
    HttpRouter.post("/webhooks/openai", OpenAi.webhookHandler()),
    HttpServer.serve(),
    Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port, host: "127.0.0.1" }))
  )

  const program = Effect.gen(function* () {
    const address = (yield* HttpServer.HttpServer).address
    const url = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}/webhooks/openai`
    console.log(`Webhook route listening at ${url}`)
    yield* Effect.promise(() => emulatorWebhooks(url, `whsec_${Buffer.from("example-webhook-secret").toString("base64")}`))

    const completion = yield* OpenAi.webhookCompletion({ fallback: "1 hour" })
    const started = Date.now()
    const results = yield* Batch.run([
      { customId: "q1", messages: [Message.ModelRequest.userTextPrompt("What is 2 + 2?")] },
      { customId: "q2", messages: [Message.ModelRequest.userTextPrompt("What is 3 + 3?")] }
    ], { completion })
    for (const r of results) console.log(`${r.customId}: ${r.isSuccessful ? r.response.text : r.error.message}`)
    console.log(`Finished ${Date.now() - started} ms after submission`)
    check(results.every((r) => r.isSuccessful), "both answered")
    check(Date.now() - started < 30_000, "woken by the webhook, not the hourly poll")
  })

  await Effect.runPromise(program.pipe(
    Effect.provide(OpenAi.model("gpt-4o-mini")),
    Effect.provide(server),
    Effect.provide(webhooks)
  ))
}

runExample(import.meta.url, main)
