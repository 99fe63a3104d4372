/**
 * How a test chooses the life of an emulated Gemini batch: the {@link GoogleBatchLifecycle},
 * and the header that carries it.
 *
 * @since 0.2.0
 */
import type { Headers } from "../headers.js"
import { batchLifecycleHeaderName, lifecycleHeader } from "../lifecycle.js"


/**
 * How an emulated Gemini batch advances, one step per status call.
 *
 * @since 0.1.0
 * @category models
 */
export interface GoogleBatchLifecycle {
  /** Status calls until it ends (default 1); 0 ends it at create. */
  readonly statusCalls?: number | undefined
  /** How it ends (default "succeeded"). "failed" has no results; "expired" / "cancelled" answer the first `processed`. */
  readonly outcome?: "succeeded" | "failed" | "expired" | "cancelled" | undefined
  /** Requests answered before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /** Requests that fail, by key: an error of that HTTP status instead of a response. */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** Keys left out of a results file. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Keys whose results-file line is written twice. */
  readonly duplicate?: ReadonlyArray<string> | undefined
}

/**
 * The header name of {@link googleBatchLifecycleHeader}.
 *
 * @since 0.1.0
 * @category constants
 */
export const googleBatchLifecycleHeaderName = batchLifecycleHeaderName

/**
 * The header that picks the lifecycle of the batches a client creates (set it on `defaultHeaders`).
 *
 * @since 0.1.0
 * @category testing
 */
export const googleBatchLifecycleHeader: (lifecycle: GoogleBatchLifecycle) => Record<string, string> = lifecycleHeader

/**
 * The lifecycle a create asks for in its header, else `fallback`.
 *
 * @since 0.2.0
 * @category codecs
 */
export const lifecycleOf = (headers: Headers, fallback: GoogleBatchLifecycle | undefined): GoogleBatchLifecycle => {
  const raw = headers[googleBatchLifecycleHeaderName]
  if (raw !== undefined) {
    try {
      return JSON.parse(raw) as GoogleBatchLifecycle
    } catch {
      // a bad header: the default
    }
  }
  return fallback ?? {}
}
