/**
 * One measurement of `batched-vs-run`, in a fresh process (runInChild): `size` requests of one
 * prompt, either as one `Batch.run` (the baseline) or as `size` concurrent
 * `LanguageModel.request` calls under `BatchedLanguageModel.layer`, which gathers them in one
 * window and runs it through the same lifecycle. The modules are loaded and the runtime built
 * (the layer's scope open) before the clock starts; the requests are built inside it, as an
 * application builds them. Both read every result back.
 */
import type { Deferred as DeferredType, Duration } from "effect"
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
  if (input.contender === "floor") {
    // the least any batching over Effect fibers can cost: the callers' fibers, each awaiting a
    // Deferred of its own, and one Batch.run of their requests once all have joined
    const { Deferred, Exit, FiberId } = await import("effect")
    const runtime = ManagedRuntime.make(model)
    await runtime.runtime()
    return async () => {
      const prompts = Array.from({ length: input.size }, () => PROMPT)
      const requests = new Array<{ readonly customId: string; readonly messages: ReadonlyArray<InstanceType<typeof Message.ModelRequest>> }>(input.size)
      const answers = new Array<DeferredType.Deferred<InstanceType<typeof Message.ModelResponse>>>(input.size)
      const joined = Deferred.unsafeMake<void>(FiberId.none)
      let count = 0
      const call = (prompt: string, i: number) =>
        Effect.suspend(() => {
          const answer = Deferred.unsafeMake<InstanceType<typeof Message.ModelResponse>>(FiberId.none)
          requests[i] = { customId: customId(i), messages: [Message.ModelRequest.userTextPrompt(prompt)] }
          answers[i] = answer
          if (++count === input.size) Deferred.unsafeDone(joined, Exit.void)
          return Deferred.await(answer)
        })
      const driver = Effect.zipRight(
        Deferred.await(joined),
        Effect.map(Effect.orDie(Batch.run(requests, { pollInterval })), (results) => {
          results.forEach((r, i) => Deferred.unsafeDone(answers[i]!, r.isSuccessful ? Exit.succeed(r.response) : Exit.die(r.error)))
        })
      )
      const responses = await runtime.runPromise(
        Effect.zipRight(Effect.fork(driver), Effect.forEach(prompts, call, { concurrency: "unbounded" }))
      )
      let succeeded = 0
      for (const r of responses) if (r.text !== "") succeeded++
      return { results: responses.length, succeeded, layerBatches: 0 }
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
// BENCH_BATCHED_PROFILE=<folder>: a CPU profile of the measured call only, written to
// <folder>/batched-vs-run-<contender>.cpuprofile (the inspector's profiler, started after
// start-up; it slows what it records, so that run's times are not figures)
const profileTo = process.env.BENCH_BATCHED_PROFILE
const session = profileTo === undefined || profileTo === "" ? undefined : new (await import("node:inspector/promises")).Session()
if (session !== undefined) {
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.start")
}
await childMain<ChildInput, ChildOutput>(async () => {
  const value = await measure()
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop")
    const { mkdirSync, writeFileSync } = await import("node:fs")
    mkdirSync(profileTo!, { recursive: true })
    writeFileSync(`${profileTo}/batched-vs-run-${input.contender}.cpuprofile`, JSON.stringify(profile))
  }
  return value
})
