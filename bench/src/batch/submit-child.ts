/**
 * One submission of a batch of `size` requests, in a fresh process (runInChild): from the
 * request list in the contender's own form to the created batch's id, uploads included. The
 * requests are built inside the timed region, as an application builds them. Batches get the
 * emulator's default lifecycle (not complete at create), so the emulator only validates the
 * input and stores it.
 */
import { childMain } from "../lib/child.js"
import { ANTHROPIC_MAX_TOKENS, API_KEY } from "../lib/payload.js"
import { type ChildInput, type ChildOutput, customId, modelOf, PROMPT } from "./shared.js"

const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as ChildInput
const model = modelOf(input.provider)
type Submit = () => Promise<ChildOutput>

const prepare = async (): Promise<Submit> => {
  if (input.contender === "ours") {
    const { Effect, Layer, ManagedRuntime, Redacted } = await import("effect")
    const { Anthropic, Batch, Message, OpenAi } = await import("effect-llm-direct")
    const client = { apiKey: Redacted.make(API_KEY), baseURL: input.baseURL, timeout: 600 }
    const layer = input.provider === "openai"
      ? OpenAi.batchModel(model).pipe(Layer.provide(OpenAi.layer(client)))
      : Anthropic.batchModel(model).pipe(Layer.provide(Anthropic.layer(client)))
    const runtime = ManagedRuntime.make(layer)
    await runtime.runtime()
    return async () => {
      const requests = Array.from({ length: input.size }, (_, i) => ({ customId: customId(i), messages: [Message.ModelRequest.userTextPrompt(PROMPT)] }))
      const batch = await runtime.runPromise(Effect.orDie(Batch.create(requests)))
      return { results: batch.requestCount, succeeded: 0 }
    }
  }
  if (input.contender === "vercel") {
    const { experimental_startBatch } = await import("ai")
    const api = input.provider === "openai"
      ? (await import("@ai-sdk/openai")).createOpenAI({ apiKey: API_KEY, baseURL: input.baseURL }).experimental_batch()
      : (await import("@ai-sdk/anthropic")).createAnthropic({ apiKey: API_KEY, baseURL: `${input.baseURL}/v1` }).experimental_batch()
    return async () => {
      const requests = Array.from({ length: input.size }, (_, i) => ({ id: customId(i), type: "text" as const, model, prompt: PROMPT }))
      const batch = await experimental_startBatch({ provider: api, requests })
      if (batch.id === "") throw new Error("no batch id")
      return { results: input.size, succeeded: 0 }
    }
  }
  if (input.provider === "openai") {
    const { default: OpenAI, toFile } = await import("openai")
    const client = new OpenAI({ apiKey: API_KEY, baseURL: input.baseURL, maxRetries: 0, timeout: 600_000 })
    return async () => {
      const lines: Array<string> = []
      for (let i = 0; i < input.size; i++) {
        lines.push(JSON.stringify({ custom_id: customId(i), method: "POST", url: "/v1/chat/completions", body: { model, messages: [{ role: "user", content: PROMPT }] } }))
      }
      const file = await client.files.create({ file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "batch.jsonl"), purpose: "batch" })
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" })
      // request_counts stay 0 while the batch validates: the input line count is what was submitted
      if (batch.id === "") throw new Error("no batch id")
      return { results: input.size, succeeded: 0 }
    }
  }
  const { default: AnthropicSdk } = await import("@anthropic-ai/sdk")
  const client = new AnthropicSdk({ apiKey: API_KEY, baseURL: input.baseURL, maxRetries: 0, timeout: 600_000 })
  return async () => {
    const requests = Array.from({ length: input.size }, (_, i) => ({
      custom_id: customId(i),
      params: { model, max_tokens: ANTHROPIC_MAX_TOKENS, messages: [{ role: "user" as const, content: PROMPT }] }
    }))
    const batch = await client.messages.batches.create({ requests })
    return { results: batch.request_counts.processing, succeeded: 0 }
  }
}

const submit = await prepare()
await childMain<ChildInput, ChildOutput>(() => submit())
