/**
 * What every Gemini answer of the emulator shares: the error body in Google's format and the
 * API key check.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Json } from "../json.js"
import type { RecordedRequest, Scripted } from "../route.js"

/**
 * The next id with this prefix from the emulator's Gemini counter.
 *
 * @since 0.2.0
 * @category utils
 */
export const nextId = (context: RouteContext, prefix: string): string => `${prefix}${context.next("google").toString(36).padStart(6, "0")}`

/**
 * Google's status names by HTTP status.
 *
 * @since 0.2.0
 * @category constants
 */
export const statusNames: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED"
}

/**
 * An error in Google's format: `{"error":{"code","message","status"}}`; `retryDelay` ("30s")
 * adds a `google.rpc.RetryInfo` detail, as 429s carry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const googleError = (status: number, message: string, options?: { readonly retryDelay?: string | undefined }): Scripted => ({
  status,
  json: {
    error: {
      code: status,
      message,
      status: statusNames[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
      ...(options?.retryDelay !== undefined
        ? { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: options.retryDelay }] }
        : {})
    }
  }
})

/**
 * The key check of the real API: none is a 403 ("unregistered callers"), a key containing
 * "invalid" a 400 `API_KEY_INVALID`, as Gemini answers a bad key.
 *
 * @since 0.2.0
 * @category utils
 */
export const keyProblem = (request: RecordedRequest): Scripted | undefined => {
  const key = request.apiKey
  if (key === undefined || key === "") return googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
  if (!key.includes("invalid")) return undefined
  const error = googleError(400, "API key not valid. Please pass a valid API key.")
  const json = error.json as { error: Json }
  return { ...error, json: { error: { ...json.error, details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }] } } }
}
