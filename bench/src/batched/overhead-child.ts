/**
 * `batched-overhead`, in one fresh process (runInChild): rounds of `callers` requests, each
 * round running every contender once in an order that rotates from round to round, after
 * warm-up rounds (so V8 has optimized every path):
 *
 * - run: `Batch.run` of the `callers` requests (the baseline: one batch, the same lifecycle);
 * - batched-maxWait: `callers` concurrent `LanguageModel.request` calls under
 *   `BatchedLanguageModel.layer({ maxWait })`: the window closes `maxWait` after its first call;
 * - batched-maxRequests: the same with `maxRequests: callers` (and a long `maxWait`): the window
 *   closes as the last call joins, so no window wait is in the time;
 * - floor (a reference): `callers` concurrent fibers, each awaiting a Deferred of its own,
 *   answered by one `Batch.run` of their requests once all have joined, without the layer: what
 *   the callers' fibers cost in Effect, which any batching of concurrent calls pays.
 *
 * Each contender has its own runtime (its layer's scope open for the whole child), built before
 * the first round.
 */
import { performance } from "node:perf_hooks"
import type { Deferred as DeferredType, Duration } from "effect"
import { childMain } from "../lib/child.js"
import { API_KEY, customId, MODEL, type OverheadContender, type OverheadInput, type OverheadOutput, PROMPT } from "./shared.js"

const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as OverheadInput
type Op = () => Promise<number>
// the durations come as JSON text ("20 millis"); the layer checks them when it is built
const maxWait = input.maxWait as Duration.DurationInput
const pollInterval = input.pollInterval as Duration.DurationInput

const prepare = async (): Promise<Record<OverheadContender, Op>> => {
  const { Deferred, Effect, Exit, FiberId, Layer, ManagedRuntime, Redacted } = await import("effect")
  const { Batch, BatchedLanguageModel, LanguageModel, Message, OpenAi } = await import("effect-llm-direct")
  const model = () => OpenAi.model(MODEL, { client: { apiKey: Redacted.make(API_KEY), baseURL: input.baseURL, timeout: 600 } })
  const direct = ManagedRuntime.make(model())
  const layered = (options: Parameters<typeof BatchedLanguageModel.layer>[0]) =>
    ManagedRuntime.make(BatchedLanguageModel.layer(options).pipe(Layer.provide(model())))
  const byWait = layered({ maxWait, pollInterval })
  const byCount = layered({ maxWait: "1 minute", maxRequests: input.callers, pollInterval })
  await Promise.all([direct.runtime(), byWait.runtime(), byCount.runtime()])
  const calls = (runtime: typeof byWait): Op => async () => {
    const prompts = Array.from({ length: input.callers }, () => PROMPT)
    const responses = await runtime.runPromise(
      Effect.orDie(Effect.forEach(prompts, (prompt) => LanguageModel.request([Message.ModelRequest.userTextPrompt(prompt)]), { concurrency: "unbounded" }))
    )
    return responses.length
  }
  return {
    run: async () => {
      const requests = Array.from({ length: input.callers }, (_, i) => ({ customId: customId(i), messages: [Message.ModelRequest.userTextPrompt(PROMPT)] }))
      const results = await direct.runPromise(Effect.orDie(Batch.run(requests, { pollInterval })))
      return results.filter((r) => r.isSuccessful).length
    },
    "batched-maxWait": calls(byWait),
    "batched-maxRequests": calls(byCount),
    floor: async () => {
      const prompts = Array.from({ length: input.callers }, () => PROMPT)
      const requests = new Array<{ readonly customId: string; readonly messages: ReadonlyArray<InstanceType<typeof Message.ModelRequest>> }>(input.callers)
      const answers = new Array<DeferredType.Deferred<InstanceType<typeof Message.ModelResponse>>>(input.callers)
      const joined = Deferred.unsafeMake<void>(FiberId.none)
      let count = 0
      const call = (prompt: string, i: number) =>
        Effect.suspend(() => {
          const answer = Deferred.unsafeMake<InstanceType<typeof Message.ModelResponse>>(FiberId.none)
          requests[i] = { customId: customId(i), messages: [Message.ModelRequest.userTextPrompt(prompt)] }
          answers[i] = answer
          if (++count === input.callers) Deferred.unsafeDone(joined, Exit.void)
          return Deferred.await(answer)
        })
      const driver = Effect.zipRight(
        Deferred.await(joined),
        Effect.map(Effect.orDie(Batch.run(requests, { pollInterval })), (results) => {
          results.forEach((r, i) => Deferred.unsafeDone(answers[i]!, r.isSuccessful ? Exit.succeed(r.response) : Exit.die(r.error)))
        })
      )
      const responses = await direct.runPromise(Effect.zipRight(Effect.fork(driver), Effect.forEach(prompts, call, { concurrency: "unbounded" })))
      return responses.length
    }
  }
}

const ops = await prepare()
const names: ReadonlyArray<OverheadContender> = ["run", "batched-maxWait", "batched-maxRequests", "floor"]

await childMain<OverheadInput, OverheadOutput>(async () => {
  const wallMs: Record<OverheadContender, Array<number>> = { run: [], "batched-maxWait": [], "batched-maxRequests": [], floor: [] }
  const cpuMs: Record<OverheadContender, Array<number>> = { run: [], "batched-maxWait": [], "batched-maxRequests": [], floor: [] }
  const results: Record<OverheadContender, number> = { run: 0, "batched-maxWait": 0, "batched-maxRequests": 0, floor: 0 }
  for (let round = 0; round < input.warmupRounds + input.rounds; round++) {
    const shift = round % names.length
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const cpu = process.cpuUsage()
      const start = performance.now()
      results[name] = await ops[name]()
      const wall = performance.now() - start
      const used = process.cpuUsage(cpu)
      if (round < input.warmupRounds) continue
      wallMs[name].push(wall)
      cpuMs[name].push((used.user + used.system) / 1000)
    }
  }
  return { wallMs, cpuMs, results }
})
