/**
 * The results of an ended Anthropic message batch: one JSONL line per request (succeeded with
 * the message the route would answer, errored as scripted, expired or canceled), in the
 * lifecycle's order, left out, written twice or malformed, in groups of lines per write.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import type { Json } from "../json.js"
import { arrange, chunkLines } from "../lifecycle.js"
import { countBreakpoints } from "./features.js"
import { answerMessage } from "./messages.js"
import { type BatchState, scriptedStatus } from "./state.js"

const statusOfErrorType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529
}

/** The error type Anthropic gives an HTTP status. */
const errorTypeOf = (status: number): string =>
  Object.entries(statusOfErrorType).find(([, s]) => s === status)?.[0] ?? (status >= 500 ? "api_error" : "invalid_request_error")

const answerOf = (context: RouteContext, b: BatchState, index: number): Json =>
  answerMessage(b.params[index]!, { ...b.steering, "x-emulator-id": `msg_emu_${b.seq}_${b.customIds[index]!}` }, context) as Json

/** One result line, or undefined when the request gets none. */
const resultLine = (
  context: RouteContext,
  b: BatchState,
  index: number,
  malformed: ReadonlySet<string>,
  answers: ReadonlyMap<number, Json>
): string | undefined => {
  const customId = b.customIds[index]!
  const ended = b.ended!
  if (index >= ended.processed && b.lifecycle.unprocessedLines === false) return undefined
  if (malformed.has(customId)) return `{"custom_id": "${customId}", "result": this is not json`
  const status = scriptedStatus(b)(customId)
  const result: Json = index >= ended.processed
    ? { type: ended.rest }
    : status !== undefined
    ? { type: "errored", error: { type: "error", error: { type: errorTypeOf(status), message: `emulator: request ${customId} was scripted to fail with ${status}` } } }
    : { type: "succeeded", message: answers.get(index) ?? answerOf(context, b, index) }
  return JSON.stringify({ custom_id: customId, result })
}

/**
 * The JSONL of an ended batch, in writes: lines in the scripted order, duplicated, left out.
 *
 * @since 0.2.0
 * @category utils
 */
export const buildChunks = (context: RouteContext, b: BatchState): ReadonlyArray<string> => {
  const malformed = new Set(b.lifecycle.malformed ?? [])
  const indices = arrange(b.customIds.map((_, i) => i), (i) => b.customIds[i]!, b.id, b.lifecycle)
  // requests with prompt-cache breakpoints are answered in submission order first, so the first
  // of a shared prefix writes the cache whatever order the lines come in
  const answers = new Map<number, Json>()
  if (b.params.some((p) => countBreakpoints(p) > 0)) {
    const status = scriptedStatus(b)
    for (let i = 0; i < b.ended!.processed; i++) if (status(b.customIds[i]!) === undefined) answers.set(i, answerOf(context, b, i))
  }
  const lines: Array<string> = []
  for (const i of indices) {
    const line = resultLine(context, b, i, malformed, answers)
    if (line !== undefined) lines.push(line)
  }
  return chunkLines(lines, b.lifecycle.linesPerChunk)
}
