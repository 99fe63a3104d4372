/**
 * What the batched-model scenarios share: the contenders, the emulator lifecycle both use, and
 * the children's inputs and outputs.
 */
import { API_KEY, OPENAI_MODEL, PROMPT } from "../lib/payload.js"

/**
 * run = `Batch.run` of the requests (the baseline); batched = as many concurrent
 * `LanguageModel.request` calls under `BatchedLanguageModel.layer`; floor = a reference, no
 * goal: as many concurrent fibers each awaiting a Deferred, answered from one `Batch.run` of
 * their requests, started once all have joined (the least batching over Effect fibers costs).
 */
export type Contender = "run" | "batched" | "floor"

export const MODEL = OPENAI_MODEL
export { API_KEY, PROMPT }
export const customId = (i: number): string => `req-${i}`

/**
 * Every batch is final at its first status check, which `Batch.run` makes right after the create:
 * no poll wait, the same for both contenders (set on the emulator before each measurement, since
 * settling forgets it).
 */
export const LIFECYCLE = { statusCalls: 1 } as const

/** One measurement of `batched-vs-run`. */
export interface ChildInput {
  readonly contender: Contender
  /** The OpenAI SDK base URL (…/v1). */
  readonly baseURL: string
  readonly size: number
  readonly maxWait: string
  readonly pollInterval: string
}

export interface ChildOutput {
  readonly results: number
  readonly succeeded: number
  /** Windows the layer submitted (its Progress `batches`); 0 for Batch.run. */
  readonly layerBatches: number
}

/** The rounds of `batched-overhead`, all in one child process. */
export interface OverheadInput {
  readonly baseURL: string
  readonly callers: number
  readonly warmupRounds: number
  readonly rounds: number
  readonly maxWait: string
  readonly pollInterval: string
}

/** The contenders of `batched-overhead`: the baseline, the layer two ways, and the reference (see `Contender`). */
export type OverheadContender = "run" | "batched-maxWait" | "batched-maxRequests" | "floor"

export interface OverheadOutput {
  /** Per contender, per measured round: the time of `callers` requests, ms. */
  readonly wallMs: Readonly<Record<OverheadContender, ReadonlyArray<number>>>
  /** Per contender, per measured round: this process's CPU time (user + system), ms. */
  readonly cpuMs: Readonly<Record<OverheadContender, ReadonlyArray<number>>>
  /** Results read back per contender in the last round (each must be `callers`). */
  readonly results: Readonly<Record<OverheadContender, number>>
}

export const labels: Readonly<Record<Contender | OverheadContender, string>> = {
  run: "Batch.run(requests, { pollInterval })",
  batched: "concurrent LanguageModel.request under BatchedLanguageModel.layer",
  floor: "reference: concurrent fibers awaiting Deferreds answered by one Batch.run (no layer)",
  "batched-maxWait": "BatchedLanguageModel.layer, maxWait 1 ms",
  "batched-maxRequests": "BatchedLanguageModel.layer, maxRequests = callers (no window wait)"
}
