/**
 * How an emulated OpenAI batch ends: its result files written (finished requests answer as the
 * route would, the rest expire or are cancelled; lines in the lifecycle's order, left out or
 * written twice), or its failure with `errors.data`. Either way its webhook is announced.
 *
 * @since 0.2.0
 */
import { arrange, chunkLines } from "../lifecycle.js"
import { isResponsesEndpoint, validateLine } from "./batchInput.js"
import { answerChat } from "./chat.js"
import { openAiError } from "./http.js"
import type { OpenAiBatchLifecycle } from "./lifecycle.js"
import { answerResponse } from "./responses.js"
import { type BatchState, nextId, now, type OpenAiState } from "./state.js"
import { announce } from "./webhooks.js"

type Json = Record<string, unknown>

/** A result line and the custom id it answers. */
interface Line {
  readonly id: string
  readonly text: string
}

/** Stores result lines as a file written a group of lines at a time; no file for no lines. */
const store = (state: OpenAiState, b: BatchState, lines: ReadonlyArray<Line>): string | undefined => {
  const lc = b.lifecycle
  const texts = arrange(lines, (line) => line.id, b.id, lc).map((line) => line.text)
  if (texts.length === 0) return undefined
  const chunks = chunkLines(texts, lc.linesPerChunk)
  let bytes = 0
  for (const chunk of chunks) bytes += Buffer.byteLength(chunk)
  const id = nextId(state, "file-")
  state.files.set(id, {
    id,
    filename: `${b.id}_${id}.jsonl`,
    purpose: "batch_output",
    createdAt: now(),
    bytes,
    chunks,
    chunkDelayMs: lc.chunkDelayMs
  })
  return id
}

/**
 * Writes the result files: finished requests answer, the rest expire or are cancelled.
 *
 * @since 0.2.0
 * @category utils
 */
export const finish = (state: OpenAiState, b: BatchState, status: "completed" | "expired" | "cancelled", processed: number): void => {
  const lc = b.lifecycle
  const lines = b.lines ?? []
  const output: Array<Line> = []
  const errorLines: Array<Line> = []
  // identical requests get identical answers: build each distinct answer's JSON once
  const answers = new Map<string, string>()
  const answerText = (body: Json): string => {
    const key = JSON.stringify(body)
    let text = answers.get(key)
    if (text === undefined) {
      // a batch on the Responses API answers `response` objects (responses.ts)
      text = JSON.stringify(isResponsesEndpoint(b.endpoint) ? answerResponse(body, b.headers) : answerChat(body, b.headers))
      answers.set(key, text)
    }
    return text
  }
  lines.forEach((line, i) => {
    const lineId = `batch_req_${b.id.slice(6)}_${i}`
    const requestId = `req_emu_batch_${b.seq}_${i}`
    const wrap = (response: Json | null, error: Json | null) =>
      JSON.stringify({ id: lineId, custom_id: line.customId, response, error })
    if (i >= processed) {
      if (lc.unprocessedLines === false) return
      const error = status === "expired"
        ? { code: "batch_expired", message: "This request could not be executed before the completion window expired." }
        : { code: "batch_cancelled", message: "This request was not executed because the batch was cancelled." }
      errorLines.push({ id: line.customId, text: wrap(null, error) })
      return
    }
    const code = b.statuses[i]!
    if (code < 400) {
      const text = `{"id":${JSON.stringify(lineId)},"custom_id":${JSON.stringify(line.customId)},"response":{"status_code":200,"request_id":${JSON.stringify(requestId)},"body":${answerText(line.body)}},"error":null}`
      output.push({ id: line.customId, text })
      return
    }
    const rejected = validateLine(b.endpoint, line.body)
    const body = rejected?.json ?? openAiError(
      code,
      code >= 500 ? "The server had an error while processing your request." : code === 429 ? "Rate limit reached for requests." : `emulator: request ${line.customId} was scripted to fail.`,
      code === 429 ? { code: "rate_limit_exceeded" } : undefined
    ).json
    errorLines.push({ id: line.customId, text: wrap({ status_code: code, request_id: requestId, body }, null) })
  })
  b.outputFileId = store(state, b, output)
  b.errorFileId = store(state, b, errorLines)
  b.processed = processed
  b.status = status
  b.times[status] = now()
  b.lines = undefined // the answers are written: keep the batch compact
  announce(state.webhooks, b, now())
}

/**
 * Fails a batch with these `errors.data`.
 *
 * @since 0.2.0
 * @category utils
 */
export const fail = (state: OpenAiState, b: BatchState, errors: ReadonlyArray<Json>): void => {
  b.status = "failed"
  b.errors = errors
  b.times.failed = now()
  b.lines = undefined
  announce(state.webhooks, b, now())
}

/**
 * The `errors.data` of a lifecycle that fails the batch.
 *
 * @since 0.2.0
 * @category utils
 */
export const scriptedFailure = (lc: OpenAiBatchLifecycle): ReadonlyArray<Json> =>
  lc.batchErrors ?? [{ code: "invalid_request", message: "emulator: this batch was scripted to fail validation.", param: null, line: 1 }]
