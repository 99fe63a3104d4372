/**
 * One measurement of `batched-vs-run`, in a fresh process (runInChild): `size` requests of one
 * prompt, either as one `Batch.run` (the baseline) or as `size` concurrent
 * `LanguageModel.request` calls under `BatchedLanguageModel.layer`, which gathers them in one
 * window and runs it through the same lifecycle. The modules are loaded and the runtime built
 * (the layer's scope open) before the clock starts; the requests are built inside it, as an
 * application builds them. Both read every result back.
 */
import type { Duration } from "effect"
import { childMain } from "../lib/child.js"
import { API_KEY, type ChildInput, type ChildOutput, customId, MODEL, PROMPT } from "./shared.js"

const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as ChildInput
type Measure = () => Promise<ChildOutput>
// the durations come as JSON text ("20 millis"); the layer checks them when it is built
const maxWait = input.maxWait as Duration.DurationInput
const pollInterval = input.pollInterval as Duration.DurationInput

const prepare = async (): Promise<Measure> => {
  const { Effect, Layer, ManagedRuntime, Redacted } = await import("effect")
  const { Batch, BatchedLanguageModel, LanguageModel, Message, OpenAi } = await import("effect-llm-direct")
  const model = OpenAi.model(MODEL, { client: { apiKey: Redacted.make(API_KEY), baseURL: input.baseURL, timeout: 600 } })
  if (input.contender === "run") {
    const runtime = ManagedRuntime.make(model)
    await runtime.runtime()
    return async () => {
      const requests = Array.from({ length: input.size }, (_, i) => ({ customId: customId(i), messages: [Message.ModelRequest.userTextPrompt(PROMPT)] }))
      const results = await runtime.runPromise(Effect.orDie(Batch.run(requests, { pollInterval })))
      let succeeded = 0
      for (const r of results) if (r.isSuccessful) succeeded++
      return { results: results.length, succeeded, layerBatches: 0 }
    }
  }
  const runtime = ManagedRuntime.make(
    BatchedLanguageModel.layer({ maxWait, pollInterval }).pipe(Layer.provide(model))
  )
  await runtime.runtime()
  return async () => {
    const prompts = Array.from({ length: input.size }, () => PROMPT)
    const responses = await runtime.runPromise(
      Effect.orDie(Effect.forEach(prompts, (prompt) => LanguageModel.request([Message.ModelRequest.userTextPrompt(prompt)]), { concurrency: "unbounded" }))
    )
    let succeeded = 0
    for (const r of responses) if (r.text !== "") succeeded++
    // the windows the layer submitted (a snapshot: a few fields, microseconds)
    const progress = await runtime.runPromise(Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot))
    return { results: responses.length, succeeded, layerBatches: progress.batches }
  }
}

const measure = await prepare()
await childMain<ChildInput, ChildOutput>(() => measure())
