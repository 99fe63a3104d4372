/**
 * The input of an emulated OpenAI batch: its JSONL file read and validated like the real API's
 * (a batch with errors here fails at its first status call), each line's body checked like the
 * endpoint's own route, and the enqueued tokens a line counts for.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Scripted } from "../route.js"
import { validateChatBody } from "./chatRequest.js"
import { validateResponses } from "./responses.js"

type Json = Record<string, unknown>

/**
 * One request of the input file.
 *
 * @since 0.2.0
 * @category models
 */
export interface InputLine {
  readonly customId: string
  readonly body: Json
}

/**
 * The endpoints a batch may use; Azure OpenAI names the same endpoints without the `/v1` prefix.
 *
 * @since 0.2.0
 * @category constants
 */
export const supportedEndpoints: ReadonlySet<string> = new Set(["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/responses", "/chat/completions"])

/**
 * Whether a batch runs on the Responses API (its lines answer `response` objects).
 *
 * @since 0.2.0
 * @category guards
 */
export const isResponsesEndpoint = (endpoint: string): boolean => endpoint === "/v1/responses" || endpoint === "/responses"

/**
 * The body checks of a line's endpoint: the 400 its route would answer, if any.
 *
 * @since 0.2.0
 * @category utils
 */
export const validateLine = (endpoint: string, body: unknown): Scripted | undefined =>
  isResponsesEndpoint(endpoint) ? validateResponses(body) : validateChatBody(body)

/**
 * How the emulator counts a batch's enqueued tokens against `enqueuedTokenLimits`: per input
 * line, its UTF-8 bytes with the newline divided by 4 (rounded up), plus its body's
 * `max_completion_tokens` (or `max_tokens`). The same figure as the library's default
 * `Batch.estimateTokens` of a request, so tests can check a budget exactly; the real API counts
 * with its tokenizer.
 *
 * @since 0.1.0
 * @category utils
 */
export const enqueuedTokensOf = (lineText: string, body: Readonly<Record<string, unknown>>): number => {
  const output = typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : typeof body.max_tokens === "number" ? body.max_tokens : 0
  return Math.ceil((Buffer.byteLength(lineText) + 1) / 4) + output
}

/**
 * Reads the input file like the real API's validation: the batch fails with these errors.
 *
 * @since 0.2.0
 * @category codecs
 */
export const readInput = (raw: Buffer, endpoint: string): { lines: Array<InputLine>; errors: Array<Json> } => {
  const lines: Array<InputLine> = []
  const errors: Array<Json> = []
  const seen = new Set<string>()
  let model: string | undefined
  const error = (line: number, code: string, message: string, param: string | null = null) => {
    if (errors.length < 100) errors.push({ code, message, param, line })
  }
  const texts = raw.toString("utf8").split("\n")
  texts.forEach((text, i) => {
    const n = i + 1
    if (text.trim() === "") return
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return error(n, "invalid_json_line", "This line is not parseable as valid JSON.")
    }
    if (!isRecord(json)) return error(n, "invalid_json_line", "This line is not a JSON object.")
    if (typeof json.custom_id !== "string" || json.custom_id === "") return error(n, "missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id")
    if (json.method !== "POST") return error(n, "invalid_request", "The method for this request must be POST.", "method")
    if (json.url !== endpoint) return error(n, "invalid_url", `The URL provided for this request does not match the batch endpoint (${endpoint}).`, "url")
    if (!isRecord(json.body)) return error(n, "missing_required_parameter", "Missing required parameter: 'body'.", "body")
    if (seen.has(json.custom_id)) {
      return error(n, "duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.", "custom_id")
    }
    seen.add(json.custom_id)
    const lineModel = typeof json.body.model === "string" ? json.body.model : undefined
    if (model === undefined) model = lineModel
    else if (lineModel !== model) {
      return error(n, "mismatched_model", `The provided model '${lineModel}' does not match the model of the other requests in this batch ('${model}'). A batch may only use one model.`, "body.model")
    }
    lines.push({ customId: json.custom_id, body: json.body })
  })
  if (lines.length === 0 && errors.length === 0) error(1, "empty_file", "The input file has no requests.")
  if (lines.length > 50_000) error(50_001, "too_many_requests", "A batch may hold at most 50,000 requests.")
  return { lines, errors }
}
