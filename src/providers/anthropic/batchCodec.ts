/**
 * Pure functions between our batch data and the Anthropic Message Batches wire JSON: a request
 * out as a `{custom_id, params}` item ({@link encodeItem}, whose `params` come from the same
 * {@link encodeRequest} as a direct request), a `message_batch` in as a {@link Batch}
 * ({@link decodeBatch}), a results line in as a {@link BatchResult} ({@link decodeResultLine}).
 * No I/O, no logging: encoding returns its warnings and the caller logs them.
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Either, Schema } from "effect"
import { type InvalidInputError, redact, ResponseDecodeError, type UnsupportedError } from "../../AiError.js"
import { Batch, type BatchRequest, type BatchResult, type BatchStatus, ResultErrorCode } from "../../BatchData.js"
import { failed as failure, succeeded } from "../../internal/batch/results.js"
import { mergeSettings, ModelRequestParameters, type ModelSettings } from "../../Parameters.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { decodeAt, decodeMessage, defaultMaxTokens, encodeRequest, providerName, supportedSettings } from "./codec.js"

/**
 * What Anthropic allows as a custom id: letters, digits, `_` and `-`, 1 to 64 characters.
 *
 * @since 0.1.0
 * @category constants
 */
export const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * One item of a `messages.batches.create` body.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchItem = Anthropic.Messages.Batches.BatchCreateParams.Request

/**
 * A request encoded for a batch: the item, the headers it asked for, and what was not carried over.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedItem {
  readonly item: BatchItem
  /** The request's `extraHeaders`: a batch can only send headers for all its requests at once. */
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly warnings: ReadonlyArray<string>
}

const defaultParameters = ModelRequestParameters.from(undefined)

/**
 * A batch request → its `{custom_id, params}` item. `params` is the body a direct request would
 * send (model defaults merged under the request's settings; the request's `model` wins). A
 * per-request `timeout` cannot travel in a batch and settings Anthropic lacks are ignored: both
 * become warnings.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeItem = (
  modelName: string,
  defaults: ModelSettings | undefined,
  request: BatchRequest
): Either.Either<EncodedItem, UnsupportedError | InvalidInputError> => {
  const prompt = defaults === undefined ? textPromptItem(modelName, request) : undefined
  if (prompt !== undefined) return Either.right(prompt)
  const settings = mergeSettings(defaults, request.settings)
  return Either.map(
    encodeRequest(request.model ?? modelName, request.messages, { parameters: request.parameters ?? defaultParameters, settings }),
    (encoded) => {
      // the codec's own array (built for this request), added to rather than copied
      const warnings = encoded.warnings as Array<string>
      const unsupported = (Object.keys(settings) as Array<keyof ModelSettings>).filter(
        (key) => settings[key] !== undefined && !supportedSettings.includes(key)
      )
      if (unsupported.length > 0) warnings.push(`Anthropic does not support the setting${unsupported.length > 1 ? "s" : ""} ${unsupported.join(", ")}; ignored.`)
      if (settings.timeout !== undefined) {
        warnings.push("the timeout setting was ignored: a batch request cannot carry its own timeout (bound the whole batch with Batch.run's timeout).")
      }
      return {
        item: { custom_id: request.customId, params: encoded.body },
        headers: encoded.options.headers,
        warnings
      }
    }
  )
}

const noWarnings: ReadonlyArray<string> = Object.freeze([])

/**
 * The item of the most common batch request, one user text prompt and nothing else (no
 * parameters, settings, instructions or model defaults), built directly: exactly what
 * {@link encodeRequest} makes of it (the tests compare the two), without its general path,
 * which in a cold process took 48–53 ms for 50,000 such requests against 16–20 ms built directly
 * (its first runs: optimized, it takes ~10 ms). Anything else: `undefined`.
 */
const textPromptItem = (modelName: string, request: BatchRequest): EncodedItem | undefined => {
  const { messages } = request
  if (request.parameters !== undefined || request.settings !== undefined || messages.length !== 1) return undefined
  const message = messages[0]!
  if (message._tag !== "ModelRequest" || message.instructions !== undefined || message.parts.length !== 1) return undefined
  const part = message.parts[0]!
  if (part._tag !== "UserPromptPart" || typeof part.content !== "string" || part.content === "") return undefined
  return {
    item: {
      custom_id: request.customId,
      params: { model: request.model ?? modelName, max_tokens: defaultMaxTokens, messages: [{ role: "user", content: [{ type: "text", text: part.content }] }] }
    },
    headers: undefined,
    warnings: noWarnings
  }
}

/**
 * Bytes an item takes in the create body (its JSON and the comma after it).
 *
 * @since 0.1.0
 * @category utils
 */
export const itemSize = (item: BatchItem): number => Buffer.byteLength(JSON.stringify(item), "utf8") + 1

// ---------------------------------------------------------------------------------------------
// batches
// ---------------------------------------------------------------------------------------------

const Count = Schema.Number
const OptionalText = Schema.optional(Schema.NullOr(Schema.String))

const WireBatch = Schema.Struct({
  id: Schema.String,
  processing_status: Schema.String,
  request_counts: Schema.Struct({ processing: Count, succeeded: Count, errored: Count, canceled: Count, expired: Count }),
  created_at: Schema.String,
  ended_at: OptionalText,
  expires_at: OptionalText,
  cancel_initiated_at: OptionalText,
  archived_at: OptionalText,
  results_url: OptionalText
})

const dateAt = (text: string, path: string): Either.Either<Date, ResponseDecodeError> => {
  const date = new Date(text)
  return Number.isNaN(date.getTime())
    ? Either.left(new ResponseDecodeError({ provider: providerName, path, detail: `not a date: ${JSON.stringify(text)}` }))
    : Either.right(date)
}

/**
 * What {@link statusFromAnthropic} reads of an Anthropic message batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnthropicBatchState {
  /** `processing_status`: "in_progress" | "canceling" | "ended". */
  readonly processingStatus: string
  /** Whether `cancel_initiated_at` is set. */
  readonly cancelInitiated: boolean
  /** `request_counts`. */
  readonly requestCounts: {
    readonly processing: number
    readonly succeeded: number
    readonly errored: number
    readonly canceled: number
    readonly expired: number
  }
}

/**
 * Anthropic's status in our terms: in_progress → in_progress, canceling → cancelling, ended →
 * cancelled if a cancel was initiated, expired if every request expired, else completed.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusFromAnthropic = (state: AnthropicBatchState): BatchStatus => {
  if (state.processingStatus === "canceling") return "cancelling"
  if (state.processingStatus !== "ended") return "in_progress"
  if (state.cancelInitiated) return "cancelled"
  const c = state.requestCounts
  const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
  return total > 0 && c.expired === total ? "expired" : "completed"
}

/**
 * A `message_batch` → our {@link Batch}: the status through `statusFromAnthropic`,
 * `completedCount` = succeeded, `failedCount` = errored + expired + canceled, and in `details`
 * the provider's own fields (results URL, times, per-kind counts), JSON-safe.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeBatch = (wire: unknown): Either.Either<Batch, ResponseDecodeError> =>
  Either.gen(function*() {
    const b = yield* decodeAt(WireBatch, wire, "")
    const c = b.request_counts
    const createdAt = yield* dateAt(b.created_at, "created_at")
    const endedAt = b.ended_at != null ? yield* dateAt(b.ended_at, "ended_at") : undefined
    return new Batch({
      id: b.id,
      provider: providerName,
      status: statusFromAnthropic({
        processingStatus: b.processing_status,
        cancelInitiated: b.cancel_initiated_at != null,
        requestCounts: c
      }),
      requestCount: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
      completedCount: c.succeeded,
      failedCount: c.errored + c.expired + c.canceled,
      createdAt,
      ...(endedAt !== undefined ? { completedAt: endedAt } : {}),
      details: {
        processingStatus: b.processing_status,
        resultsUrl: b.results_url ?? null,
        expiresAt: b.expires_at ?? null,
        endedAt: b.ended_at ?? null,
        cancelInitiatedAt: b.cancel_initiated_at ?? null,
        archivedAt: b.archived_at ?? null,
        requestCounts: { processing: c.processing, succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired }
      }
      // built from the decoded wire batch: the constructor's validation would find nothing
    }, true)
  })

// ---------------------------------------------------------------------------------------------
// result lines
// ---------------------------------------------------------------------------------------------

/**
 * The code of a result whose `message` could not be read: the line names its request, so that
 * one request fails rather than the whole download.
 *
 * @since 0.1.0
 * @category constants
 */
export const undecodableCode = "response_decode_error"

/**
 * Where a line sits in the results file, for error paths: `results line 3`.
 *
 * @since 0.1.0
 * @category utils
 */
export const linePath = (line: number): string => `results line ${line}`

/**
 * What {@link decodeResultLine} needs besides the line.
 *
 * @since 0.1.0
 * @category models
 */
export interface LineContext {
  /** The batch id, for the messages of canceled and expired results. */
  readonly batchId: string
  /** 1-based line number, for error paths. */
  readonly line: number
  /** The responses' timestamp (the batch's end; lines carry none). */
  readonly timestamp?: Date | undefined
  /** Secrets to scrub from provider text. */
  readonly secrets?: ReadonlyArray<string> | undefined
}

/**
 * One results line → a {@link BatchResult}: succeeded → the decoded message; errored → the
 * provider's error type as code and its message; canceled / expired → our codes "cancelled" /
 * "expired". A line without a readable `custom_id` and `result.type` fails with a
 * ResponseDecodeError naming the line (its request is unknown); a succeeded line whose message
 * cannot be read fails only that request (code {@link undecodableCode}).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResultLine = (json: unknown, context: LineContext): Either.Either<BatchResult, ResponseDecodeError> => {
  // checked by hand, not with a Schema, and nothing built for the error unless one is found:
  // this runs once per line of files of 100,000 lines
  if (!isRecord(json)) return wrongLine(context.line, "", "expected a JSON object")
  if (typeof json.custom_id !== "string") return wrongLine(context.line, ".custom_id", "expected a string")
  const result = json.result
  if (!isRecord(result)) return wrongLine(context.line, ".result", "expected an object")
  if (typeof result.type !== "string") return wrongLine(context.line, ".result.type", "expected a string")
  return Either.right(decodeResult(json.custom_id, result.type, result, context))
}

const wrongLine = (line: number, path: string, detail: string): Either.Either<never, ResponseDecodeError> =>
  Either.left(new ResponseDecodeError({ provider: providerName, path: `${linePath(line)}${path}`, detail }))

// Results are built from values already checked (strings, a decoded ModelResponse), without
// their constructors (internal/batch/results.ts); no closure is made per line on the success path.
const decodeResult = (customId: string, type: string, result: Record<string, unknown>, context: LineContext): BatchResult => {
  switch (type) {
    case "succeeded": {
      const decoded = decodeMessage(result.message, { timestamp: context.timestamp })
      if (Either.isRight(decoded)) return succeeded(customId, decoded.right)
      const e = decoded.left
      return failure(customId, undecodableCode, redact(`the message of ${linePath(context.line)} could not be read at ${e.path === "$" ? "message" : `message.${e.path}`}: ${e.detail ?? "unexpected shape"}`, context.secrets))
    }
    case "errored": {
      // {"type": "error", "error": {"type": ..., "message": ...}}; read leniently, keep what is there
      const outer = result.error
      const inner = isRecord(outer) && isRecord(outer.error) ? outer.error : outer
      const code = isRecord(inner) && typeof inner.type === "string" && inner.type !== "" ? inner.type : "errored"
      const message = isRecord(inner) && typeof inner.message === "string" ? inner.message : "Anthropic reported an error for this request"
      return failure(customId, code, redact(message, context.secrets))
    }
    case "canceled":
      return failure(customId, ResultErrorCode.cancelled, `batch ${context.batchId} was cancelled before this request was processed`)
    case "expired":
      return failure(customId, ResultErrorCode.expired, `batch ${context.batchId} expired before this request was processed`)
    default:
      return failure(customId, type, `Anthropic reported the result type ${JSON.stringify(type)}, which this library does not know`)
  }
}
