/**
 * The OpenAI Batch API's wire formats, as pure functions: a request as a JSONL input line (its
 * body built by the same codec as a direct request), the provider's batch object as our
 * {@link Batch}, and an output or error file line as a {@link BatchResult}. The services only
 * call the SDK and these functions.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { BatchErrorItem, InvalidInputError, ResponseDecodeError } from "../../AiError.js"
import { Batch, type BatchRequest, type BatchResult, BatchStatus, ResultErrorCode } from "../../BatchData.js"
import type { Limits } from "../../BatchModel.js"
import { failed, succeeded } from "../../internal/batch/results.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { mergeSettings, ModelRequestParameters, type ModelSettings } from "../../Parameters.js"
import type { ModelMessage, ModelResponse } from "../../Message.js"
import { type ChatRequestBody, decodeChatCompletion, type EncodeOptions, encodeRequest, PROVIDER } from "./codec.js"
import * as ResponsesCodec from "./responsesCodec.js"

/**
 * The default endpoint of batches: Chat Completions, like the default direct requests.
 *
 * @since 0.1.0
 * @category constants
 */
export const ENDPOINT = "/v1/chat/completions" as const

/**
 * The API a batch's lines call: its endpoint, and the codec of its bodies (the same one its
 * direct requests use). Chat Completions ({@link chatCompletionsApi}) or Responses
 * ({@link responsesApi}); Azure names the same endpoints without the `/v1` prefix.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchApi {
  /** The batch's `endpoint` and every line's `url`. */
  readonly endpoint: string
  /** A request's body and what it left out. */
  readonly encode: (
    model: string,
    messages: ReadonlyArray<ModelMessage>,
    parameters: ModelRequestParameters,
    settings: ModelSettings,
    options: (EncodeOptions & ResponsesCodec.EncodeOptions) | undefined
  ) => Either.Either<{ readonly body: ChatRequestBody | ResponsesCodec.ResponsesRequestBody; readonly warnings: ReadonlyArray<string> }, { readonly message: string }>
  /** A result line's success body. */
  readonly decode: (body: unknown, options: { readonly requestedModel: string; readonly requestId?: string | undefined }) => Either.Either<ModelResponse, { readonly message: string }>
}

/**
 * Batches on `/v1/chat/completions`.
 *
 * @since 0.1.0
 * @category constants
 */
export const chatCompletionsApi: BatchApi = { endpoint: ENDPOINT, encode: encodeRequest, decode: decodeChatCompletion }

/**
 * Batches on `/v1/responses`: lines' bodies are Responses requests, results `response` objects.
 *
 * @since 0.1.0
 * @category constants
 */
export const responsesApi: BatchApi = { endpoint: "/v1/responses", encode: ResponsesCodec.encodeRequest, decode: ResponsesCodec.decodeResponse }

/**
 * The same API under another endpoint path (Azure's `/chat/completions`, `/responses`).
 *
 * @since 0.1.0
 * @category utils
 */
export const withEndpoint = (api: BatchApi, endpoint: string): BatchApi => ({ ...api, endpoint })

/**
 * The only completion window OpenAI offers.
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPLETION_WINDOW = "24h" as const

/**
 * OpenAI's limits of one batch: 50,000 requests and 200 MB of JSONL input.
 *
 * @since 0.1.0
 * @category constants
 */
export const LIMITS: Limits = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 }

/**
 * OpenAI's metadata limits: 16 pairs, keys of 64 characters, values of 512.
 *
 * @since 0.1.0
 * @category constants
 */
export const METADATA_LIMITS = { pairs: 16, keyLength: 64, valueLength: 512 } as const

// ---------------------------------------------------------------------------------------------
// input lines
// ---------------------------------------------------------------------------------------------

/**
 * One encoded input line: its JSON text (no newline), its size with the newline, and warnings.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedLine {
  readonly customId: string
  /** The body's model (the batch's, unless the request or its `extraBody` names another). */
  readonly model: string
  readonly body: ChatRequestBody | ResponsesCodec.ResponsesRequestBody
  readonly line: string
  /** UTF-8 bytes of the line plus its newline: what it adds to the upload. */
  readonly bytes: number
  /** What the codec left out, and settings a batch line cannot carry (headers, timeout). */
  readonly warnings: ReadonlyArray<string>
}

/**
 * A request's own model name, without a `openai:` model-string prefix.
 *
 * @since 0.1.0
 * @category utils
 */
export const requestModel = (request: BatchRequest): string | undefined =>
  request.model === undefined ? undefined : request.model.startsWith(`${PROVIDER}:`) ? request.model.slice(PROVIDER.length + 1) : request.model

/**
 * A request as an input line: `{"custom_id","method":"POST","url":"/v1/chat/completions","body"}`,
 * the body exactly what a direct request would send (model defaults merged under the request's
 * settings). Fails with InvalidInputError naming the request when the codec cannot encode it
 * (for example the output modes "native" and "prompted", not implemented yet).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeLine = (
  request: BatchRequest,
  modelName: string,
  defaults: ModelSettings | undefined,
  options?: EncodeOptions & ResponsesCodec.EncodeOptions,
  api: BatchApi = chatCompletionsApi
): Either.Either<EncodedLine, InvalidInputError> => {
  const settings = mergeSettings(defaults, request.settings)
  const parameters = request.parameters ?? ModelRequestParameters.from(undefined)
  const model = requestModel(request) ?? modelName
  return Either.match(api.encode(model, request.messages, parameters, settings, options), {
    onLeft: (error) =>
      Either.left(new InvalidInputError({
        provider: PROVIDER,
        reason: `request ${JSON.stringify(request.customId)} cannot be sent in an OpenAI batch: ${error.message}`
      })),
    onRight: ({ body, warnings }) => {
      const line = JSON.stringify({ custom_id: request.customId, method: "POST", url: api.endpoint, body })
      // a batch line has no headers and no per-request timeout: say so instead of dropping them quietly
      const dropped = [
        ...(settings.extraHeaders !== undefined && Object.keys(settings.extraHeaders).length > 0 ? ["extraHeaders"] : []),
        ...(settings.timeout !== undefined ? ["timeout"] : [])
      ]
      const all = dropped.length === 0
        ? warnings
        : [...warnings, `${PROVIDER} batch lines carry no ${dropped.join(" or ")}; the setting${dropped.length > 1 ? "s were" : " was"} ignored.`]
      return Either.right({ customId: request.customId, model: String(body.model), body, line, bytes: Buffer.byteLength(line, "utf8") + 1, warnings: all })
    }
  })
}

const describeIds = (ids: ReadonlyArray<string>): string => {
  const shown = ids.slice(0, 3).map((id) => JSON.stringify(id)).join(", ")
  return ids.length > 3 ? `${shown} and ${ids.length - 3} more` : shown
}

/**
 * OpenAI's rules for a whole batch, before any network call: one model per batch (the batch's
 * model; a request's `model`, or an `extraBody` model, that differs is refused), and metadata
 * within 16 pairs, 64-character keys and 512-character values. One request is enough: "at least 2
 * requests" is not an OpenAI rule and is not checked.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkBatch = (
  lines: ReadonlyArray<Pick<EncodedLine, "customId" | "model">>,
  modelName: string,
  metadata: Readonly<Record<string, string>> | undefined
): Either.Either<void, InvalidInputError> => {
  const invalid = (reason: string) => Either.left(new InvalidInputError({ provider: PROVIDER, reason }))
  const others = new Map<string, Array<string>>()
  for (const line of lines) {
    const model = line.model
    if (model !== modelName) {
      const ids = others.get(model)
      if (ids === undefined) others.set(model, [line.customId])
      else ids.push(line.customId)
    }
  }
  if (others.size > 0) {
    const listed = [...others].map(([model, ids]) => `${JSON.stringify(model)} (requests ${describeIds(ids)})`).join(", ")
    return invalid(
      `OpenAI allows one model per batch: this batch is for ${JSON.stringify(modelName)}, but some requests ask for ${listed}. ` +
        "Split the requests by model and run one batch per model (OpenAi.model for each), or use Anthropic, which allows a model per request."
    )
  }
  if (metadata !== undefined) {
    const entries = Object.entries(metadata)
    if (entries.length > METADATA_LIMITS.pairs) {
      return invalid(`OpenAI batch metadata holds at most ${METADATA_LIMITS.pairs} key/value pairs; got ${entries.length}. Drop or merge some keys.`)
    }
    for (const [key, value] of entries) {
      if (key.length > METADATA_LIMITS.keyLength) {
        return invalid(`OpenAI batch metadata keys are at most ${METADATA_LIMITS.keyLength} characters; ${JSON.stringify(key.slice(0, 20) + "…")} has ${key.length}. Shorten it.`)
      }
      if (typeof value !== "string") {
        return invalid(`OpenAI batch metadata values must be strings; the value of ${JSON.stringify(key)} is a ${typeof value}.`)
      }
      if (value.length > METADATA_LIMITS.valueLength) {
        return invalid(`OpenAI batch metadata values are at most ${METADATA_LIMITS.valueLength} characters; the value of ${JSON.stringify(key)} has ${value.length}. Shorten it.`)
      }
    }
  }
  return Either.void
}

// ---------------------------------------------------------------------------------------------
// the batch object
// ---------------------------------------------------------------------------------------------

/**
 * What we read of OpenAI's batch object (the SDK's `Batch`, every field but id optional here).
 *
 * @since 0.1.0
 * @category models
 */
export interface WireBatch {
  readonly id: string
  readonly status?: string | undefined
  readonly endpoint?: string | undefined
  readonly completion_window?: string | undefined
  readonly input_file_id?: string | undefined
  readonly output_file_id?: string | null | undefined
  readonly error_file_id?: string | null | undefined
  readonly model?: string | null | undefined
  readonly metadata?: Readonly<Record<string, string>> | null | undefined
  readonly request_counts?: { readonly total?: number; readonly completed?: number; readonly failed?: number } | null | undefined
  readonly errors?: { readonly data?: ReadonlyArray<{ readonly code?: string | null; readonly message?: string | null; readonly line?: number | null; readonly param?: string | null }> | null } | null | undefined
  readonly created_at?: number | undefined
  readonly in_progress_at?: number | null | undefined
  readonly finalizing_at?: number | null | undefined
  readonly completed_at?: number | null | undefined
  readonly failed_at?: number | null | undefined
  readonly expired_at?: number | null | undefined
  readonly expires_at?: number | null | undefined
  readonly cancelling_at?: number | null | undefined
  readonly cancelled_at?: number | null | undefined
  readonly usage?: unknown
}

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : 0)
// a time out of Date's range is left out like a missing one (new Date would be Invalid Date)
const seconds = (t: unknown): Date | undefined => {
  const date = typeof t === "number" && Number.isFinite(t) ? new Date(t * 1000) : undefined
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : undefined
}
const text = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const iso = (t: unknown): string | undefined => seconds(t)?.toISOString()

/**
 * The `details` keys of an OpenAI batch (JSON-safe; timestamps as ISO strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface Details {
  readonly inputFileId?: string
  readonly outputFileId?: string
  readonly errorFileId?: string
  readonly endpoint?: string
  readonly completionWindow?: string
  readonly model?: string
  readonly metadata?: Readonly<Record<string, string>>
  readonly requestCounts?: { readonly total: number; readonly completed: number; readonly failed: number }
  readonly inProgressAt?: string
  readonly finalizingAt?: string
  readonly completedAt?: string
  readonly failedAt?: string
  readonly expiredAt?: string
  readonly expiresAt?: string
  readonly cancellingAt?: string
  readonly cancelledAt?: string
  readonly usage?: unknown
}

const defined = <A extends Record<string, unknown>>(record: A): Partial<A> =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null)) as Partial<A>

/**
 * OpenAI's batch status, which has our names: unknown future statuses count as `in_progress`,
 * so polling goes on (bounded by `timeout`) instead of failing a batch that may still succeed.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusFromOpenAi = (status: string): BatchStatus =>
  (BatchStatus.literals as ReadonlyArray<string>).includes(status) ? (status as BatchStatus) : "in_progress"

/**
 * OpenAI's batch object as our {@link Batch}: the status as is ({@link statusFromOpenAi}),
 * `completedCount` = `request_counts.completed` (requests that succeeded), `failedCount` =
 * `request_counts.failed`, and, once the batch is over, every request that did not succeed
 * (expired and cancelled ones included, which OpenAI may not count). `requestCount` is at
 * least `knownCount` (OpenAI reports 0 while validating). Batch-level `errors.data` become
 * `errors`; file ids, endpoint, window, model, metadata, counts and timestamps go in `details`.
 *
 * @since 0.1.0
 * @category utils
 */
export const batchFromWire = (wire: WireBatch, knownCount = 0): Batch => {
  const status: BatchStatus = statusFromOpenAi(wire.status ?? "in_progress")
  const counts = { total: count(wire.request_counts?.total), completed: count(wire.request_counts?.completed), failed: count(wire.request_counts?.failed) }
  const requestCount = Math.max(counts.total, knownCount)
  const over = status === "completed" || status === "expired" || status === "cancelled"
  const completedAt = seconds(wire.completed_at ?? wire.failed_at ?? wire.expired_at ?? wire.cancelled_at)
  const details: Details = defined({
    inputFileId: text(wire.input_file_id),
    outputFileId: text(wire.output_file_id),
    errorFileId: text(wire.error_file_id),
    endpoint: text(wire.endpoint),
    completionWindow: text(wire.completion_window),
    model: text(wire.model),
    metadata: wire.metadata ?? undefined,
    requestCounts: counts,
    inProgressAt: iso(wire.in_progress_at),
    finalizingAt: iso(wire.finalizing_at),
    completedAt: iso(wire.completed_at),
    failedAt: iso(wire.failed_at),
    expiredAt: iso(wire.expired_at),
    expiresAt: iso(wire.expires_at),
    cancellingAt: iso(wire.cancelling_at),
    cancelledAt: iso(wire.cancelled_at),
    usage: wire.usage ?? undefined
  })
  return new Batch({
    id: wire.id,
    provider: PROVIDER,
    status,
    requestCount,
    completedCount: counts.completed,
    failedCount: over ? Math.max(counts.failed, requestCount - counts.completed) : counts.failed,
    createdAt: seconds(wire.created_at) ?? new Date(0),
    ...(completedAt !== undefined ? { completedAt } : {}),
    // read leniently: an item of the wrong shape keeps what it has rather than failing the batch
    errors: (Array.isArray(wire.errors?.data) ? wire.errors.data : []).filter(isRecord).map((e) =>
      new BatchErrorItem({
        code: text(e.code) ?? "unknown",
        message: text(e.message) ?? "",
        ...(typeof e.line === "number" && Number.isFinite(e.line) ? { line: e.line } : {}),
        ...(typeof e.param === "string" ? { param: e.param } : {})
      })),
    details: details as Record<string, unknown>
    // every field is read and checked above: the constructor's validation (about 1 ms the first
    // time in a process, on each status check) would find nothing
  }, true)
}

/**
 * What the SDK handed over (any JSON: the SDK does not check the body) as our {@link Batch}:
 * {@link batchFromWire} once the one thing it cannot do without is there, an object with a
 * string `id`. Its other fields are read leniently. So a malformed answer is a
 * ResponseDecodeError naming the place, never an exception.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeBatchWire = (wire: unknown, knownCount = 0): Either.Either<Batch, ResponseDecodeError> => {
  if (!isRecord(wire)) return Either.left(new ResponseDecodeError({ provider: PROVIDER, path: "batch", detail: "expected a batch object" }))
  if (typeof wire.id !== "string") {
    return Either.left(new ResponseDecodeError({ provider: PROVIDER, path: "batch.id", detail: `expected a string, got ${JSON.stringify(wire.id) ?? "nothing"}` }))
  }
  return Either.right(batchFromWire(wire as unknown as WireBatch, knownCount))
}

/**
 * The file ids of a batch's `details` (undefined when the Batch did not come from OpenAI).
 *
 * @since 0.1.0
 * @category utils
 */
export const filesOf = (batch: Batch): { readonly input?: string; readonly output?: string; readonly error?: string } | undefined => {
  const d = batch.details as Details
  if (typeof d.inputFileId !== "string") return undefined
  return defined({ input: d.inputFileId, output: d.outputFileId, error: d.errorFileId })
}

// ---------------------------------------------------------------------------------------------
// result lines
// ---------------------------------------------------------------------------------------------

/** Our code for a line-level `error.code` (OpenAI's `batch_expired` / `batch_cancelled`). */
const lineErrorCode = (code: string | null | undefined): string =>
  code === "batch_expired" ? ResultErrorCode.expired : code === "batch_cancelled" ? ResultErrorCode.cancelled : code ?? "error"

/**
 * The code of a failed request's result when its success body could not be decoded.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESPONSE_DECODE_ERROR = "response_decode_error"


/**
 * Where a line came from, for error messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface LineSource {
  /** "output" or "error". */
  readonly file: "output" | "error"
  readonly fileId: string
  /** 1-based line number in that file. */
  readonly line: number
}

/**
 * One line of an output or error file as a {@link BatchResult}:
 * - `response.status_code` < 400: the body decoded by `decodeChatCompletion` (a body that does
 *   not decode is a failure with code "response_decode_error": the other results still count);
 * - `response.status_code` ≥ 400: a failure with the provider's error code (else its type, else
 *   `http_<status>`) and message;
 * - no response: the line's `error`; `batch_expired` → "expired", `batch_cancelled` → "cancelled".
 * A line that is not JSON or has no `custom_id` fails with ResponseDecodeError naming the file
 * and line number: it cannot be attributed to a request, and dropping it would hide a result.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResultLine = (
  text: string,
  source: LineSource,
  requestedModel: string,
  api: BatchApi = chatCompletionsApi
): Either.Either<BatchResult, ResponseDecodeError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(new ResponseDecodeError({ provider: PROVIDER, path: where(source), detail: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` }))
  }
  // checked by hand, not with a Schema, and no closure or message built unless a line needs it:
  // this runs once per line of files of up to 50,000 lines
  const customId = isRecord(json) ? json.custom_id : undefined
  const response = isRecord(json) ? json.response : undefined
  const error = isRecord(json) ? json.error : undefined
  if (typeof customId !== "string" || !(response == null || (isRecord(response) && typeof response.status_code === "number")) || !(error == null || isRecord(error))) {
    return Either.left(new ResponseDecodeError({ provider: PROVIDER, path: where(source), detail: "not a batch result line: it needs a string custom_id and a response or an error" }))
  }
  // results built from the checked fields and the response its Schema decoded (internal/batch/results.ts)
  if (isRecord(response)) {
    const status = response.status_code as number
    if (status >= 400) {
      const body = isRecord(response.body) && isRecord(response.body.error) ? response.body.error : {}
      const code = typeof body.code === "string" ? body.code : typeof body.type === "string" ? body.type : `http_${status}`
      const message = typeof body.message === "string" ? body.message : `the request failed with status ${status}`
      return Either.right(failed(customId, code, message))
    }
    const requestId = typeof response.request_id === "string" ? response.request_id : undefined
    const decoded = api.decode(response.body, { requestedModel, requestId })
    return Either.right(
      Either.isRight(decoded)
        ? succeeded(customId, decoded.right)
        : failed(customId, RESPONSE_DECODE_ERROR, `${where(source)}: ${decoded.left.message}`)
    )
  }
  if (isRecord(error)) {
    const code = typeof error.code === "string" ? error.code : undefined
    return Either.right(failed(customId, lineErrorCode(code), typeof error.message === "string" ? error.message : `the request failed (${code ?? "no code"})`))
  }
  return Either.right(failed(customId, RESPONSE_DECODE_ERROR, `${where(source)}: the line has neither a response nor an error`))
}

/** Where a line is, for error messages: `output file file-abc line 3`. */
const where = (source: LineSource): string => `${source.file} file ${source.fileId} line ${source.line}`
