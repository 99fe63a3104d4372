/**
 * The Anthropic side of the emulator: the Messages API (`POST /v1/messages`, messages.ts) and
 * the Message Batches API (batches.ts), shaped by hand after the recorded fixtures, never
 * through this library's codec.
 *
 * Message batches are kept per emulator. Each follows an {@link AnthropicBatchLifecycle} that
 * advances one step per status call, never per second, chosen by the create's `x-emulator-batch`
 * header ({@link batchLifecycleHeader}, set once on the client's `defaultHeaders`), else by the
 * emulator's default (`emulator.anthropicBatches.lifecycle`, or
 * `POST /v1/emulator/anthropic-batch-lifecycle` from another process). Result lines carry
 * {@link answerMessage} of each request's `params` (with the create's `x-emulator-*` headers);
 * they are built when processing ends and written a group of lines at a time. Faults on any
 * call come from `emulator.script` with the keys of {@link batchRouteKeys}.
 *
 * @example
 * const emulator = await startEmulator()
 * const client = Anthropic.layer({ apiKey: "test", baseURL: emulator.anthropicBaseURL,
 *   defaultHeaders: batchLifecycleHeader({ statusCalls: 3, outcome: "expired", processed: 1 }) })
 * emulator.script(batchRouteKeys.retrieveBatch, anthropicError(529, "overloaded_error", "Overloaded"))
 *
 * @since 0.1.0
 */
import { batchHandlers } from "./anthropic/batches.js"
import { type AnthropicBatchEmulator, type BatchRouteKey, batchRouteKeys } from "./anthropic/controls.js"
import { withKey } from "./anthropic/http.js"
import { messagesHandler, messagesRoute } from "./anthropic/messages.js"
import type { AnthropicState } from "./anthropic/state.js"
import { type Handler, keyedHandlers, type Route, routesOf } from "./route.js"

/**
 * The controls of the Message Batches API and its route keys.
 *
 * @since 0.1.0
 * @category testing
 */
export { anthropicBatchControls, type AnthropicBatchEmulator, type BatchRouteKey, batchRouteKeys, type EmulatedAnthropicBatch } from "./anthropic/controls.js"
/**
 * An error answer in Anthropic's format.
 *
 * @since 0.1.0
 * @category constructors
 */
export { anthropicError } from "./anthropic/http.js"
/**
 * How a test chooses a message batch's life, and the header that carries it.
 *
 * @since 0.1.0
 * @category testing
 */
export { type AnthropicBatchLifecycle, batchLifecycleHeader, batchLifecycleHeaderName } from "./anthropic/lifecycle.js"
/**
 * The Messages API: the route's default behaviour, its answer to a body, and its SSE frames.
 *
 * @since 0.1.0
 * @category utils
 */
export { answerMessage, messagesHandler, messagesRoute, sseFrame } from "./anthropic/messages.js"
/**
 * The responder's view of a Messages API request.
 *
 * @since 0.1.0
 * @category utils
 */
export { responderInput } from "./anthropic/messagesRequest.js"
/**
 * One emulator's Anthropic message batches.
 *
 * @since 0.2.0
 * @category models
 */
export { type AnthropicState, makeAnthropicState } from "./anthropic/state.js"

/**
 * The default behaviours of one emulator's Message Batches API routes, by route key.
 *
 * @since 0.2.0
 * @category constructors
 */
export const anthropicBatchHandlers = (state: AnthropicState): Readonly<Record<BatchRouteKey, Handler>> =>
  keyedHandlers(batchRouteKeys, batchHandlers(state), (handler) => withKey(state.context, handler), ["setLifecycle"])

/**
 * The Anthropic routes: messages, then the message batches of one emulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const anthropicRoutes = (batchRoutes: Readonly<Record<BatchRouteKey, Handler>>): ReadonlyArray<Route> =>
  routesOf({ [messagesRoute]: messagesHandler, ...batchRoutes })

/**
 * The message batch controls of a running emulator (the same as `emulator.anthropicBatches`;
 * from another process use the `x-emulator-batch` header or the
 * `POST /v1/emulator/anthropic-batch-lifecycle` route).
 *
 * @example
 * const batches = anthropicBatchEmulator(emulator)
 * batches.lifecycle = { statusCalls: 2, outcome: "expired", processed: 1 }
 *
 * @since 0.1.0
 * @category testing
 */
export const anthropicBatchEmulator = (emulator: { readonly anthropicBatches: AnthropicBatchEmulator }): AnthropicBatchEmulator => emulator.anthropicBatches
