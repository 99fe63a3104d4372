/**
 * A large eval under the provider's batch queue limits: OpenAI caps the tokens a model may have
 * enqueued in batches at once (per organisation and model), and fails a batch over the cap with
 * `token_limit_exceeded`. `Batch.run` splits the requests into parts, keeps at most
 * `maxEnqueuedTokens` (estimated) and `maxConcurrentBatches` live, and submits the rest as
 * earlier parts finish. A part the provider still refuses (other work filled the queue) is
 * submitted again once another part finishes: it ran nothing, so nothing is paid twice.
 */
import { Effect } from "effect"
import { Batch, Message, OpenAi } from "../src/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

const questions = Array.from({ length: 12 }, (_, i) => `What is ${i + 1} + ${i + 1}?`)
const requests = questions.map((q, i) => ({
  customId: `sum-${i + 1}`,
  messages: [Message.ModelRequest.userTextPrompt(q)],
  settings: { maxTokens: 50 } // counted in the estimate: output is enqueued too
}))

const program = Effect.gen(function* () {
  const results = yield* Batch.run(requests, {
    maxRequestsPerBatch: 4, // three parts
    maxConcurrentBatches: 2, // at most two of them live at once
    // the default estimate: encoded bytes / 4 + maxTokens per request (Batch.estimateTokens);
    // set this to your model's enqueued-token limit, less what other jobs enqueue
    maxEnqueuedTokens: 2_000_000,
    pollInterval: usingRealProviders() ? "60 seconds" : "20 millis",
    timeout: "24 hours"
  })
  for (const r of results) yield* Effect.log(`${r.customId}: ${r.isSuccessful ? r.response.text : `ERROR ${r.error.code}`}`)
  check(results.length === 12 && results.every((r) => r.isSuccessful), "every request answered")
  check(results.map((r) => r.customId).join() === requests.map((r) => r.customId).join(), "results in submission order")
  check(results.every((r) => r.attempts === 1), "a part refused for a full queue is not a result failure")
})

/** The emulator keeps each part live for two status checks, so parts queue behind each other. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 2 }

export const main = async (): Promise<void> => {
  await Effect.runPromise(program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini"))))
}

runExample(import.meta.url, main, emulatorSettings)
