/**
 * What a caller of a batched model gets for its request: the result of its batch line as the
 * typed error a direct call would have raised (a rate limit as RateLimitError, a 5xx as
 * ProviderUnavailableError, a malformed request as InvalidRequestError, ...), and a batch that
 * failed as a whole or ran out of time as the request error it amounts to.
 *
 * @since 0.2.0
 * @internal
 */
import {
  type AiError,
  AuthenticationError,
  type BatchError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  ProviderUnavailableError,
  RateLimitError,
  RequestTimeoutError,
  ResponseDecodeError
} from "../../AiError.js"
import type { ResultError } from "../../BatchData.js"

const httpStatus = (code: string): number | undefined => {
  const match = /^http_(\d{3})$/.exec(code)
  return match === null ? undefined : Number(match[1])
}

/**
 * The request error a batch line's failure amounts to: what a direct call of the same request
 * would have raised, by the provider's code (or `http_<status>`); our own codes ("expired",
 * "cancelled", "missing") say the request never ran.
 *
 * @since 0.2.0
 * @category errors
 */
export const fromResultError = (provider: string, batchIds: string, error: ResultError): AiError => {
  const detail = `${error.message} (code ${error.code}, in batch ${batchIds})`
  const status = httpStatus(error.code)
  switch (error.code) {
    case "rate_limit_exceeded":
    case "rate_limit_error":
      return new RateLimitError({ provider, detail })
    case "authentication_error":
    case "invalid_api_key":
      return new AuthenticationError({ provider, detail })
    case "permission_error":
    case "permission_denied":
      return new PermissionDeniedError({ provider, detail })
    case "not_found_error":
    case "model_not_found":
      return new NotFoundError({ provider, detail })
    case "server_error":
    case "internal_server_error":
    case "api_error":
      return new ProviderUnavailableError({ provider, status: 500, detail })
    case "overloaded_error":
      return new ProviderUnavailableError({ provider, status: 529, detail })
    case "expired":
    case "batch_expired":
      return new RequestTimeoutError({ provider, detail: `the batch expired before this request ran: ${detail}` })
    case "cancelled":
    case "missing":
      return new ProviderUnavailableError({ provider, status: 503, detail: `the batch ended without running this request: ${detail}` })
    case "response_decode_error":
      return new ResponseDecodeError({ provider, path: "batch result", detail })
  }
  if (status === 429) return new RateLimitError({ provider, detail })
  if (status === 401) return new AuthenticationError({ provider, detail })
  if (status === 403) return new PermissionDeniedError({ provider, detail })
  if (status === 404) return new NotFoundError({ provider, detail })
  if (status !== undefined && status >= 500) return new ProviderUnavailableError({ provider, status, detail })
  return new InvalidRequestError({ provider, detail, ...(status !== undefined ? { status } : {}) })
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
