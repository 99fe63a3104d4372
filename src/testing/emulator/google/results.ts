/**
 * How an emulated Gemini batch ends: inline batches answer inline, in submission order; file
 * batches answer with a results file of `{key, response | error}` lines, in a fixed shuffled
 * order, left out or written twice as the lifecycle says.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Json } from "../json.js"
import { withCache } from "./caches.js"
import { finishedCount } from "../lifecycle.js"
import { answer, responseJson } from "./generate.js"
import { validateGenerateBody } from "./generateRequest.js"
import { statusNames } from "./http.js"
import type { BatchState, GoogleState } from "./state.js"

/** The response (or scripted error) of request `i`. */
const resultOf = (state: GoogleState, b: BatchState, i: number): Json => {
  const key = b.keys[i]!
  const status = b.lifecycle.errors?.[key]
  if (status !== undefined) return { error: { code: status, message: `emulated failure of ${key}`, status: statusNames[status] ?? "INTERNAL" } }
  const request = b.requests[i]!
  const problem = validateGenerateBody(request)
  if (problem !== undefined) return { error: { code: 400, message: problem, status: "INVALID_ARGUMENT" } }
  const cached = withCache(state, request, b.model)
  if (!("body" in cached)) {
    const error = isRecord(cached.json) && isRecord(cached.json.error) ? cached.json.error : { code: 400, message: "bad request", status: "INVALID_ARGUMENT" }
    return { error }
  }
  return { response: responseJson(answer(state.context, cached.body, b.model, b.headers, cached.cache)) }
}

/**
 * Ends a batch in `state` (a `BATCH_STATE_*`), writing its answers (none for a failed one).
 *
 * @since 0.2.0
 * @category utils
 */
export const finish = (state: GoogleState, b: BatchState, batchState: string): void => {
  b.state = batchState
  b.endTime = new Date().toISOString()
  if (batchState === "BATCH_STATE_FAILED") return
  const answered = finishedCount(b.keys.length, batchState !== "BATCH_STATE_SUCCEEDED", b.lifecycle.processed)
  if (b.source === "inline") {
    // requests that did not run before an expired or cancelled end have no response
    const responses = b.keys.slice(0, answered).map((key, i) => ({ ...resultOf(state, b, i), metadata: { key } }))
    b.output = { inlinedResponses: { inlinedResponses: responses } }
    return
  }
  const omit = new Set(b.lifecycle.omit ?? [])
  const order = b.keys.map((_, i) => i).slice(0, answered)
  // a fixed shuffle: never submission order when there are three lines or more
  order.sort((x, y) => ((x * 7919) % 13) - ((y * 7919) % 13) || x - y)
  if (order.length > 1 && order.every((v, i) => v === i)) order.reverse()
  const lines: Array<string> = []
  for (const i of order) {
    const key = b.keys[i]!
    if (omit.has(key)) continue
    lines.push(JSON.stringify({ key, ...resultOf(state, b, i) }))
  }
  for (const key of b.lifecycle.duplicate ?? []) {
    const i = b.keys.indexOf(key)
    if (i !== -1 && i < answered) lines.push(JSON.stringify({ key, ...resultOf(state, b, i) }))
  }
  const name = `files/batch-results-${b.id}`
  state.files.set(name, { name, mimeType: "application/jsonl", data: Buffer.from(lines.join("\n") + (lines.length > 0 ? "\n" : ""), "utf8") })
  b.output = { responsesFile: name }
}
