/**
 * What a test controls of one emulator's OpenAI files and batches: the lifecycle of new
 * batches, queue limits, webhooks, what was created so far, and each route's default behaviour
 * to wrap in a script.
 *
 * @since 0.2.0
 */
import { withLifecycle } from "../lifecycle.js"
import type { Handler } from "../route.js"
import type { OpenAiBatchLifecycle } from "./lifecycle.js"
import { enqueuedTokens, type OpenAiState, resetOpenAiState } from "./state.js"
import { type OpenAiWebhookTarget, settled, type WebhookDelivery } from "./webhooks.js"

/**
 * What the emulator knows of one batch, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmulatedBatch {
  readonly id: string
  readonly status: string
  readonly customIds: ReadonlyArray<string>
  /** Status calls answered so far. */
  readonly statusCalls: number
  /** Cancel calls answered so far. */
  readonly cancelCalls: number
  readonly inputFileId: string
  readonly outputFileId: string | undefined
  readonly errorFileId: string | undefined
  readonly metadata: Readonly<Record<string, string>>
  /** Its enqueued tokens as `enqueuedTokensOf` counts them. */
  readonly tokens: number
}

/**
 * The route keys of the Files and Batch APIs, as `emulator.script` takes them.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchRouteKeys = {
  uploadFile: "POST /v1/files",
  retrieveFile: "GET /v1/files/:id",
  fileContent: "GET /v1/files/:id/content",
  deleteFile: "DELETE /v1/files/:id",
  createBatch: "POST /v1/batches",
  retrieveBatch: "GET /v1/batches/:id",
  cancelBatch: "POST /v1/batches/:id/cancel",
  listBatches: "GET /v1/batches",
  setLifecycle: "POST /v1/emulator/batch-lifecycle"
} as const

/**
 * A route key of the Files and Batch APIs.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchRouteKey = (typeof batchRouteKeys)[keyof typeof batchRouteKeys]

/**
 * Controls of one emulator's OpenAI files and batches (`emulator.openaiBatches`).
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAiBatchEmulator {
  /** The lifecycle of batches created from now on (a batch's `emulator_lifecycle` metadata wins). */
  lifecycle: OpenAiBatchLifecycle | undefined
  /**
   * Enqueued-token limits by model (as OpenAI's per-model batch queue limits): a batch created
   * while the model's batches in validating / in_progress / finalizing hold so many tokens that
   * it would pass the limit fails at its first status call (at create with `statusCalls: 0`)
   * the way OpenAI fails it: status `failed`, `errors.data[0].code` "token_limit_exceeded",
   * nothing processed. Tokens are counted by `enqueuedTokensOf`.
   */
  enqueuedTokenLimits: Readonly<Record<string, number>> | undefined
  /** The model's enqueued tokens now (its batches in validating / in_progress / finalizing). */
  readonly enqueuedTokens: (model: string) => number
  /** The most tokens the model had enqueued at once so far. */
  readonly peakEnqueuedTokens: (model: string) => number
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedBatch>
  /** The text of a stored file (an upload or a result file). */
  readonly fileText: (fileId: string) => string | undefined
  /** A route's default behaviour, to wrap in a script. */
  readonly handler: (key: BatchRouteKey) => Handler
  /** Forgets every file, batch, webhook and the default lifecycle (emulator.reset() does not). */
  readonly reset: () => void
  /** Where batch events are posted (none by default). */
  webhook: OpenAiWebhookTarget | undefined
  /** Every webhook sent or dropped so far, oldest first. */
  readonly webhooks: () => ReadonlyArray<WebhookDelivery>
  /** Resolves once every webhook POST under way has been answered. */
  readonly webhooksSettled: () => Promise<void>
}

/**
 * The controls over one emulator's OpenAI state; `handlers` are its routes' default behaviours.
 *
 * @since 0.2.0
 * @category constructors
 */
export const openAiBatchControls = (state: OpenAiState, handlers: Readonly<Record<BatchRouteKey, Handler>>): OpenAiBatchEmulator =>
  withLifecycle<OpenAiBatchLifecycle, Omit<OpenAiBatchEmulator, "lifecycle">>(state, {
    get enqueuedTokenLimits() {
      return state.tokenLimits
    },
    set enqueuedTokenLimits(value) {
      state.tokenLimits = value
    },
    enqueuedTokens: (model) => enqueuedTokens(state, model),
    peakEnqueuedTokens: (model) => state.peaks.get(model) ?? 0,
    batches: () =>
      [...state.batches.values()].map((b) => ({
        id: b.id,
        status: b.status,
        customIds: b.customIds,
        statusCalls: b.polls,
        cancelCalls: b.cancels,
        inputFileId: b.inputFileId,
        outputFileId: b.outputFileId,
        errorFileId: b.errorFileId,
        metadata: b.metadata,
        tokens: b.tokens
      })),
    fileText: (fileId) => {
      const f = state.files.get(fileId)
      return f === undefined ? undefined : f.chunks !== undefined ? f.chunks.join("") : f.raw?.toString("utf8")
    },
    handler: (key) => handlers[key],
    reset: () => resetOpenAiState(state),
    get webhook() {
      return state.webhooks.target
    },
    set webhook(value) {
      state.webhooks.target = value
    },
    webhooks: () => [...state.webhooks.deliveries],
    webhooksSettled: () => settled(state.webhooks)
  })
