/**
 * What one emulator keeps of its Gemini batches, files and cached contents: the batches and how
 * far each has come, the uploaded and result files, uploads under way, the cached contents, and
 * the default lifecycle. Made by
 * each emulator for itself, so two emulators never see each other's batches, files or ids.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Headers } from "../headers.js"
import type { Json } from "../json.js"
import type { GoogleBatchLifecycle } from "./lifecycle.js"

/**
 * One batch and how far it has come.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchState {
  readonly id: string
  readonly model: string
  readonly displayName: string
  readonly source: "inline" | "file"
  readonly keys: Array<string>
  readonly requests: Array<Json>
  readonly lifecycle: GoogleBatchLifecycle
  readonly headers: Headers
  readonly createTime: string
  state: string
  endTime: string | undefined
  statusCalls: number
  cancelCalls: number
  output: Json | undefined
}

/**
 * A stored file: its data arrives with the upload's last call.
 *
 * @since 0.2.0
 * @category models
 */
export interface StoredFile {
  readonly name: string
  readonly mimeType: string
  data: Buffer | undefined
}

/**
 * Cached content (`cachedContents/...`): what it holds, as the create sent it, and its size in tokens.
 *
 * @since 0.2.0
 * @category models
 */
export interface CacheEntry {
  readonly name: string
  readonly model: string
  readonly displayName: string | undefined
  readonly contents: ReadonlyArray<Json>
  readonly systemInstruction: Json | undefined
  readonly tools: ReadonlyArray<Json> | undefined
  readonly toolConfig: Json | undefined
  readonly tokens: number
  readonly createTime: string
  readonly expireTime: string
}

/**
 * One emulator's Gemini batches and files.
 *
 * @since 0.2.0
 * @category models
 */
export interface GoogleState {
  readonly context: RouteContext
  readonly batches: Map<string, BatchState>
  /** Files by name (`files/...`). */
  readonly files: Map<string, StoredFile>
  /** Uploads under way: the file name of each upload id. */
  readonly uploads: Map<string, string>
  /** Cached contents by name (`cachedContents/...`). */
  readonly caches: Map<string, CacheEntry>
  /** The lifecycle of batches created from now on. */
  lifecycle: GoogleBatchLifecycle | undefined
}

/**
 * No batches or files yet, the default lifecycle.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeGoogleState = (context: RouteContext): GoogleState => ({
  context,
  batches: new Map(),
  files: new Map(),
  uploads: new Map(),
  caches: new Map(),
  lifecycle: undefined
})

/**
 * The states a batch never leaves.
 *
 * @since 0.2.0
 * @category constants
 */
export const finalStates: ReadonlyArray<string> = ["BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"]
