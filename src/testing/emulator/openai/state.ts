/**
 * What one emulator keeps of its OpenAI files and batches: the stored files, the batches and
 * their progress, the default lifecycle, the queue limits, webhooks and timers. Made by each
 * emulator for itself, so two emulators never see each other's files, batches or ids.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Headers } from "../headers.js"
import type { InputLine } from "./batchInput.js"
import type { OpenAiBatchLifecycle } from "./lifecycle.js"
import { makeWebhooks, type Webhooks } from "./webhooks.js"

type Json = Record<string, unknown>

/**
 * A stored file: an upload, or a result file written a group of lines at a time.
 *
 * @since 0.2.0
 * @category models
 */
export interface StoredFile {
  readonly id: string
  readonly filename: string
  readonly purpose: string
  readonly createdAt: number
  readonly bytes: number
  /** the upload, as received */
  readonly raw?: Buffer | undefined
  /** result files: lines grouped for writing, each group ending in a newline */
  readonly chunks?: ReadonlyArray<string> | undefined
  readonly chunkDelayMs?: number | undefined
}

/**
 * One batch and how far it has come.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchState {
  readonly id: string
  readonly seq: number
  readonly createdAt: number
  readonly inputFileId: string
  readonly endpoint: string
  readonly metadata: Record<string, string>
  readonly lifecycle: OpenAiBatchLifecycle
  readonly model: string | undefined
  readonly customIds: ReadonlyArray<string>
  /** the parsed input, dropped once the result files exist */
  lines: ReadonlyArray<InputLine> | undefined
  /** per request: the status of its answer (200, or the error line's status) */
  readonly statuses: ReadonlyArray<number>
  readonly headers: Headers
  readonly validationErrors: ReadonlyArray<Json>
  /** enqueued tokens (enqueuedTokensOf) */
  readonly tokens: number
  status: string
  polls: number
  cancels: number
  /** requests finished when the cancel came */
  cancelledAfter: number | undefined
  processed: number
  times: Record<string, number>
  outputFileId: string | undefined
  errorFileId: string | undefined
  errors: ReadonlyArray<Json> | undefined
}

/**
 * One emulator's OpenAI files and batches.
 *
 * @since 0.2.0
 * @category models
 */
export interface OpenAiState {
  readonly context: RouteContext
  readonly files: Map<string, StoredFile>
  readonly batches: Map<string, BatchState>
  /** The lifecycle of batches created from now on. */
  lifecycle: OpenAiBatchLifecycle | undefined
  /** Enqueued-token limits by model. */
  tokenLimits: Readonly<Record<string, number>> | undefined
  /** The most tokens each model had enqueued at once. */
  readonly peaks: Map<string, number>
  readonly webhooks: Webhooks
  /** Timers of batches that end on their own (`finishAfterMs`). */
  readonly timers: Set<ReturnType<typeof setTimeout>>
}

/**
 * An empty store for one emulator.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeOpenAiState = (context: RouteContext): OpenAiState => ({
  context,
  files: new Map(),
  batches: new Map(),
  lifecycle: undefined,
  tokenLimits: undefined,
  peaks: new Map(),
  webhooks: makeWebhooks(),
  timers: new Set()
})

/**
 * Forgets every file, batch, webhook, timer and the default lifecycle.
 *
 * @since 0.2.0
 * @category utils
 */
export const resetOpenAiState = (state: OpenAiState): void => {
  state.files.clear()
  state.batches.clear()
  state.lifecycle = undefined
  state.tokenLimits = undefined
  state.peaks.clear()
  state.webhooks.target = undefined
  for (const timer of state.timers) clearTimeout(timer)
  state.timers.clear()
  state.webhooks.deliveries.length = 0
}

/**
 * The next file or batch id of this emulator (`file-000001emu`, `batch_000002emu`, ...).
 *
 * @since 0.2.0
 * @category utils
 */
export const nextId = (state: OpenAiState, prefix: string): string =>
  `${prefix}${state.context.next("openai.files-and-batches").toString(36).padStart(6, "0")}emu`

/**
 * Now, in seconds (the API's timestamps).
 *
 * @since 0.2.0
 * @category utils
 */
export const now = (): number => Math.floor(Date.now() / 1000)

/**
 * The statuses a batch never leaves.
 *
 * @since 0.2.0
 * @category constants
 */
export const finalStatuses: ReadonlySet<string> = new Set(["completed", "failed", "expired", "cancelled"])

const live = new Set(["validating", "in_progress", "finalizing"])

/**
 * A model's enqueued tokens now: its batches in validating / in_progress / finalizing.
 *
 * @since 0.2.0
 * @category utils
 */
export const enqueuedTokens = (state: OpenAiState, model: string): number => {
  let sum = 0
  for (const b of state.batches.values()) if (b.model === model && live.has(b.status) && b.validationErrors.length === 0) sum += b.tokens
  return sum
}
