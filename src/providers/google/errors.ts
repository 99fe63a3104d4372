/**
 * Gemini SDK errors → {@link AiError}. The SDK's `ApiError` carries the HTTP status and, as its
 * message, the JSON error body (`{"error":{"code","message","status","details"}}`); only the
 * redacted message, the status and the wait a `RetryInfo` detail asks for survive. The SDK error
 * object is never kept.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import {
  type AiError,
  AuthenticationError,
  ConnectionError,
  redact,
  RequestTimeoutError,
  ResponseDecodeError
} from "../../AiError.js"
import { errorOfStatus } from "../../internal/http/statusError.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { GoogleSdk } from "./sdk.js"

/**
 * The SDK's error class the mapping recognizes. It comes from the SDK module loaded with the
 * client (sdk.ts), never from a static import, so that importing this library loads no SDK.
 *
 * @since 0.2.0
 * @category models
 */
export type ErrorClasses = Pick<GoogleSdk, "ApiError">

const provider = "google"

/** A Google API error body, read off an `ApiError`'s message (JSON), if it is one. */
interface ErrorBody {
  readonly message: string | undefined
  readonly status: string | undefined
  readonly retryAfter: Duration.Duration | undefined
}

// "30s", "1.5s": google.protobuf.Duration in JSON
const protoDuration = (text: unknown): Duration.Duration | undefined => {
  if (typeof text !== "string") return undefined
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text.trim())
  return match ? Duration.millis(Math.round(Number(match[1]) * 1000)) : undefined
}

const parseBody = (text: string): ErrorBody => {
  // the SDK's stream error message is "got status: X. {json}"; a unary one is the JSON alone
  const start = text.indexOf("{")
  if (start === -1) return { message: text, status: undefined, retryAfter: undefined }
  try {
    const json: unknown = JSON.parse(text.slice(start))
    const error = isRecord(json) && isRecord(json.error) ? json.error : undefined
    if (error === undefined) return { message: text, status: undefined, retryAfter: undefined }
    const details = Array.isArray(error.details) ? error.details : []
    const retryInfo = details.find((d): d is Record<string, unknown> => isRecord(d) && String(d["@type"] ?? "").endsWith("google.rpc.RetryInfo"))
    return {
      message: typeof error.message === "string" ? error.message : undefined,
      status: typeof error.status === "string" ? error.status : undefined,
      retryAfter: protoDuration(retryInfo?.retryDelay)
    }
  } catch {
    return { message: text, status: undefined, retryAfter: undefined }
  }
}

// Gemini answers a bad key with 400 API_KEY_INVALID
const isBadKey = (status: number, detail: string | undefined): boolean =>
  status === 400 && detail !== undefined && /API_KEY_INVALID|API key not valid/i.test(detail)

const messageOf = (u: unknown): string => (u instanceof Error ? u.message : typeof u === "string" ? u : "")

/**
 * Maps anything the SDK throws to an {@link AiError}, redacting `apiKey` from every text kept;
 * `errors` holds the SDK's error class ({@link ErrorClasses}). An abort that reaches here was
 * the SDK's own timeout (our interruptions discard the error).
 *
 * @since 0.1.0
 * @category errors
 */
export const mapError = (apiKey: string, { ApiError }: ErrorClasses) => (cause: unknown): AiError => {
  const clean = (text: string | undefined): string | undefined => (text === undefined || text === "" ? undefined : redact(text, [apiKey]))
  if (cause instanceof ApiError) {
    const body = parseBody(cause.message)
    const said = clean(body.message)
    const detail = body.status !== undefined && said !== undefined ? `${body.status}: ${said}` : said
    if (isBadKey(cause.status, detail)) return new AuthenticationError({ provider, ...(detail !== undefined ? { detail } : {}) })
    return errorOfStatus(cause.status, { provider, detail, retryAfter: body.retryAfter })
  }
  if (cause instanceof Error && (cause.name === "AbortError" || cause.name === "TimeoutError")) {
    return new RequestTimeoutError({ provider, detail: "no response within the timeout" })
  }
  if (cause instanceof SyntaxError) {
    return new ResponseDecodeError({ provider, path: "$", detail: clean(cause.message) ?? "the body is not valid JSON" })
  }
  const text = clean(messageOf(cause)) ?? "unknown failure"
  // the SDK wraps a chunk it cannot parse as "exception parsing stream chunk ..."
  if (/exception parsing stream chunk/i.test(text)) {
    return new ResponseDecodeError({ provider, path: "$", detail: text.slice(0, 500) })
  }
  const inner = clean(messageOf((cause as { cause?: unknown } | undefined)?.cause))
  return new ConnectionError({ provider, detail: inner !== undefined ? `${text} (${inner})` : text })
}
