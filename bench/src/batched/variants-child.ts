/**
 * One measurement of a variant of the `batched-vs-run` reference, in a fresh process
 * (runInChild), to tell which part of the batched model's cost comes from what (see
 * variants.ts). Every variant makes 10,000 concurrent fibers (`Effect.forEach`, unbounded), each
 * building its request and waiting for its answer, which one `Batch.run` of their requests gives
 * once all have joined:
 *
 * - `reference`: each fiber awaits a `Deferred` of its own (batched-vs-run's reference row);
 * - `acquireUseRelease`: the same wait inside `Effect.acquireUseRelease(join, (t) =>
 *   Effect.ensuring(Deferred.await(t), ...), leave)`, the shape of the layer's `viaBatch`;
 * - `async`: the fiber waits in `Effect.async` whose canceler would leave the window, answered
 *   by calling its resume callback (no Deferred);
 * - `encodedSize`: the reference, each request also made a `BatchRequest` and measured with
 *   `BatchModel.encodedSize`, as the layer's `prepare` does before the run encodes it again;
 * - `layer`: batched-vs-run's layer row.
 */
import type { Deferred as DeferredType, Duration, Exit as ExitType } from "effect"
import { childMain } from "../lib/child.js"
import { API_KEY, customId, MODEL, PROMPT } from "./shared.js"

export type Variant = "reference" | "acquireUseRelease" | "async" | "encodedSize" | "layer"
export interface VariantInput {
  readonly variant: Variant
  readonly baseURL: string
  readonly size: number
  readonly pollInterval: string
}

const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as VariantInput
const pollInterval = input.pollInterval as Duration.DurationInput

const prepare = async (): Promise<() => Promise<{ readonly results: number }>> => {
  const { Deferred, Effect, Exit, FiberId, Layer, ManagedRuntime, Redacted } = await import("effect")
  const { Batch, BatchData, BatchedLanguageModel, BatchModel, LanguageModel, Message, OpenAi } = await import("effect-llm-direct")
  type Response = InstanceType<typeof Message.ModelResponse>
  const model = OpenAi.model(MODEL, { client: { apiKey: Redacted.make(API_KEY), baseURL: input.baseURL, timeout: 600 } })
  if (input.variant === "layer") {
    const runtime = ManagedRuntime.make(BatchedLanguageModel.layer({ maxWait: "20 millis", pollInterval }).pipe(Layer.provide(model)))
    await runtime.runtime()
    return async () => {
      const prompts = Array.from({ length: input.size }, () => PROMPT)
      const responses = await runtime.runPromise(
        Effect.orDie(Effect.forEach(prompts, (prompt) => LanguageModel.request([Message.ModelRequest.userTextPrompt(prompt)]), { concurrency: "unbounded" }))
      )
      return { results: responses.length }
    }
  }
  const runtime = ManagedRuntime.make(model)
  const batchModel = await runtime.runPromise(BatchModel.BatchModel)
  return async () => {
    const prompts = Array.from({ length: input.size }, () => PROMPT)
    const requests = new Array<InstanceType<typeof BatchData.BatchRequest> | { readonly customId: string; readonly messages: ReadonlyArray<InstanceType<typeof Message.ModelRequest>> }>(input.size)
    const answers = new Array<(exit: ExitType.Exit<Response>) => void>(input.size)
    const joined = Deferred.unsafeMake<void>(FiberId.none)
    let count = 0
    const wait = (i: number) => {
      if (input.variant === "async") {
        return Effect.async<Response>((resume) => {
          answers[i] = resume
          return Effect.sync(() => { answers[i] = () => undefined })
        })
      }
      const answer: DeferredType.Deferred<Response> = Deferred.unsafeMake<Response>(FiberId.none)
      answers[i] = (exit) => Deferred.unsafeDone(answer, exit)
      return input.variant === "acquireUseRelease"
        ? Effect.acquireUseRelease(Effect.succeed(answer), (a) => Effect.ensuring(Deferred.await(a), Effect.void), () => Effect.void)
        : Deferred.await(answer)
    }
    const call = (prompt: string, i: number) =>
      Effect.suspend(() => {
        const messages = [Message.ModelRequest.userTextPrompt(prompt)]
        if (input.variant === "encodedSize") {
          const request = BatchData.BatchRequest.from({ customId: customId(i), messages })
          batchModel.encodedSize(request)
          requests[i] = request
        } else {
          requests[i] = { customId: customId(i), messages }
        }
        const waiting = wait(i)
        if (++count === input.size) Deferred.unsafeDone(joined, Exit.void)
        return waiting
      })
    const driver = Effect.zipRight(
      Deferred.await(joined),
      Effect.map(Effect.orDie(Batch.run(requests, { pollInterval })), (results) => {
        results.forEach((r, i) => answers[i]!(r.isSuccessful ? Exit.succeed(r.response) : Exit.die(r.error)))
      })
    )
    const responses = await runtime.runPromise(Effect.zipRight(Effect.fork(driver), Effect.forEach(prompts, call, { concurrency: "unbounded" })))
    return { results: responses.length }
  }
}

const measure = await prepare()
await childMain(() => measure())
