/** What the batch scenarios share: the contenders, sizes, request ids and the child's input. */
import { ANTHROPIC_MODEL, OPENAI_MODEL, PROMPT } from "../lib/payload.js"

export type Provider = "openai" | "anthropic"
/** raw = the provider SDK by hand (the baseline); ours = Batch.results / Batch.create; vercel = ai's experimental batch functions. */
export type Contender = "raw" | "ours" | "vercel"

export const modelOf = (provider: Provider): string => (provider === "openai" ? OPENAI_MODEL : ANTHROPIC_MODEL)
export const customId = (i: number): string => `req-${i}`
export { PROMPT }

/** What a child process is asked to do. */
export interface ChildInput {
  readonly provider: Provider
  readonly contender: Contender
  /** The SDK base URL of the provider (OpenAI: …/v1; Anthropic: the emulator's root). */
  readonly baseURL: string
  readonly size: number
  /** The batch to read (reading only). */
  readonly batchId?: string
}

/** What it reports besides time and memory: results seen and how many were successes. */
export interface ChildOutput {
  readonly results: number
  readonly succeeded: number
}

export const contenderLabel = (provider: Provider, contender: Contender, job: "read" | "submit"): string => {
  if (provider === "openai") {
    if (contender === "raw") return job === "read" ? "raw openai SDK: files.content, whole text, split, JSON.parse, decodeChatCompletion" : "raw openai SDK: JSONL string, files.create, batches.create"
    if (contender === "ours") return job === "read" ? "Batch.results (Stream, counted)" : "Batch.create"
    return job === "read" ? "Vercel experimental_getBatchResults" : "Vercel experimental_startBatch (/v1/responses lines)"
  }
  if (contender === "raw") return job === "read" ? "raw Anthropic SDK: results_url whole text, split, JSON.parse, decodeMessage" : "raw Anthropic SDK: messages.batches.create"
  if (contender === "ours") return job === "read" ? "Batch.results (Stream, counted)" : "Batch.create"
  return job === "read" ? "Vercel experimental_getBatchResults (for await)" : "Vercel experimental_startBatch"
}
