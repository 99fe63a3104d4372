/**
 * Gemini's batch mode on the emulator: `POST /v1beta/models/{model}:batchGenerateContent`
 * (inline requests, or a JSONL file of `{key, request}` lines), `GET /v1beta/batches[/{id}]`
 * (each get a step of the lifecycle) and `POST /v1beta/batches/{id}:cancel`.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { asArray, type Json } from "../json.js"
import type { Handler } from "../route.js"
import { modelOf } from "./generate.js"
import { googleError, keyProblem, nextId } from "./http.js"
import { lifecycleOf } from "./lifecycle.js"
import { finish } from "./results.js"
import { type BatchState, finalStates, type GoogleState } from "./state.js"

/** One status call's step: `RUNNING` after the first, final after `statusCalls`. */
const advance = (state: GoogleState, b: BatchState) => {
  if (finalStates.includes(b.state)) return
  const calls = b.lifecycle.statusCalls ?? 1
  if (b.statusCalls >= calls) {
    const outcome = b.lifecycle.outcome ?? "succeeded"
    finish(state, b, `BATCH_STATE_${outcome.toUpperCase()}`)
  } else if (b.statusCalls > 0) {
    b.state = "BATCH_STATE_RUNNING"
  }
}

/**
 * The long-running operation of a batch as it stands.
 *
 * @since 0.2.0
 * @category codecs
 */
export const operation = (b: BatchState): Json => {
  const answered = b.output !== undefined && isRecord(b.output.inlinedResponses)
    ? asArray(b.output.inlinedResponses.inlinedResponses).filter(isRecord)
    : []
  return {
    name: `batches/${b.id}`,
    metadata: {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
      name: `batches/${b.id}`,
      displayName: b.displayName,
      model: `models/${b.model}`,
      state: b.state,
      createTime: b.createTime,
      updateTime: b.endTime ?? b.createTime,
      ...(b.endTime !== undefined ? { endTime: b.endTime } : {}),
      batchStats: {
        requestCount: String(b.keys.length),
        successfulRequestCount: String(answered.filter((r) => r.response !== undefined).length),
        failedRequestCount: String(answered.filter((r) => r.error !== undefined).length)
      },
      ...(b.output !== undefined ? { output: b.output } : {})
    },
    done: finalStates.includes(b.state)
  }
}

/**
 * The batch handlers of one emulator.
 *
 * @since 0.2.0
 * @category constructors
 */
export const batchHandlers = (state: GoogleState) => {
  const { batches, context, files } = state
  const createBatch: Handler = (request) => {
    const rejected = keyProblem(request)
    if (rejected !== undefined) return rejected
    const body = request.body
    const batch = isRecord(body) && isRecord(body.batch) ? body.batch : undefined
    const input = batch !== undefined && isRecord(batch.inputConfig) ? batch.inputConfig : undefined
    if (input === undefined) return googleError(400, "* BatchGenerateContentRequest.batch.input_config: input_config is required")
    const keys: Array<string> = []
    const requests: Array<Json> = []
    let source: "inline" | "file"
    if (typeof input.fileName === "string") {
      source = "file"
      const file = files.get(input.fileName)
      if (file === undefined || file.data === undefined) return googleError(404, `File ${input.fileName} not found.`)
      for (const [i, line] of file.data.toString("utf8").split("\n").entries()) {
        if (line.trim() === "") continue
        let parsed: unknown
        try {
          parsed = JSON.parse(line)
        } catch {
          return googleError(400, `the input file's line ${i + 1} is not JSON`)
        }
        if (!isRecord(parsed) || typeof parsed.key !== "string" || !isRecord(parsed.request)) return googleError(400, `the input file's line ${i + 1} needs a key and a request`)
        keys.push(parsed.key)
        requests.push(parsed.request)
      }
    } else if (isRecord(input.requests)) {
      source = "inline"
      for (const [i, item] of asArray(input.requests.requests).entries()) {
        if (!isRecord(item) || !isRecord(item.request)) return googleError(400, `* batch.input_config.requests.requests[${i}].request: request is required`)
        const metadata = isRecord(item.metadata) ? item.metadata : {}
        keys.push(typeof metadata.key === "string" ? metadata.key : String(i))
        requests.push(item.request)
      }
    } else {
      return googleError(400, "* BatchGenerateContentRequest.batch.input_config: requests or file_name is required")
    }
    if (requests.length === 0) return googleError(400, "* batch.input_config: at least one request is required")
    const b: BatchState = {
      id: nextId(context, "emu").replace(/[^a-z0-9]/g, ""),
      model: modelOf(request),
      displayName: typeof batch?.displayName === "string" ? batch.displayName : "",
      source,
      keys,
      requests,
      lifecycle: lifecycleOf(request.headers, state.lifecycle),
      headers: request.headers,
      createTime: new Date().toISOString(),
      state: "BATCH_STATE_PENDING",
      endTime: undefined,
      statusCalls: 0,
      cancelCalls: 0,
      output: undefined
    }
    batches.set(b.id, b)
    if ((b.lifecycle.statusCalls ?? 1) === 0) advance(state, b)
    return { json: operation(b) }
  }

  const getBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return googleError(404, `Batch batches/${request.params.id} not found.`)
    b.statusCalls += 1
    advance(state, b)
    return { json: operation(b) }
  }

  const cancelBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return googleError(404, `Batch batches/${request.params.id} not found.`)
    b.cancelCalls += 1
    if (!finalStates.includes(b.state)) finish(state, b, "BATCH_STATE_CANCELLED")
    return { json: {} }
  }

  const listBatches: Handler = (request) => {
    const all = [...batches.values()].reverse()
    const size = Math.max(1, Number(request.query.get("pageSize") ?? 50) || 50)
    const start = Number(request.query.get("pageToken") ?? 0) || 0
    const page = all.slice(start, start + size)
    return { json: { operations: page.map(operation), ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}) } }
  }

  return { createBatch, getBatch, cancelBatch, listBatches }
}
