/**
 * Typed errors. {@link AiError} is what a request, a stream or a batch call can fail with;
 * {@link BatchError} is what the batch lifecycle adds. Every message says what to do next, and
 * none ever contains an API key (provider text is redacted before it is stored).
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

const common = {
  /** The provider that failed ("openai", "anthropic", "test", ...). */
  provider: Schema.String,
  /** The provider's own words, redacted of secrets. */
  detail: Schema.optional(Schema.String),
  /** The provider's request id, for support tickets. */
  requestId: Schema.optional(Schema.String)
}

const suffix = (detail: string | undefined, requestId?: string | undefined): string =>
  `${detail ? ` Provider said: ${detail}` : ""}${requestId ? ` (request id ${requestId})` : ""}`

/**
 * 401: the API key is missing, wrong or revoked.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", common) {
  override get message(): string {
    return `${this.provider} rejected the API key (401). Check the key you configured (for example OPENAI_API_KEY or ANTHROPIC_API_KEY) is valid for this provider.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * 403: the key is valid but may not use this model or resource.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermissionDeniedError extends Schema.TaggedError<PermissionDeniedError>()("PermissionDeniedError", common) {
  override get message(): string {
    return `${this.provider} denied access (403). Check that the key's project or organisation may use this model or resource.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * 404: the model, batch or file does not exist (or is not visible to this key).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", common) {
  override get message(): string {
    return `${this.provider} found no such resource (404). Check the model name or id, and that it belongs to this key's project.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * 429: too many requests or tokens; retried by the default policy, honouring `retryAfter`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", {
  ...common,
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}) {
  override get message(): string {
    const advice = this.retryAfter === undefined
      ? " Retry later, lower concurrency, or use a batch for bulk work."
      : Duration.toMillis(this.retryAfter) <= 0
        // retry-after: 0 is leave to retry now, not a wait of "0"
        ? " The provider allows a retry now; if the limit persists, lower concurrency or use a batch for bulk work."
        : ` The provider asked to wait ${Duration.format(this.retryAfter)}. Retry later, lower concurrency, or use a batch for bulk work.`
    return `${this.provider} rate limit hit (429).${advice}${suffix(this.detail, this.requestId)}`
  }
}

/**
 * 400 / 422: the provider rejected the request as malformed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>()("InvalidRequestError", {
  ...common,
  status: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `${this.provider} rejected the request as invalid (${this.status ?? 400}). Fix the request: the provider's message names the field.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * 5xx (or 529 overloaded): the provider failed; retried by the default policy.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProviderUnavailableError extends Schema.TaggedError<ProviderUnavailableError>()("ProviderUnavailableError", {
  ...common,
  status: Schema.Number,
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}) {
  override get message(): string {
    return `${this.provider} is unavailable (${this.status}). This is on the provider's side; retry later.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * The request took longer than its timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeoutError extends Schema.TaggedError<RequestTimeoutError>()("RequestTimeoutError", common) {
  override get message(): string {
    return `${this.provider} did not answer in time. Raise the \`timeout\` setting or retry.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * The connection failed or was reset before a complete answer arrived; retried by default.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", common) {
  override get message(): string {
    return `Could not reach ${this.provider} or the connection broke. Check the network and the base URL; the request may be retried.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * The provider answered something we could not decode; `path` says where.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>()("ResponseDecodeError", {
  ...common,
  path: Schema.String
}) {
  override get message(): string {
    return `Could not decode ${this.provider}'s response at ${this.path}. The provider sent something unexpected; report it with the detail below if it persists.${suffix(this.detail, this.requestId)}`
  }
}

/**
 * The provider (or this library for it) does not support what was asked, such as batches.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedError extends Schema.TaggedError<UnsupportedError>()("UnsupportedError", {
  ...common,
  feature: Schema.String
}) {
  override get message(): string {
    return `${this.provider} does not support ${this.feature}.${this.detail ? ` ${this.detail}` : ""}`
  }
}

/**
 * Our own validation failed, before any network call; the message says what to change.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInputError extends Schema.TaggedError<InvalidInputError>()("InvalidInputError", {
  /** What is wrong and what to do about it. */
  reason: Schema.String,
  provider: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Invalid input: ${this.reason}`
  }
}

/**
 * A request of a batched model in pending mode (`BatchedLanguageModel.layer({ pending })`) was
 * submitted in a provider batch that has not ended yet. Nothing is lost: run the same program
 * again later, and the same request returns its response once the batch has ended.
 *
 * @since 0.2.0
 * @category errors
 */
export class BatchPendingError extends Schema.TaggedError<BatchPendingError>()("BatchPendingError", {
  provider: Schema.String,
  /** The provider batch the request went in. */
  batchId: Schema.String,
  /** The request's custom id in that batch. */
  customId: Schema.String,
  /** The key of the request (its model, messages, parameters and settings) in the pending store. */
  requestKey: Schema.String
}) {
  override get message(): string {
    return `the request was submitted in ${this.provider} batch ${this.batchId} (custom id ${this.customId}), which has not ended yet. ` +
      "Run the program again later: the same request then returns its response once the batch has ended, without submitting anything again."
  }
}

/**
 * Any error a request, a stream or a batch call can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AiError =
  | AuthenticationError
  | PermissionDeniedError
  | NotFoundError
  | RateLimitError
  | InvalidRequestError
  | ProviderUnavailableError
  | RequestTimeoutError
  | ConnectionError
  | ResponseDecodeError
  | UnsupportedError
  | InvalidInputError
  | BatchPendingError

/**
 * The Schema of {@link AiError}: every request error class.
 *
 * @since 0.1.0
 * @category errors
 */
export const AiError = Schema.Union(
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InvalidRequestError,
  ProviderUnavailableError,
  RequestTimeoutError,
  ConnectionError,
  ResponseDecodeError,
  UnsupportedError,
  InvalidInputError,
  BatchPendingError
)

/**
 * One error a provider reported for a whole batch (for example a validation error of its file).
 *
 * @since 0.1.0
 * @category models
 */
export class BatchErrorItem extends Schema.Class<BatchErrorItem>("BatchErrorItem")({
  code: Schema.String,
  message: Schema.String,
  line: Schema.optional(Schema.Number),
  param: Schema.optional(Schema.String)
}) {}

/**
 * The provider failed the whole batch (an OpenAI batch whose input failed validation).
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchFailedError extends Schema.TaggedError<BatchFailedError>()("BatchFailedError", {
  batchId: Schema.String,
  provider: Schema.String,
  errors: Schema.Array(BatchErrorItem)
}) {
  override get message(): string {
    const listed = this.errors.slice(0, 5).map((e) => `${e.code}${e.line !== undefined ? ` (line ${e.line})` : ""}: ${e.message}`).join("; ")
    return `${this.provider} failed batch ${this.batchId}: ${listed || "no reason given"}. Fix the requests and submit again.`
  }
}

/**
 * The batch did not finish within `timeout`; the remote batch was cancelled.
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchTimeoutError extends Schema.TaggedError<BatchTimeoutError>()("BatchTimeoutError", {
  batchId: Schema.String,
  provider: Schema.String,
  timeout: Schema.DurationFromSelf
}) {
  override get message(): string {
    return `Batch ${this.batchId} (${this.provider}) did not finish within ${Duration.format(this.timeout)} and was cancelled. Raise \`timeout\`, or pass a \`resumeKey\` to keep polling it later.`
  }
}

/**
 * What the batch lifecycle adds to {@link AiError}.
 *
 * @since 0.1.0
 * @category errors
 */
export type BatchError = BatchFailedError | BatchTimeoutError

/**
 * Whether an error is worth retrying: rate limits, 5xx, connection failures and timeouts.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (error: AiError | BatchError): boolean =>
  error._tag === "RateLimitError" ||
  error._tag === "ProviderUnavailableError" ||
  error._tag === "ConnectionError" ||
  error._tag === "RequestTimeoutError"

/**
 * Replaces every secret in a text by `[redacted]`: the given keys, and anything shaped like an
 * OpenAI or Anthropic key (`sk-...`), so a provider echoing a key back cannot leak it.
 *
 * @since 0.1.0
 * @category utils
 */
export const redact = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]")
  return out.replace(/\bsk-[A-Za-z0-9_\-]{6,}/g, "sk-[redacted]")
}
