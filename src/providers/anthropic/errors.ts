/**
 * Anthropic SDK errors → {@link AiError}. The SDK error object is never kept (not even as a
 * cause): its message, body and request options can hold the API key. Only redacted text, the
 * status and the request id survive.
 */
// the SDK's error classes alone (a small module the SDK itself uses), not the whole SDK (sdk.ts)
import * as Anthropic from "@anthropic-ai/sdk/core/error"
import {
  type AiError,
  ConnectionError,
  redact,
  RequestTimeoutError,
  ResponseDecodeError
} from "../../AiError.js"
import { retryAfter } from "../../internal/retryAfter.js"
import { errorOfStatus } from "../../internal/statusError.js"

const provider = "anthropic"

/** The wait a response asks for (`retry-after-ms`, else `retry-after`), shared with the OpenAI provider. */
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
 * Maps anything the SDK throws to an {@link AiError}, redacting `apiKey` from every text kept.
 *
 * @example
 * Effect.tryPromise({ try: (signal) => sdk.messages.create(body, { signal }), catch: mapError(apiKey) })
 */
export const mapError = (apiKey: string) => (cause: unknown): AiError => {
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
