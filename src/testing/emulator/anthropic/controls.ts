/**
 * What a test controls of one emulator's Anthropic message batches: the lifecycle of new
 * batches, what was created so far, and each route's default behaviour to wrap in a script.
 *
 * @since 0.2.0
 */
import { withLifecycle } from "../lifecycle.js"
import type { Handler } from "../route.js"
import type { AnthropicBatchLifecycle } from "./lifecycle.js"
import { type AnthropicState, processingStatus } from "./state.js"

/**
 * What the emulator knows of one message batch, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmulatedAnthropicBatch {
  readonly id: string
  /** `in_progress`, `canceling` or `ended`. */
  readonly processingStatus: string
  readonly customIds: ReadonlyArray<string>
  /** Each request's `params`, as received. */
  readonly params: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** Status calls answered so far (the SDK's results call makes one too). */
  readonly statusCalls: number
  /** Cancel calls answered so far. */
  readonly cancelCalls: number
  /** Results downloads started so far. */
  readonly downloads: number
}

/**
 * The route keys of the Message Batches API, as `emulator.script` takes them.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchRouteKeys = {
  createBatch: "POST /v1/messages/batches",
  retrieveBatch: "GET /v1/messages/batches/:id",
  cancelBatch: "POST /v1/messages/batches/:id/cancel",
  listBatches: "GET /v1/messages/batches",
  batchResults: "GET /v1/messages/batches/:id/results",
  setLifecycle: "POST /v1/emulator/anthropic-batch-lifecycle"
} as const

/**
 * A route key of the Message Batches API.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchRouteKey = (typeof batchRouteKeys)[keyof typeof batchRouteKeys]

/**
 * Controls of one emulator's Anthropic message batches (`emulator.anthropicBatches`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AnthropicBatchEmulator {
  /** The lifecycle of batches created from now on (the `x-emulator-batch` header wins). */
  lifecycle: AnthropicBatchLifecycle | undefined
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedAnthropicBatch>
  /** A route's default behaviour, to wrap in a script. */
  readonly handler: (key: BatchRouteKey) => Handler
  /** Forgets every batch and the default lifecycle (emulator.reset() does not). */
  readonly reset: () => void
}

/**
 * The controls over one emulator's Anthropic state; `handlers` are its routes' default behaviours.
 *
 * @since 0.2.0
 * @category constructors
 */
export const anthropicBatchControls = (state: AnthropicState, handlers: Readonly<Record<BatchRouteKey, Handler>>): AnthropicBatchEmulator =>
  withLifecycle<AnthropicBatchLifecycle, Omit<AnthropicBatchEmulator, "lifecycle">>(state, {
    batches: () =>
      [...state.batches.values()].map((b) => ({
        id: b.id,
        processingStatus: processingStatus(b),
        customIds: b.customIds,
        params: b.params,
        statusCalls: b.retrieves,
        cancelCalls: b.cancels,
        downloads: b.downloads
      })),
    handler: (key) => handlers[key],
    reset: () => {
      state.batches.clear()
      state.lifecycle = undefined
    }
  })
