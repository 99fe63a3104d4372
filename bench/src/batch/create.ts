/**
 * Creates the batches the read scenarios read, once, with the raw SDKs and the emulator's
 * `x-emulator-batch: {"statusCalls":0}` lifecycle (complete at create), so only the reading is
 * measured. Runs in the parent; the emulator writes the result lines at create.
 */
import Anthropic from "@anthropic-ai/sdk"
import OpenAI, { toFile } from "openai"
import type { EmulatorEndpoints } from "../lib/emulator.js"
import { ANTHROPIC_MAX_TOKENS, API_KEY } from "../lib/payload.js"
import { customId, modelOf, PROMPT, type Provider } from "./shared.js"

const lifecycle = { "x-emulator-batch": JSON.stringify({ statusCalls: 0 }) }

export const createCompleteBatch = async (provider: Provider, env: EmulatorEndpoints, size: number): Promise<string> => {
  if (provider === "openai") {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL, maxRetries: 0, timeout: 120_000 })
    const lines: Array<string> = []
    for (let i = 0; i < size; i++) {
      lines.push(JSON.stringify({ custom_id: customId(i), method: "POST", url: "/v1/chat/completions", body: { model: modelOf(provider), messages: [{ role: "user", content: PROMPT }] } }))
    }
    const file = await client.files.create({ file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "batch.jsonl"), purpose: "batch" })
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }, { headers: lifecycle })
    if (batch.status !== "completed" || batch.request_counts?.completed !== size) throw new Error(`OpenAI batch ${batch.id} is ${batch.status} with ${batch.request_counts?.completed} completed, not ${size}`)
    return batch.id
  }
  const client = new Anthropic({ apiKey: API_KEY, baseURL: env.anthropicBaseURL, maxRetries: 0, timeout: 120_000 })
  const requests = Array.from({ length: size }, (_, i) => ({
    custom_id: customId(i),
    params: { model: modelOf(provider), max_tokens: ANTHROPIC_MAX_TOKENS, messages: [{ role: "user" as const, content: PROMPT }] }
  }))
  const batch = await client.messages.batches.create({ requests }, { headers: lifecycle })
  if (batch.processing_status !== "ended" || batch.request_counts.succeeded !== size) throw new Error(`Anthropic batch ${batch.id} is ${batch.processing_status} with ${batch.request_counts.succeeded} succeeded, not ${size}`)
  return batch.id
}
