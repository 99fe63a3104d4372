/**
 * The Gemini side of the emulator (v1beta, as the `@google/genai` SDK calls it):
 * `generateContent` and `streamGenerateContent` (generate.ts), batch mode (batches.ts) and the
 * files batch mode uploads and downloads (files.ts), and cached contents (caches.ts). Wire shapes are written by hand after the
 * API reference, never through this library's codec.
 *
 * Batches follow a {@link GoogleBatchLifecycle} advancing one step per status call, chosen by the
 * create's `x-emulator-batch` header ({@link googleBatchLifecycleHeader}) or the emulator's
 * default (`emulator.googleBatches.lifecycle`). Inline batches answer inline, in submission
 * order; file batches (`inputConfig.fileName`, a JSONL of `{key, request}` lines) answer with a
 * results file of `{key, response | error}` lines, in a shuffled order.
 *
 * @since 0.1.0
 */
import { batchHandlers } from "./google/batches.js"
import type { GoogleBatchEmulator } from "./google/controls.js"
import { fileHandlers } from "./google/files.js"
import { cacheHandlers } from "./google/caches.js"
import { generateHandlers } from "./google/generate.js"
import type { GoogleState } from "./google/state.js"
import { type Route, routesOf } from "./route.js"

/**
 * The controls of Gemini batches.
 *
 * @since 0.1.0
 * @category testing
 */
export { type EmulatedGoogleBatch, googleBatchControls, type GoogleBatchEmulator } from "./google/controls.js"
/**
 * A `GenerateContentResponse` of an answer.
 *
 * @since 0.1.0
 * @category codecs
 */
export { type Answer, responseJson } from "./google/generate.js"
/**
 * The responder's view of a generateContent request.
 *
 * @since 0.1.0
 * @category utils
 */
export { responderInput } from "./google/generateRequest.js"
/**
 * An error answer in Google's format.
 *
 * @since 0.1.0
 * @category constructors
 */
export { googleError } from "./google/http.js"
/**
 * How a test chooses a Gemini batch's life, and the header that carries it.
 *
 * @since 0.1.0
 * @category testing
 */
export { googleBatchLifecycleHeader, googleBatchLifecycleHeaderName, type GoogleBatchLifecycle } from "./google/lifecycle.js"
/**
 * One emulator's Gemini batches and files.
 *
 * @since 0.2.0
 * @category models
 */
export { type GoogleState, makeGoogleState } from "./google/state.js"

/**
 * Route keys of the Gemini calls, for `emulator.script`.
 *
 * @since 0.1.0
 * @category constants
 */
export const googleRouteKeys = {
  generateContent: "POST /v1beta/models/:model:generateContent",
  streamGenerateContent: "POST /v1beta/models/:model:streamGenerateContent",
  createBatch: "POST /v1beta/models/:model:batchGenerateContent",
  getBatch: "GET /v1beta/batches/:id",
  cancelBatch: "POST /v1beta/batches/:id:cancel",
  listBatches: "GET /v1beta/batches",
  uploadFile: "POST /upload/v1beta/files",
  downloadFile: "GET /v1beta/files/:id:download",
  createCache: "POST /v1beta/cachedContents",
  getCache: "GET /v1beta/cachedContents/:id",
  deleteCache: "DELETE /v1beta/cachedContents/:id"
} as const

/**
 * The Gemini routes of one emulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const googleRoutes = (state: GoogleState): ReadonlyArray<Route> => {
  const batches = batchHandlers(state)
  const files = fileHandlers(state)
  const caches = cacheHandlers(state)
  const { generate, streamGenerate } = generateHandlers(state)
  return routesOf({
    [googleRouteKeys.generateContent]: generate,
    [googleRouteKeys.streamGenerateContent]: streamGenerate,
    [googleRouteKeys.createCache]: caches.createCache,
    [googleRouteKeys.getCache]: caches.getCache,
    [googleRouteKeys.deleteCache]: caches.deleteCache,
    [googleRouteKeys.createBatch]: batches.createBatch,
    [googleRouteKeys.cancelBatch]: batches.cancelBatch,
    [googleRouteKeys.getBatch]: batches.getBatch,
    [googleRouteKeys.listBatches]: batches.listBatches,
    [googleRouteKeys.uploadFile]: files.uploadFile,
    [googleRouteKeys.downloadFile]: files.downloadFile
  })
}

/**
 * The Gemini batch controls of a running emulator (the same as `emulator.googleBatches`; from
 * another process use the `x-emulator-batch` header).
 *
 * @since 0.1.0
 * @category testing
 */
export const googleBatchEmulator = (emulator: { readonly googleBatches: GoogleBatchEmulator }): GoogleBatchEmulator => emulator.googleBatches
