/**
 * One reading of a complete batch's results, in a fresh process (runInChild): the contender's
 * modules are loaded and its client / runtime built before `childMain` starts the clock, so the
 * time and the memory peaks are the reading's. Every contender looks the batch up by id (one
 * status call), downloads its results and decodes every line with the library's codec (raw) or
 * its own (ours: Batch.results; Vercel: experimental_getBatchResults), and counts them.
 */
import { childMain, probe } from "../lib/child.js"
import { API_KEY } from "../lib/payload.js"
import { type ChildInput, type ChildOutput, modelOf } from "./shared.js"

const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as ChildInput
const batchId = input.batchId!

const every = 1_000
type Read = () => Promise<ChildOutput>

const prepare = async (): Promise<Read> => {
  if (input.contender === "ours") {
    const { Effect, Layer, ManagedRuntime, Redacted, Stream } = await import("effect")
    const { Anthropic, Batch, OpenAi } = await import("effect-llm-direct")
    const client = { apiKey: Redacted.make(API_KEY), baseURL: input.baseURL }
    const layer = input.provider === "openai"
      ? OpenAi.batchModel(modelOf(input.provider)).pipe(Layer.provide(OpenAi.layer(client)))
      : Anthropic.batchModel(modelOf(input.provider)).pipe(Layer.provide(Anthropic.layer(client)))
    const runtime = ManagedRuntime.make(layer)
    await runtime.runtime()
    return () =>
      runtime.runPromise(
        Batch.results(batchId).pipe(
          Stream.runFold({ results: 0, succeeded: 0 }, (acc, r) => {
            const results = acc.results + 1
            if (results % every === 0) probe()
            return { results, succeeded: acc.succeeded + (r.isSuccessful ? 1 : 0) }
          }),
          Effect.orDie
        )
      )
  }
  if (input.contender === "vercel") {
    const { experimental_getBatchResults } = await import("ai")
    const api = input.provider === "openai"
      ? (await import("@ai-sdk/openai")).createOpenAI({ apiKey: API_KEY, baseURL: input.baseURL }).experimental_batch()
      : (await import("@ai-sdk/anthropic")).createAnthropic({ apiKey: API_KEY, baseURL: `${input.baseURL}/v1` }).experimental_batch()
    return async () => {
      let results = 0
      let succeeded = 0
      for await (const r of experimental_getBatchResults({ provider: api, batch: { version: 2, id: batchId, provider: api.provider }, maxRetries: 0 })) {
        if (++results % every === 0) probe()
        if (r.status === "succeeded") succeeded++
      }
      return { results, succeeded }
    }
  }
  // raw: the whole file as one string, split, JSON.parse, the library's codec per line
  if (input.provider === "openai") {
    const { default: OpenAI } = await import("openai")
    const { OpenAi } = await import("effect-llm-direct")
    const { Either } = await import("effect")
    const client = new OpenAI({ apiKey: API_KEY, baseURL: input.baseURL, maxRetries: 0 })
    const options = { requestedModel: modelOf(input.provider) }
    return async () => {
      const batch = await client.batches.retrieve(batchId)
      let results = 0
      let succeeded = 0
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue
        const text = await (await client.files.content(fileId)).text()
        for (const line of text.split("\n")) {
          if (line === "") continue
          const json = JSON.parse(line) as { response?: { status_code: number; body: unknown } | null }
          if (++results % every === 0) probe()
          if (json.response && json.response.status_code < 400 && Either.isRight(OpenAi.Codec.decodeChatCompletion(json.response.body, options))) succeeded++
        }
      }
      return { results, succeeded }
    }
  }
  const { default: AnthropicSdk } = await import("@anthropic-ai/sdk")
  const { Anthropic } = await import("effect-llm-direct")
  const { Either } = await import("effect")
  const client = new AnthropicSdk({ apiKey: API_KEY, baseURL: input.baseURL, maxRetries: 0 })
  return async () => {
    const batch = await client.messages.batches.retrieve(batchId)
    const response = (await client.get(batch.results_url!, { headers: { Accept: "application/binary" }, __binaryResponse: true } as never)) as unknown as Response
    const text = await response.text()
    let results = 0
    let succeeded = 0
    for (const line of text.split("\n")) {
      if (line === "") continue
      const json = JSON.parse(line) as { result: { type: string; message?: unknown } }
      if (++results % every === 0) probe()
      if (json.result.type === "succeeded" && Either.isRight(Anthropic.Codec.decodeMessage(json.result.message))) succeeded++
    }
    return { results, succeeded }
  }
}

const read = await prepare()
await childMain<ChildInput, ChildOutput>(() => read())
