/**
 * What every OpenAI answer of the emulator shares: the error body, the API key check, and the
 * response headers.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Handler, RecordedRequest, Scripted } from "../route.js"

/**
 * An error answer in OpenAI's format: `{ error: { message, type, param, code } }`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openAiError = (
  status: number,
  message: string,
  options?: { readonly type?: string; readonly code?: string | null; readonly param?: string | null; readonly headers?: Record<string, string> }
): Scripted => ({
  status,
  headers: { "x-request-id": `req_emu_error_${status}`, ...options?.headers },
  json: {
    error: {
      message,
      type: options?.type ?? (status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error"),
      param: options?.param ?? null,
      code: options?.code ?? null
    }
  }
})

/**
 * The 401 the real API answers to a request without a key, or with a key containing "invalid"
 * (echoed, as the real API does: the redaction tests rely on that); undefined for a good key.
 *
 * @since 0.2.0
 * @category utils
 */
export const keyError = (request: RecordedRequest): Scripted | undefined => {
  const key = request.apiKey
  if (key === undefined || key === "") {
    return openAiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
  }
  if (key.includes("invalid")) {
    return openAiError(401, `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, { code: "invalid_api_key" })
  }
  return undefined
}

/**
 * A handler that checks the key first.
 *
 * @since 0.2.0
 * @category utils
 */
export const withKey = (handler: Handler): Handler => (request) => keyError(request) ?? handler(request)

/**
 * The headers of an OpenAI answer, with this emulator's next request id.
 *
 * @since 0.2.0
 * @category utils
 */
export const responseHeaders = (context: RouteContext): Record<string, string> => ({
  "x-request-id": `req_emu_${context.next("openai.request")}`,
  "openai-processing-ms": "12",
  "openai-version": "2020-10-01"
})
