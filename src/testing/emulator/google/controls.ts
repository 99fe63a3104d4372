/**
 * What a test controls of one emulator's Gemini batches: the lifecycle of new batches, and the
 * batches and files so far.
 *
 * @since 0.2.0
 */
import type { Json } from "../json.js"
import { withLifecycle } from "../lifecycle.js"
import type { GoogleBatchLifecycle } from "./lifecycle.js"
import type { GoogleState } from "./state.js"

/**
 * What the emulator knows of one Gemini batch, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmulatedGoogleBatch {
  readonly id: string
  readonly model: string
  /** `BATCH_STATE_PENDING`, `_RUNNING`, `_SUCCEEDED`, `_FAILED`, `_CANCELLED` or `_EXPIRED`. */
  readonly state: string
  /** "inline" or "file". */
  readonly source: "inline" | "file"
  readonly keys: ReadonlyArray<string>
  /** Each request as received. */
  readonly requests: ReadonlyArray<Json>
  readonly statusCalls: number
  readonly cancelCalls: number
}

/**
 * Controls of one emulator's Gemini batches (`emulator.googleBatches`).
 *
 * @since 0.1.0
 * @category models
 */
export interface GoogleBatchEmulator {
  /** The lifecycle of batches created from now on (the `x-emulator-batch` header wins). */
  lifecycle: GoogleBatchLifecycle | undefined
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedGoogleBatch>
  /** Names of the uploaded files, oldest first. */
  readonly files: () => ReadonlyArray<string>
  /** Forgets every batch, file and the default lifecycle. */
  readonly reset: () => void
}

/**
 * The controls over one emulator's Gemini state.
 *
 * @since 0.2.0
 * @category constructors
 */
export const googleBatchControls = (state: GoogleState): GoogleBatchEmulator =>
  withLifecycle(state, {
    batches: () =>
      [...state.batches.values()].map((b) => ({
        id: b.id,
        model: b.model,
        state: b.state,
        source: b.source,
        keys: [...b.keys],
        requests: [...b.requests],
        statusCalls: b.statusCalls,
        cancelCalls: b.cancelCalls
      })),
    files: () => [...state.files.keys()],
    reset: () => {
      state.batches.clear()
      state.files.clear()
      state.uploads.clear()
      state.lifecycle = undefined
    }
  })
