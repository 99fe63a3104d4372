/**
 * OpenAI SDK failures as our typed errors. Only the provider's words (redacted) and its request
 * id are kept: the SDK error object itself is never stored, since it can hold the API key
 * (request headers, echoed messages).
 *
 * @since 0.1.0
 */
import {
  type AiError,
  ConnectionError,
  ProviderUnavailableError,
  redact,
  RequestTimeoutError,
  ResponseDecodeError
} from "../../AiError.js"
import { retryAfter } from "../../internal/http/retryAfter.js"
import { errorOfStatus } from "../../internal/http/statusError.js"
import { PROVIDER } from "./codec.js"
import type { OpenAiSdk } from "./sdk.js"

/**
 * The SDK's error classes the mapping tells apart. They come from the SDK module loaded with
 * the client (sdk.ts), never from a static import, so that importing this library loads no SDK;
 * the SDK module itself and its `OpenAI` class (whose statics they also are) both fit.
 *
 * @since 0.2.0
 * @category models
 */
export type ErrorClasses = Pick<OpenAiSdk, "APIError" | "APIConnectionError" | "APIConnectionTimeoutError" | "APIUserAbortError">

/**
 * The wait a response asks for (`retry-after-ms`, else `retry-after`), shared with the Anthropic provider.
 *
 * @since 0.1.0
 * @category utils
 */
export { retryAfter }

const messageOf = (error: unknown, OpenAI: ErrorClasses): string => {
  if (error instanceof OpenAI.APIError) {
    // the provider's own message when it sent one, without the SDK's status prefix
    const body = error.error as { message?: unknown } | undefined
    if (body && typeof body.message === "string") return body.message
  }
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    const causeText = cause instanceof Error ? `: ${cause.message}${(cause as { code?: unknown }).code ? ` (${String((cause as { code?: unknown }).code)})` : ""}` : ""
    return `${error.message}${causeText}`
  }
  return String(error)
}

/**
 * Maps what the SDK threw (or a stream raised) to an {@link AiError}. `secrets` are removed
 * from every detail (the API key, since a 401 echoes it); `where` names what was being read
 * when the body turned out not to be JSON ("body" or "stream"); `errors` are the SDK's error
 * classes ({@link ErrorClasses}).
 *
 * @since 0.1.0
 * @category errors
 */
export const fromSdkError = (
  error: unknown,
  options: { readonly secrets: ReadonlyArray<string>; readonly where?: "body" | "stream"; readonly errors: ErrorClasses }
): AiError => {
  const provider = PROVIDER
  const OpenAI = options.errors
  const detail = redact(messageOf(error, OpenAI), options.secrets)
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new RequestTimeoutError({ provider, detail })
  if (error instanceof OpenAI.APIUserAbortError) return new ConnectionError({ provider, detail: "the request was aborted" })
  if (error instanceof OpenAI.APIConnectionError) return new ConnectionError({ provider, detail })
  if (error instanceof OpenAI.APIError) {
    const requestId = error.requestID ?? undefined
    const common = { provider, detail, ...(requestId ? { requestId } : {}) }
    const status = error.status
    if (status === undefined) {
      // an error event inside a 200 stream: the provider failed mid-answer
      return new ProviderUnavailableError({ ...common, status: 500 })
    }
    return errorOfStatus(status, { ...common, retryAfter: retryAfter(error.headers) })
  }
  // JSON.parse on a 200 body, or the SDK's "malformed server-sent event JSON"
  if (error instanceof SyntaxError) {
    return new ResponseDecodeError({ provider, path: options.where === "stream" ? "stream" : "body", detail: `not valid JSON: ${detail}` })
  }
  // undici's "fetch failed" / "terminated" (a reset mid-body) and anything else on the wire
  return new ConnectionError({ provider, detail })
}
