/**
 * What a caller of a batched model gets for its request: the result of its batch line as the
 * typed error a direct call would have raised (a rate limit as RateLimitError, a 5xx as
 * ProviderUnavailableError, a malformed request as InvalidRequestError, ...), and a batch that
 * failed as a whole or ran out of time as the request error it amounts to.
 *
 * @since 0.2.0
 * @internal
 */
import { type AiError, type BatchError, InvalidRequestError, ProviderUnavailableError, RequestTimeoutError, ResponseDecodeError } from "../../AiError.js"
import type { ResultError } from "../../BatchData.js"
import { errorOfStatus } from "../http/statusError.js"

/** The HTTP status a provider's line code stands for (the batch APIs' codes, or `http_<status>`). */
const statusOfCode = (code: string): number => {
  switch (code) {
    case "rate_limit_exceeded":
    case "rate_limit_error":
      return 429
    case "authentication_error":
    case "invalid_api_key":
      return 401
    case "permission_error":
    case "permission_denied":
      return 403
    case "not_found_error":
    case "model_not_found":
      return 404
    case "server_error":
    case "internal_server_error":
    case "api_error":
      return 500
    case "overloaded_error":
      return 529
  }
  const match = /^http_(\d{3})$/.exec(code)
  return match === null ? 400 : Number(match[1])
}

/**
 * The request error a batch line's failure amounts to: what a direct call of the same request
 * would have raised, by the provider's code (or `http_<status>`), through the same status
 * mapping as direct calls; our own codes ("expired", "cancelled", "missing") say the request
 * never ran.
 *
 * @since 0.2.0
 * @category errors
 */
export const fromResultError = (provider: string, batchIds: string, error: ResultError): AiError => {
  const detail = `${error.message} (code ${error.code}, in batch ${batchIds})`
  switch (error.code) {
    case "expired":
    case "batch_expired":
      return new RequestTimeoutError({ provider, detail: `the batch expired before this request ran: ${detail}` })
    case "cancelled":
    case "missing":
      return new ProviderUnavailableError({ provider, status: 503, detail: `the batch ended without running this request: ${detail}` })
    case "response_decode_error":
      return new ResponseDecodeError({ provider, path: "batch result", detail })
  }
  return errorOfStatus(statusOfCode(error.code), { provider, detail })
}

/**
 * The request error of every request in a batch that failed as a whole (BatchFailedError: the
 * provider rejected its input) or did not end in time (BatchTimeoutError).
 *
 * @since 0.2.0
 * @category errors
 */
export const fromBatchError = (error: AiError | BatchError): AiError => {
  switch (error._tag) {
    case "BatchFailedError":
      return new InvalidRequestError({ provider: error.provider, detail: error.message })
    case "BatchTimeoutError":
      return new RequestTimeoutError({ provider: error.provider, detail: error.message })
    default:
      return error
  }
}
