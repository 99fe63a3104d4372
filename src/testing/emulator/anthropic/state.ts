/**
 * What one emulator keeps of its Anthropic message batches: the batches and how far each has
 * come, and the default lifecycle. Made by each emulator for itself, so two emulators never see
 * each other's batches or ids.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Headers } from "../headers.js"
import type { Json } from "../json.js"
import type { AnthropicBatchLifecycle } from "./lifecycle.js"

/**
 * One message batch and how far it has come.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchState {
  readonly id: string
  readonly seq: number
  readonly createdAt: number
  readonly customIds: ReadonlyArray<string>
  readonly params: ReadonlyArray<Json>
  /** the create's `x-emulator-*` steering headers, applied to every answer */
  readonly steering: Headers
  readonly lifecycle: AnthropicBatchLifecycle
  polls: number
  retrieves: number
  cancels: number
  cancelInitiatedAt: number | undefined
  cancelPolls: number
  /** requests finished when the cancel arrived */
  cancelProcessed: number
  ended: { readonly at: number; readonly processed: number; readonly rest: "expired" | "canceled" } | undefined
  downloads: number
  /** the result lines in writes, built when processing ends (an ended batch never changes) */
  chunks: ReadonlyArray<string> | undefined
}

/**
 * One emulator's Anthropic message batches.
 *
 * @since 0.2.0
 * @category models
 */
export interface AnthropicState {
  readonly context: RouteContext
  readonly batches: Map<string, BatchState>
  /** The lifecycle of batches created from now on. */
  lifecycle: AnthropicBatchLifecycle | undefined
}

/**
 * No batches yet, the default lifecycle.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeAnthropicState = (context: RouteContext): AnthropicState => ({ context, batches: new Map(), lifecycle: undefined })

/**
 * The scripted status of a batch's request; own keys only, so an id like "toString" or
 * "__proto__" is not one.
 *
 * @since 0.2.0
 * @category utils
 */
export const scriptedStatus = (b: BatchState) => (customId: string): number | undefined => {
  const errors = b.lifecycle.errors
  return errors !== undefined && Object.hasOwn(errors, customId) ? errors[customId] : undefined
}

/**
 * The batch's `processing_status`: `in_progress`, `canceling` or `ended`.
 *
 * @since 0.2.0
 * @category utils
 */
export const processingStatus = (b: BatchState): string =>
  b.ended !== undefined ? "ended" : b.cancelInitiatedAt !== undefined ? "canceling" : "in_progress"
