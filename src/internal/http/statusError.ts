/**
 * An HTTP error status as our typed error, the same for every provider: 401 authentication,
 * 402/403 permission, 404 not found, 408 timeout, 429 rate limit, 5xx unavailable (both with
 * the wait the provider asked for), anything else an invalid request. Each provider's error
 * module reads its SDK's error into these fields and handles its own exceptions first.
 * @internal
 * @since 0.1.0
 */
import type { Duration } from "effect"
import {
  type AiError,
  AuthenticationError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  ProviderUnavailableError,
  RateLimitError,
  RequestTimeoutError
} from "../../AiError.js"

/**
 * What every provider's error keeps: the provider, its redacted words and request id.
 *
 * @since 0.1.0
 * @category models
 */
export interface StatusErrorFields {
  readonly provider: string
  readonly detail?: string | undefined
  readonly requestId?: string | undefined
  /** The wait the response asked for (`retry-after`, a `RetryInfo` detail). */
  readonly retryAfter?: Duration.Duration | undefined
}

/**
 * The typed error of an HTTP error status.
 *
 * @since 0.1.0
 * @category errors
 */
export const errorOfStatus = (status: number, fields: StatusErrorFields): AiError => {
  const common = {
    provider: fields.provider,
    ...(fields.detail !== undefined && fields.detail !== "" ? { detail: fields.detail } : {}),
    ...(fields.requestId ? { requestId: fields.requestId } : {})
  }
  const wait = fields.retryAfter !== undefined ? { retryAfter: fields.retryAfter } : {}
  switch (status) {
    case 401:
      return new AuthenticationError(common)
    case 402:
    case 403:
      return new PermissionDeniedError(common)
    case 404:
      return new NotFoundError(common)
    case 408:
      return new RequestTimeoutError(common)
    case 429:
      return new RateLimitError({ ...common, ...wait })
  }
  if (status >= 500) return new ProviderUnavailableError({ ...common, status, ...wait })
  return new InvalidRequestError({ ...common, status })
}
