/**
 * Anthropic SDK errors → {@link AiError}. The SDK error object is never kept (not even as a
 * cause): its message, body and request options can hold the API key. Only redacted text, the
 * status and the request id survive.
 *
 * @since 0.1.0
 */
import {
  type AiError,
  ConnectionError,
  redact,
  RequestTimeoutError,
  ResponseDecodeError
} from "../../AiError.js"
import { retryAfter } from "../../internal/http/retryAfter.js"
import { errorOfStatus } from "../../internal/http/statusError.js"
import type { AnthropicSdk } from "./sdk.js"

/**
 * The SDK's error classes the mapping tells apart. They come from the SDK module loaded with
 * the client (sdk.ts), never from a static import, so that importing this library loads no SDK;
 * the SDK module itself and its `Anthropic` class (whose statics they also are) both fit.
 *
 * @since 0.2.0
 * @category models
 */
export type ErrorClasses = Pick<AnthropicSdk, "AnthropicError" | "APIError" | "APIConnectionError" | "APIConnectionTimeoutError" | "APIUserAbortError">

const provider = "anthropic"

/**
 * The wait a response asks for (`retry-after-ms`, else `retry-after`), shared with the OpenAI provider.
 *
 * @since 0.1.0
 * @category utils
 */
export { retryAfter }

// The SSE `error` event carries no status; its error type says what it would have been.
const statusOfType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  timeout_error: 504,
  api_error: 500,
  overloaded_error: 529
}

const messageOf = (u: unknown): string => (u instanceof Error ? u.message : typeof u === "string" ? u : "")

/**
 * Maps anything the SDK throws to an {@link AiError}, redacting `apiKey` from every text kept;
 * `Anthropic` are the SDK's error classes ({@link ErrorClasses}).
 *
 * @example
 * Effect.tryPromise({ try: (signal) => sdk.messages.create(body, { signal }), catch: mapError(apiKey, sdkModule) })
 *
 * @since 0.1.0
 * @category errors
 */
export const mapError = (apiKey: string, Anthropic: ErrorClasses) => (cause: unknown): AiError => {
  const clean = (text: string | null | undefined): string | undefined =>
    text === null || text === undefined || text === "" ? undefined : redact(text, [apiKey])
  // connection errors first: they extend APIError in the SDK
  if (cause instanceof Anthropic.APIConnectionTimeoutError) {
    return new RequestTimeoutError({ provider, detail: "no response within the timeout" })
  }
  if (cause instanceof Anthropic.APIUserAbortError) {
    return new ConnectionError({ provider, detail: "the request was aborted" })
  }
  if (cause instanceof Anthropic.APIConnectionError) {
    const inner = clean(messageOf((cause as { cause?: unknown }).cause))
    return new ConnectionError({ provider, detail: clean(cause.message) + (inner !== undefined ? ` (${inner})` : "") })
  }
  if (cause instanceof Anthropic.APIError) {
    const requestId = cause.requestID ?? undefined
    const type = typeof cause.type === "string" ? cause.type : undefined
    const said = clean(cause.apiMessage ?? undefined) ?? clean(cause.message)
    const detail = type !== undefined && said !== undefined ? `${type}: ${said}` : said
    const status = typeof cause.status === "number" ? cause.status : statusOfType[type ?? ""] ?? 500
    return errorOfStatus(status, { provider, detail, requestId, retryAfter: retryAfter(cause.headers ?? undefined) })
  }
  // A body that is not JSON (the SDK's JSON.parse throws), in a response or an SSE event.
  if (cause instanceof SyntaxError) {
    return new ResponseDecodeError({ provider, path: "$", detail: clean(cause.message) ?? "the body is not valid JSON" })
  }
  // What remains is the transport failing mid-body (undici's "terminated") or an SDK complaint.
  const text = clean(messageOf(cause)) ?? "unknown failure"
  const inner = clean(messageOf((cause as { cause?: unknown } | undefined)?.cause))
  return new ConnectionError({ provider, detail: inner !== undefined ? `${text} (${inner})` : text })
}
