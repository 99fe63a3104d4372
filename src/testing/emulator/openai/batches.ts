/**
 * OpenAI's Batch API on the emulator: `POST /v1/batches` (validated like the real API, queue
 * limits included), `GET /v1/batches/:id` (each call a step of the lifecycle),
 * `POST /v1/batches/:id/cancel`, `GET /v1/batches` (newest first, paged), and
 * `POST /v1/emulator/batch-lifecycle` (the default lifecycle, from another process).
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Handler } from "../route.js"
import { enqueuedTokensOf, readInput, supportedEndpoints, validateLine } from "./batchInput.js"
import { notFound } from "./files.js"
import { openAiError, responseHeaders } from "./http.js"
import { type OpenAiBatchLifecycle, openAiBatchLifecycleHeaderName, parseLifecycle } from "./lifecycle.js"
import { advance, start } from "./progress.js"
import { type BatchState, enqueuedTokens, finalStatuses, nextId, now, type OpenAiState } from "./state.js"

type Json = Record<string, unknown>

/**
 * The `batch` object of a batch as it stands.
 *
 * @since 0.2.0
 * @category codecs
 */
export const batchJson = (b: BatchState): Json => {
  const n = b.statuses.length
  const validating = b.status === "validating" || (b.status === "failed" && b.validationErrors.length > 0)
  const final = finalStatuses.has(b.status)
  const done = b.status === "finalizing" ? n : b.processed
  const ok = b.statuses.slice(0, done).filter((s) => s < 400).length
  // at the end the unfinished requests of an expired or cancelled batch count as failed
  const failed = final && b.status !== "completed" ? n - ok : done - ok
  const t = b.times
  return {
    id: b.id,
    object: "batch",
    endpoint: b.endpoint,
    model: b.model ?? null,
    errors: b.errors === undefined ? null : { object: "list", data: b.errors },
    input_file_id: b.inputFileId,
    completion_window: "24h",
    status: b.status,
    output_file_id: b.outputFileId ?? null,
    error_file_id: b.errorFileId ?? null,
    created_at: b.createdAt,
    in_progress_at: t.in_progress ?? null,
    expires_at: b.createdAt + 86_400,
    finalizing_at: t.finalizing ?? null,
    completed_at: t.completed ?? null,
    failed_at: t.failed ?? null,
    expired_at: t.expired ?? null,
    cancelling_at: t.cancelling ?? null,
    cancelled_at: t.cancelled ?? null,
    request_counts: validating ? { total: 0, completed: 0, failed: 0 } : { total: n, completed: ok, failed },
    metadata: b.metadata
  }
}

/**
 * The Batch API handlers of one emulator (the key is checked by the routes).
 *
 * @since 0.2.0
 * @category constructors
 */
export const batchHandlers = (state: OpenAiState) => {
  const { batches, files } = state
  const createBatch: Handler = (request) => {
    const body = request.body
    if (!isRecord(body)) return openAiError(400, "We could not parse the JSON body of your request.")
    const inputFileId = body.input_file_id
    if (typeof inputFileId !== "string") return openAiError(400, "Missing required parameter: 'input_file_id'.", { param: "input_file_id" })
    const endpoint = body.endpoint
    if (typeof endpoint !== "string" || !supportedEndpoints.has(endpoint)) {
      return openAiError(400, `Invalid value for 'endpoint': '${String(endpoint)}'.`, { param: "endpoint", code: "invalid_value" })
    }
    if (body.completion_window !== "24h") {
      return openAiError(400, `Invalid value for 'completion_window': '${String(body.completion_window)}'. Supported values are: '24h'.`, { param: "completion_window", code: "invalid_value" })
    }
    const metadata: Record<string, string> = {}
    if (body.metadata !== undefined && body.metadata !== null) {
      if (!isRecord(body.metadata)) return openAiError(400, "Invalid type for 'metadata': expected an object.", { param: "metadata" })
      const entries = Object.entries(body.metadata)
      if (entries.length > 16) return openAiError(400, "Invalid 'metadata': too many properties. Expected an object with at most 16 properties.", { param: "metadata" })
      for (const [k, v] of entries) {
        if (k.length > 64) return openAiError(400, `Invalid 'metadata': key '${k}' is longer than 64 characters.`, { param: "metadata" })
        if (typeof v !== "string" || v.length > 512) return openAiError(400, `Invalid 'metadata': the value of '${k}' must be a string of at most 512 characters.`, { param: "metadata" })
        metadata[k] = v
      }
    }
    const file = files.get(inputFileId)
    if (file === undefined || file.raw === undefined) return notFound("file", inputFileId)
    if (file.purpose !== "batch") return openAiError(400, `File ${inputFileId} was not uploaded with purpose 'batch'.`, { param: "input_file_id" })
    const { lines, errors } = readInput(file.raw, endpoint)
    const lifecycle = parseLifecycle(metadata.emulator_lifecycle) ?? parseLifecycle(request.headers[openAiBatchLifecycleHeaderName]) ?? state.lifecycle ?? {}
    const failing = lifecycle.errors ?? {}
    const model = lines[0] !== undefined && typeof lines[0].body.model === "string" ? lines[0].body.model : undefined
    const texts = file.raw.toString("utf8").split("\n").filter((l) => l.trim() !== "")
    const tokens = lines.reduce((sum, l, i) => sum + enqueuedTokensOf(texts[i] ?? "", l.body), 0)
    const limit = model === undefined ? undefined : state.tokenLimits?.[model]
    const enqueued = model === undefined ? 0 : enqueuedTokens(state, model)
    const queueFull = errors.length === 0 && limit !== undefined && enqueued + tokens > limit
    if (model !== undefined && errors.length === 0 && !queueFull) state.peaks.set(model, Math.max(state.peaks.get(model) ?? 0, enqueued + tokens))
    const rejected: ReadonlyArray<Json> = queueFull
      ? [{
          code: "token_limit_exceeded",
          message: `Enqueued token limit reached for ${model} in organization org-emulator. Limit: ${limit.toLocaleString("en-US")} enqueued tokens. Please try again once some in_progress batches have been completed.`,
          param: null,
          line: null
        }]
      : errors
    const b: BatchState = {
      id: nextId(state, "batch_"),
      seq: batches.size + 1,
      createdAt: now(),
      inputFileId,
      endpoint,
      metadata,
      lifecycle,
      model,
      customIds: lines.map((l) => l.customId),
      lines,
      // a body the chat route would reject fails like it, with status 400
      // own keys only: an id like "toString" or "__proto__" is not scripted to fail
      statuses: lines.map((l) => (Object.hasOwn(failing, l.customId) ? failing[l.customId] : undefined) ?? (validateLine(endpoint, l.body) !== undefined ? 400 : 200)),
      headers: request.headers,
      validationErrors: rejected,
      tokens,
      status: "validating",
      polls: 0,
      cancels: 0,
      cancelledAfter: undefined,
      processed: 0,
      times: {},
      outputFileId: undefined,
      errorFileId: undefined,
      errors: undefined
    }
    batches.set(b.id, b)
    start(state, b, rejected)
    return { headers: responseHeaders(state.context), json: batchJson(b) }
  }

  const retrieveBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return notFound("batch", request.params.id ?? "")
    advance(state, b)
    return { headers: responseHeaders(state.context), json: batchJson(b) }
  }

  const cancelBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return notFound("batch", request.params.id ?? "")
    b.cancels += 1
    if (finalStatuses.has(b.status)) return openAiError(400, `Cannot cancel a batch with status '${b.status}'.`, { code: "invalid_request" })
    if (b.status !== "cancelling") {
      b.cancelledAfter = b.processed
      b.status = "cancelling"
      b.times.cancelling = now()
    }
    return { headers: responseHeaders(state.context), json: batchJson(b) }
  }

  const listBatches: Handler = (request) => {
    const rawLimit = Number.parseInt(request.query.get("limit") ?? "20", 10)
    const limit = Number.isFinite(rawLimit) ? Math.min(100, Math.max(1, rawLimit)) : 20
    const after = request.query.get("after")
    const newestFirst = [...batches.values()].reverse()
    const from = after === null ? 0 : newestFirst.findIndex((b) => b.id === after) + 1
    const page = newestFirst.slice(from, from + limit)
    return {
      headers: responseHeaders(state.context),
      json: {
        object: "list",
        data: page.map(batchJson),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: from + limit < newestFirst.length
      }
    }
  }

  const setLifecycle: Handler = (request) => {
    state.lifecycle = isRecord(request.body) ? (request.body as OpenAiBatchLifecycle) : undefined
    return { json: { lifecycle: state.lifecycle ?? null } }
  }

  return { createBatch, retrieveBatch, cancelBatch, listBatches, setLifecycle }
}
