/**
 * How a test chooses the life of an emulated Anthropic message batch: the
 * {@link AnthropicBatchLifecycle}, and the header that carries it.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Headers } from "../headers.js"
import { type ResultFileLayout, batchLifecycleHeaderName as headerName, lifecycleHeader } from "../lifecycle.js"

/**
 * How an emulated message batch lives (the same fields as the OpenAI emulator's
 * `OpenAiBatchLifecycle` where the APIs agree). Lifecycles advance per status call
 * (`GET /v1/messages/batches/:id`), never per second: with `statusCalls: N` the batch is
 * `in_progress` with growing request counts until call N, which ends it. A cancel makes it
 * `canceling`; the next status call ends it, with the requests finished by then answered and
 * the rest canceled.
 *
 * Choose it, from the most to the least specific:
 * - per create request: the `x-emulator-batch` header, a JSON text of this shape; set it on the
 *   client once with `defaultHeaders: batchLifecycleHeader({ ... })` (Anthropic batches carry no
 *   metadata, so a header takes the place of OpenAI's `emulator_lifecycle` metadata);
 * - per emulator, in process: `anthropicBatchEmulator(emulator).lifecycle = { ... }`;
 * - per emulator, from another process: `POST {url}/v1/emulator/anthropic-batch-lifecycle`
 *   with the JSON (or `null` to go back to the default).
 * Faults on any call come from the emulator's scripts (`emulator.script(batchRouteKeys.retrieveBatch,
 * anthropicError(529, "overloaded_error", "Overloaded"))`); `anthropicBatchEmulator(emulator)
 * .handler(key)` gives a route's default behaviour to wrap.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnthropicBatchLifecycle extends ResultFileLayout {
  /** Status calls until processing ends (default 3); 0 ends the batch at create (benchmarks). */
  readonly statusCalls?: number | undefined
  /**
   * How it ends (default "completed": every request answered); "expired": the unfinished
   * requests expired; "cancelled": someone else cancelled it (the unfinished ones canceled).
   */
  readonly outcome?: "completed" | "expired" | "cancelled" | undefined
  /** Requests (in submission order) finished before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /**
   * Requests that fail, by custom id: an errored line whose error type is that of the HTTP
   * status (400 `invalid_request_error`, 429 `rate_limit_error`, 500 `api_error`, 529
   * `overloaded_error`, ...).
   */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** Custom ids whose line is written as text that is not JSON. */
  readonly malformed?: ReadonlyArray<string> | undefined
  /** The first N downloads are cut off (connection reset) after half their writes. */
  readonly truncateDownloads?: number | undefined
  /** Status calls from `canceling` to `ended` after a cancel (default 1; 0 ends it at the cancel). */
  readonly cancelStatusCalls?: number | undefined
}

/**
 * The request header that carries an {@link AnthropicBatchLifecycle} as JSON.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchLifecycleHeaderName = headerName

/**
 * The header that picks the lifecycle of the batches a client creates.
 *
 * @example
 * Anthropic.layer({ apiKey, baseURL: emulator.anthropicBaseURL,
 *   defaultHeaders: batchLifecycleHeader({ statusCalls: 3, order: "reversed", omit: ["q2"] }) })
 *
 * @since 0.1.0
 * @category testing
 */
export const batchLifecycleHeader: (lifecycle: AnthropicBatchLifecycle) => Record<string, string> = lifecycleHeader

/**
 * A lifecycle from the header; a string says what is wrong with it.
 *
 * @since 0.2.0
 * @category codecs
 */
export const lifecycleFromHeader = (headers: Headers): AnthropicBatchLifecycle | string | undefined => {
  const raw = headers[batchLifecycleHeaderName]
  if (raw === undefined || raw === "") return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? (parsed as AnthropicBatchLifecycle) : `${batchLifecycleHeaderName}: expected a JSON object`
  } catch {
    return `${batchLifecycleHeaderName}: not JSON`
  }
}
