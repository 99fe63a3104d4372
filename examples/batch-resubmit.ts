/**
 * Resubmitting what failed for a transient reason: with `resubmit`, requests whose results
 * failed with an expired, rate-limit or server-error code (the defaults, `Batch.defaultResubmitCodes`)
 * go into a follow-up batch once the first one ends, up to `times` rounds. The results stay one
 * per request in submission order, each the last attempt's outcome with its `attempts` count.
 */
import { Effect } from "effect"
import { Batch, Message, OpenAi } from "../src/index.js"
import { check, runExample, usingRealProviders } from "./_support.js"

const requests = ["What is 2 + 2?", "What is the square root of 144?", "What is photosynthesis?", "Explain gravity in one sentence."].map(
  (q, i) => ({ customId: `q${i + 1}`, messages: [Message.ModelRequest.userTextPrompt(q)] })
)

const program = Effect.gen(function* () {
  const results = yield* Batch.run(requests, {
    resubmit: { times: 2 }, // or { times: 2, codes: ["expired"] } to choose the codes
    pollInterval: usingRealProviders() ? "60 seconds" : "20 millis",
    // against the emulator, each batch expires after answering two requests, so the other two
    // are resubmitted (a real batch expires when its 24-hour window passes)
    ...(usingRealProviders() ? {} : { metadata: { emulator_lifecycle: JSON.stringify({ statusCalls: 1, outcome: "expired", processed: 2, order: "submission" }) } })
  })
  for (const r of results) {
    yield* Effect.log(`${r.customId} (attempts: ${r.attempts}): ${r.isSuccessful ? r.response.text : `ERROR ${r.error.code}`}`)
  }
  check(results.every((r) => r.isSuccessful), "every request answered in the end")
  check(results.map((r) => r.attempts).join() === "1,1,2,2", "the expired ones took a second batch")
})

export const main = async (): Promise<void> => {
  await Effect.runPromise(program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini"))))
}

runExample(import.meta.url, main)
