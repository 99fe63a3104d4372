/**
 * Pure functions between our batch data and Gemini batch mode: a request out as an inline item
 * (`{contents, config, metadata: {key}}`, which the SDK turns into the wire request) or a JSONL
 * line (`{key, request}`, the wire `GenerateContentRequest` itself, built here), a batch job in as
 * a {@link Batch} ({@link decodeBatch}), a result (inline or a results-file line) in as a
 * {@link BatchResult}. No I/O, no logging.
 * @since 0.1.0
 */
import type { BatchJob, Content, GenerateContentConfig, InlinedRequest } from "@google/genai"
import { Either } from "effect"
import { BatchErrorItem, type InvalidInputError, redact, ResponseDecodeError } from "../../AiError.js"
import { Batch, type BatchRequest, type BatchResult, type BatchStatus } from "../../BatchData.js"
import { failed, succeeded } from "../../internal/batch/results.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { mergeSettings, ModelRequestParameters, type ModelSettings } from "../../Parameters.js"
import { decodeResponse, encodeRequest, providerName, supportedSettings } from "./codec.js"

/**
 * A Gemini batch state (the SDK's `JOB_STATE_*`, or the wire's `BATCH_STATE_*`) in our terms:
 * queued / pending → validating, running → in_progress, succeeded → completed, failed, cancelling,
 * cancelled and expired as they are. Unknown states count as `in_progress`, so polling goes on.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusFromGoogle = (state: string | undefined): BatchStatus => {
  switch ((state ?? "").replace(/^(JOB|BATCH)_STATE_/, "")) {
    case "UNSPECIFIED":
    case "QUEUED":
    case "PENDING":
      return "validating"
    case "SUCCEEDED":
    case "PARTIALLY_SUCCEEDED":
      return "completed"
    case "FAILED":
      return "failed"
    case "CANCELLING":
      return "cancelling"
    case "CANCELLED":
      return "cancelled"
    case "EXPIRED":
      return "expired"
    default:
      return "in_progress"
  }
}

/**
 * A request encoded for a batch, both ways it can travel, and what was not carried over.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedItem {
  readonly model: string
  /** The inline form, for `batches.create({ src: [...] })`. */
  readonly inline: InlinedRequest
  /** The JSONL form: one line of the input file, without the newline. */
  readonly line: string
  readonly warnings: ReadonlyArray<string>
}

const defaultParameters = ModelRequestParameters.from(undefined)

// the config fields that sit beside generationConfig in the wire GenerateContentRequest
const topLevel = new Set(["tools", "toolConfig", "safetySettings", "cachedContent", "systemInstruction", "serviceTier"])
const clientOnly = new Set(["httpOptions", "abortSignal", "labels"])

/**
 * The wire `GenerateContentRequest` of contents and a config, as a JSONL input line carries it.
 *
 * @since 0.1.0
 * @category utils
 */
export const wireRequest = (contents: ReadonlyArray<Content>, config: GenerateContentConfig): Record<string, unknown> => {
  const request: Record<string, unknown> = { contents }
  const generationConfig: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || clientOnly.has(key)) continue
    if (key === "systemInstruction") request.systemInstruction = typeof value === "string" ? { parts: [{ text: value }] } : value
    else if (topLevel.has(key)) request[key] = value
    else generationConfig[key] = value
  }
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig
  return request
}

/**
 * A batch request → its inline item and JSONL line. The contents and config are those a direct
 * request would send (model defaults merged under the request's settings). A per-request
 * `timeout` or `extraHeaders` cannot travel in a batch and settings Gemini lacks are ignored:
 * each becomes a warning.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeItem = (
  modelName: string,
  defaults: ModelSettings | undefined,
  request: BatchRequest
): Either.Either<EncodedItem, InvalidInputError> => {
  const settings = mergeSettings(defaults, request.settings)
  const model = request.model ?? modelName
  return Either.map(
    encodeRequest(model, request.messages, { parameters: request.parameters ?? defaultParameters, settings }),
    (encoded) => {
      const warnings = [...encoded.warnings]
      const unsupported = (Object.keys(settings) as Array<keyof ModelSettings>).filter((key) => settings[key] !== undefined && !supportedSettings.includes(key))
      if (unsupported.length > 0) warnings.push(`Gemini does not support the setting${unsupported.length > 1 ? "s" : ""} ${unsupported.join(", ")}; ignored.`)
      if (settings.timeout !== undefined) warnings.push("the timeout setting was ignored: a batch request cannot carry its own timeout (bound the whole batch with Batch.run's timeout).")
      if (settings.extraHeaders !== undefined) warnings.push("the extraHeaders setting was ignored: a batch request cannot carry its own headers (set them on the client).")
      const { httpOptions: _, ...config } = encoded.config
      return {
        model,
        inline: { contents: encoded.contents, config, metadata: { key: request.customId } },
        line: JSON.stringify({ key: request.customId, request: wireRequest(encoded.contents, config) }),
        warnings
      }
    }
  )
}

/**
 * Bytes a request takes in the JSONL input file (its line and the newline).
 *
 * @since 0.1.0
 * @category utils
 */
export const itemSize = (item: EncodedItem): number => Buffer.byteLength(item.line, "utf8") + 1

const dateOf = (text: string | undefined): Date | undefined => {
  if (text === undefined) return undefined
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * A `BatchJob` → our {@link Batch}: the state through {@link statusFromGoogle}; the counts from
 * the inline responses when there are some (a file batch reports none until its results are
 * read); `details` holds the state, model, display name and results file, JSON-safe.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeBatch = (job: BatchJob, requestCount?: number): Either.Either<Batch, ResponseDecodeError> => {
  if (typeof job.name !== "string" || job.name === "") {
    return Either.left(new ResponseDecodeError({ provider: providerName, path: "name", detail: "a batch job needs a name" }))
  }
  const inline = job.dest?.inlinedResponses
  const succeededCount = inline?.filter((r) => r.response !== undefined && r.error === undefined).length ?? 0
  const failedCount = inline?.filter((r) => r.error !== undefined).length ?? 0
  const createdAt = dateOf(job.createTime) ?? new Date(0)
  const completedAt = dateOf(job.endTime)
  const errors = job.error !== undefined
    ? [new BatchErrorItem({ code: String(job.error.code ?? "error"), message: job.error.message ?? "the batch failed" })]
    : []
  return Either.right(new Batch({
    id: job.name,
    provider: providerName,
    status: statusFromGoogle(job.state),
    requestCount: inline?.length ?? requestCount ?? 0,
    completedCount: succeededCount,
    failedCount,
    createdAt,
    ...(completedAt !== undefined ? { completedAt } : {}),
    errors,
    details: {
      state: job.state ?? null,
      model: job.model ?? null,
      displayName: job.displayName ?? null,
      responsesFile: job.dest?.fileName ?? null,
      inline: inline !== undefined,
      updateTime: job.updateTime ?? null
    }
  }, true))
}

/**
 * Where a result sits, for decode errors.
 *
 * @since 0.1.0
 * @category utils
 */
export const resultPath = (line: number): string => `results line ${line}`

/**
 * One result (an inline response or a parsed results-file line: `{response | error}` with the
 * key beside them or in `metadata.key`) → a {@link BatchResult}. `key` is the fallback id (an
 * inline response's position).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResult = (
  result: unknown,
  context: { readonly modelName: string; readonly fallbackKey: string | undefined; readonly timestamp: Date | undefined; readonly secrets: ReadonlyArray<string>; readonly line: number }
): Either.Either<BatchResult, ResponseDecodeError> => {
  if (!isRecord(result)) return Either.left(new ResponseDecodeError({ provider: providerName, path: resultPath(context.line), detail: "a result must be an object" }))
  const metadata = isRecord(result.metadata) ? result.metadata : {}
  const key = typeof result.key === "string" ? result.key : typeof metadata.key === "string" ? metadata.key : context.fallbackKey
  if (key === undefined) return Either.left(new ResponseDecodeError({ provider: providerName, path: `${resultPath(context.line)}.key`, detail: "a result needs a key" }))
  if (isRecord(result.error)) {
    const error = result.error
    const code = typeof error.status === "string" ? error.status : error.code !== undefined ? String(error.code) : "error"
    return Either.right(failed(key, code, redact(typeof error.message === "string" ? error.message : "the request failed", context.secrets)))
  }
  if (result.response === undefined) {
    return Either.left(new ResponseDecodeError({ provider: providerName, path: resultPath(context.line), detail: "a result needs a response or an error" }))
  }
  return Either.map(
    Either.mapLeft(decodeResponse(result.response, context.modelName, { timestamp: context.timestamp }), (e) =>
      new ResponseDecodeError({ provider: providerName, path: `${resultPath(context.line)}.response.${e.path}`, ...(e.detail !== undefined ? { detail: e.detail } : {}) })),
    (response) => succeeded(key, response)
  )
}
