/**
 * The OpenAI side of the emulator: Chat Completions (`POST /v1/chat/completions`, chat.ts), the
 * Responses API (`POST /v1/responses`, responses.ts), and the Files and Batch APIs
 * (`/v1/files`, `/v1/batches`: files.ts, batches.ts). Wire requests are read by hand into the
 * responder's neutral input; nothing here uses the library's codecs, so a codec bug cannot
 * cancel itself out.
 *
 * Files and batches are kept per emulator: uploads are validated like the real API's, batches
 * follow a scripted lifecycle that advances per status call (see {@link OpenAiBatchLifecycle}),
 * and their output lines carry what the chat route would answer. Every batch that reaches a
 * final status can be announced by a signed webhook ({@link OpenAiWebhookTarget}). A test
 * controls all of it through `emulator.openaiBatches` ({@link OpenAiBatchEmulator}).
 *
 * @since 0.1.0
 */
import { batchHandlers } from "./openai/batches.js"
import { chatCompletions, chatCompletionsRoute } from "./openai/chat.js"
import { type BatchRouteKey, batchRouteKeys, type OpenAiBatchEmulator } from "./openai/controls.js"
import { fileHandlers } from "./openai/files.js"
import { withKey } from "./openai/http.js"
import { responses, responsesRoute } from "./openai/responses.js"
import type { OpenAiState } from "./openai/state.js"
import { type Handler, keyedHandlers, type Route, routesOf } from "./route.js"

/**
 * How a batch's enqueued tokens are counted against the queue limits.
 *
 * @since 0.1.0
 * @category utils
 */
export { enqueuedTokensOf } from "./openai/batchInput.js"
/**
 * Chat Completions: the route's default behaviour, its answer to a body, and its 400 checks.
 *
 * @since 0.1.0
 * @category utils
 */
export { answerChat, chatCompletions, chatCompletionsRoute, validateChat } from "./openai/chat.js"
/**
 * The responder's view of a Chat Completions request.
 *
 * @since 0.1.0
 * @category utils
 */
export { responderInput } from "./openai/chatRequest.js"
/**
 * The controls of the Files and Batch APIs and their route keys.
 *
 * @since 0.1.0
 * @category testing
 */
export { type BatchRouteKey, batchRouteKeys, type EmulatedBatch, openAiBatchControls, type OpenAiBatchEmulator } from "./openai/controls.js"
/**
 * An error answer in OpenAI's format.
 *
 * @since 0.1.0
 * @category constructors
 */
export { openAiError } from "./openai/http.js"
/**
 * How a test chooses a batch's life, and the header that carries it.
 *
 * @since 0.1.0
 * @category testing
 */
export { type OpenAiBatchLifecycle, openAiBatchLifecycleHeader, openAiBatchLifecycleHeaderName } from "./openai/lifecycle.js"
/**
 * One emulator's OpenAI files and batches.
 *
 * @since 0.2.0
 * @category models
 */
export { makeOpenAiState, type OpenAiState } from "./openai/state.js"
/**
 * Batch webhooks: where they go, what was sent, and how they are signed.
 *
 * @since 0.1.0
 * @category testing
 */
export { type OpenAiWebhookTarget, signOpenAiWebhook, type WebhookDelivery } from "./openai/webhooks.js"

/**
 * The default behaviours of one emulator's Files and Batch API routes, by route key.
 *
 * @since 0.2.0
 * @category constructors
 */
export const openAiBatchHandlers = (state: OpenAiState): Readonly<Record<BatchRouteKey, Handler>> =>
  keyedHandlers(batchRouteKeys, { ...fileHandlers(state), ...batchHandlers(state) }, withKey, ["setLifecycle"])

/**
 * The OpenAI routes: chat completions, then the Files and Batch APIs of one emulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openAiRoutes = (batchRoutes: Readonly<Record<BatchRouteKey, Handler>>): ReadonlyArray<Route> =>
  routesOf({ [chatCompletionsRoute]: chatCompletions, ...batchRoutes })

/**
 * The Responses API route.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openAiResponsesRoutes: ReadonlyArray<Route> = routesOf({ [responsesRoute]: responses })

/**
 * The OpenAI batch controls of a running emulator (the same as `emulator.openaiBatches`; from
 * another process use the `POST /v1/emulator/batch-lifecycle` route).
 *
 * @example
 * const batches = openAiBatchEmulator(emulator)
 * batches.lifecycle = { statusCalls: 2, outcome: "expired", processed: 1 }
 *
 * @since 0.1.0
 * @category testing
 */
export const openAiBatchEmulator = (emulator: { readonly openaiBatches: OpenAiBatchEmulator }): OpenAiBatchEmulator => emulator.openaiBatches
