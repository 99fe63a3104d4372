/**
 * Anthropic routes of the emulator: `POST /v1/messages`, answering JSON, or SSE when the body
 * says `stream: true`. The wire shapes are written by hand after the recorded fixtures
 * (test/fixtures/recorded/test_anthropic__*.yaml), never through this library's codec, so a
 * codec bug cannot hide behind a matching emulator bug.
 *
 * Besides the body, a few request headers steer the answer (tests set them through the
 * `extraHeaders` setting):
 * - `x-emulator-deltas: N` streams the text in exactly N `text_delta` events;
 * - `x-emulator-stop-reason: R` reports stop reason R (for example `refusal`, `pause_turn`);
 * - `x-emulator-cache-read: N` / `x-emulator-cache-write: N` report N cached input tokens;
 * - `x-emulator-id: X` names the message X and its tool calls `toolu_X_<n>`, so two requests
 *   (say, one streamed, one not) can get the very same answer.
 * A `thinking: {type: "enabled" | "adaptive"}` body answers with a signed thinking block first;
 * `stop_sequences` found in the answer cut it there; a small `max_tokens` cuts it short.
 */
import { respond, type ResponderInput, type ResponderOutput, splitInto, tokens } from "./responder.js"
import type { RecordedRequest, Route, RouteContext, Scripted } from "./Server.js"

/** An error body in Anthropic's format: `{"type":"error","error":{"type":…,"message":…}}`. */
export const anthropicError = (status: number, type: string, message: string, headers?: Readonly<Record<string, string>>): Scripted => ({
  status,
  json: { type: "error", error: { type, message } },
  headers: { "request-id": nextId("req_emu_"), ...headers }
})

let counter = 0
const nextId = (prefix: string): string => `${prefix}${(++counter).toString().padStart(6, "0")}`

type Json = Record<string, unknown>
const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const asArray = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/** The text of a wire `content` (a string or blocks); only `text` blocks count. */
const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : asArray(content).flatMap((b) => (isRecord(b) && b.type === "text" && typeof b.text === "string" ? [b.text] : [])).join("\n")

/** The responder's view of a Messages API request, read straight off the wire JSON. */
export const responderInput = (body: Json): ResponderInput => {
  const messages = asArray(body.messages).filter(isRecord)
  const users = messages.filter((m) => m.role === "user")
  const last = messages[messages.length - 1]
  // tool results only count when they are the newest turn (after the last assistant tool call)
  const toolResults = last !== undefined && last.role === "user"
    ? asArray(last.content).flatMap((b) => (isRecord(b) && b.type === "tool_result" ? [textOf(b.content)] : []))
    : []
  const lastUserText = [...users].reverse().map((m) => textOf(m.content)).find((t) => t !== "") ?? ""
  const tools = asArray(body.tools).filter(isRecord).map((t) => ({ name: String(t.name), parameters: t.input_schema }))
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined
  const toolChoice: ResponderInput["toolChoice"] =
    choice === undefined ? undefined
    : choice.type === "any" ? "required"
    : choice.type === "none" ? "none"
    : choice.type === "tool" ? { name: String(choice.name) }
    : "auto"
  return { lastUserText, toolResults, tools, toolChoice, model: String(body.model ?? "") }
}

/** What the request is missing or gets wrong, as the real API would reject it (400). */
const validate = (body: unknown): string | undefined => {
  if (!isRecord(body)) return "request body must be a JSON object"
  if (typeof body.model !== "string" || body.model === "") return "model: Field required"
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Field required"
  const messages = asArray(body.messages)
  if (messages.length === 0) return "messages: at least one message is required"
  let previousToolUses: ReadonlyArray<string> = []
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || (m.role !== "user" && m.role !== "assistant")) return `messages.${i}.role: Input should be 'user' or 'assistant'`
    if (typeof m.content !== "string" && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`
    const blocks = asArray(m.content).filter(isRecord)
    for (const [j, b] of blocks.entries()) {
      if (b.type === "text" && (typeof b.text !== "string" || b.text === "")) return `messages.${i}.content.${j}.text: text content blocks must be non-empty`
      if (b.type === "tool_use" && !isRecord(b.input)) return `messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`
      if (b.type === "thinking" && typeof b.signature !== "string") return `messages.${i}.content.${j}.thinking.signature: Field required`
    }
    if (m.role === "user" && previousToolUses.length > 0) {
      const results = new Set(blocks.flatMap((b) => (b.type === "tool_result" ? [String(b.tool_use_id)] : [])))
      const missing = previousToolUses.filter((id) => !results.has(id))
      if (missing.length > 0) return `messages.${i}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(", ")}`
      const firstOther = blocks.findIndex((b) => b.type !== "tool_result")
      if (firstOther !== -1 && blocks.slice(firstOther).some((b) => b.type === "tool_result")) return `messages.${i}: tool_result blocks must come first in the content`
    }
    previousToolUses = m.role === "assistant" ? blocks.flatMap((b) => (b.type === "tool_use" ? [String(b.id)] : [])) : []
  }
  if (isRecord(body.tool_choice) && ["any", "tool"].includes(String(body.tool_choice.type)) && asArray(body.tools).length === 0) {
    return "tool_choice: may only be specified while providing tools"
  }
  if (isRecord(body.thinking) && body.thinking.type !== "disabled" && isRecord(body.tool_choice) && ["any", "tool"].includes(String(body.tool_choice.type))) {
    return "Thinking may not be enabled when tool_choice forces tool use."
  }
  return undefined
}

type Headers = Readonly<Record<string, string | undefined>>

const headerNumber = (headers: Headers, name: string): number | undefined => {
  const raw = headers[name]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isFinite(n) ? n : undefined
}

interface Answer {
  readonly id: string
  readonly model: string
  readonly blocks: ReadonlyArray<Json>
  readonly stopReason: string
  readonly stopSequence: string | null
  readonly usage: { readonly input: number; readonly output: number; readonly cacheRead: number; readonly cacheWrite: number }
}

/** Decides the whole answer (blocks, stop reason, usage) from the request. */
const answer = (body: Json, headers: Headers): Answer => {
  const output: ResponderOutput = respond(responderInput(body))
  const pinned = headers["x-emulator-id"]
  const blocks: Array<Json> = []
  const thinking = isRecord(body.thinking) && (body.thinking.type === "enabled" || body.thinking.type === "adaptive")
  let stopReason = output.kind === "tool" ? "tool_use" : "end_turn"
  let stopSequence: string | null = null
  if (thinking) {
    const thought = `The user asks: ${responderInput(body).lastUserText.slice(0, 60)}. I will answer directly.`
    blocks.push({ type: "thinking", thinking: thought, signature: Buffer.from(`emulator-signature:${thought.length}`).toString("base64") })
  }
  if (output.kind === "text") {
    let text = output.text
    for (const stop of asArray(body.stop_sequences).filter((s): s is string => typeof s === "string" && s !== "")) {
      const at = text.indexOf(stop)
      if (at !== -1) {
        text = text.slice(0, at)
        stopReason = "stop_sequence"
        stopSequence = stop
        break
      }
    }
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : Infinity
    if (tokens(text) > maxTokens) {
      text = text.slice(0, maxTokens * 4)
      stopReason = "max_tokens"
    }
    if (text !== "") blocks.push({ type: "text", text })
  } else {
    blocks.push({ type: "tool_use", id: pinned !== undefined ? `toolu_${pinned}_0` : nextId("toolu_emu_"), name: output.name, input: output.args })
  }
  const forced = headers["x-emulator-stop-reason"]
  if (forced !== undefined) stopReason = forced
  const outputText = blocks.map((b) => (b.type === "tool_use" ? JSON.stringify(b.input) : String(b.text ?? b.thinking ?? ""))).join("")
  return {
    id: pinned ?? nextId("msg_emu_"),
    model: typeof body.model === "string" ? body.model : "claude-emulator",
    blocks,
    stopReason,
    stopSequence,
    usage: {
      input: tokens(JSON.stringify(body.messages ?? []) + String(typeof body.system === "string" ? body.system : JSON.stringify(body.system ?? ""))),
      output: tokens(outputText),
      cacheRead: headerNumber(headers, "x-emulator-cache-read") ?? 0,
      cacheWrite: headerNumber(headers, "x-emulator-cache-write") ?? 0
    }
  }
}

const usageJson = (a: Answer, output: number) => ({
  input_tokens: a.usage.input,
  cache_creation_input_tokens: a.usage.cacheWrite,
  cache_read_input_tokens: a.usage.cacheRead,
  cache_creation: { ephemeral_5m_input_tokens: a.usage.cacheWrite, ephemeral_1h_input_tokens: 0 },
  output_tokens: output,
  service_tier: "standard"
})

/** The non-streamed Message JSON. */
const messageJson = (a: Answer): Json => ({
  model: a.model,
  id: a.id,
  type: "message",
  role: "assistant",
  content: a.blocks,
  stop_reason: a.stopReason,
  stop_sequence: a.stopSequence,
  usage: usageJson(a, a.usage.output)
})

/**
 * The non-streamed Message JSON the emulator answers to a Messages API body (for example the
 * `params` of a batch request, whose result line carries this message). `headers` take the
 * same `x-emulator-*` steering as a request's.
 */
export const answerMessage = (body: Readonly<Record<string, unknown>>, headers: Headers = {}): Record<string, unknown> =>
  messageJson(answer(body as Json, headers))

/** Exactly `n` pieces (some empty when the text is shorter than `n`). */
const splitExactly = (text: string, n: number): Array<string> =>
  Array.from({ length: n }, (_, i) => text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)))

/** One SSE frame as Anthropic writes it: an `event:` line, a `data:` line, a blank line. */
export const sseFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The SSE frames of an answer, in the order and shape of the recorded fixture. */
const sseFrames = (a: Answer, deltas: number | undefined): Array<string> => {
  const frames: Array<string> = [
    sseFrame("message_start", {
      type: "message_start",
      message: { model: a.model, id: a.id, type: "message", role: "assistant", content: [], stop_reason: null, stop_sequence: null, usage: usageJson(a, 1) }
    })
  ]
  a.blocks.forEach((block, index) => {
    const delta = (d: Json) => frames.push(sseFrame("content_block_delta", { type: "content_block_delta", index, delta: d }))
    // as recorded: one ping right after the first block opens
    const start = (contentBlock: Json) => {
      frames.push(sseFrame("content_block_start", { type: "content_block_start", index, content_block: contentBlock }))
      if (index === 0) frames.push("event: ping\ndata: {\"type\": \"ping\"}\n\n")
    }
    switch (block.type) {
      case "text": {
        start({ type: "text", text: "" })
        const text = String(block.text)
        const pieces = deltas !== undefined ? splitExactly(text, deltas) : splitInto(text, Math.max(1, Math.ceil(text.length / 12)))
        for (const piece of pieces) delta({ type: "text_delta", text: piece })
        break
      }
      case "thinking": {
        start({ type: "thinking", thinking: "", signature: "" })
        for (const piece of splitInto(String(block.thinking), 3)) delta({ type: "thinking_delta", thinking: piece })
        delta({ type: "signature_delta", signature: String(block.signature) })
        break
      }
      case "tool_use": {
        start({ type: "tool_use", id: block.id, name: block.name, input: {} })
        // the API opens with an empty fragment, then sends the JSON in arbitrary cuts
        delta({ type: "input_json_delta", partial_json: "" })
        for (const piece of splitInto(JSON.stringify(block.input), 3)) delta({ type: "input_json_delta", partial_json: piece })
        break
      }
    }
    frames.push(sseFrame("content_block_stop", { type: "content_block_stop", index }))
  })
  frames.push(sseFrame("message_delta", {
    type: "message_delta",
    delta: { stop_reason: a.stopReason, stop_sequence: a.stopSequence },
    usage: {
      input_tokens: a.usage.input,
      cache_creation_input_tokens: a.usage.cacheWrite,
      cache_read_input_tokens: a.usage.cacheRead,
      output_tokens: a.usage.output
    }
  }))
  frames.push(sseFrame("message_stop", { type: "message_stop" }))
  return frames
}

/** The default `POST /v1/messages` behaviour: authenticate, validate, answer. */
export const messagesHandler = (request: RecordedRequest): Scripted => {
  const key = request.apiKey
  if (key === undefined || key === "") return anthropicError(401, "authentication_error", "x-api-key header is required")
  // echoes the key as some real errors do, so the redaction test has something to catch
  if (key.includes("invalid")) return anthropicError(401, "authentication_error", `invalid x-api-key: ${key}`)
  const problem = validate(request.body)
  if (problem !== undefined) return anthropicError(400, "invalid_request_error", problem)
  const body = request.body as Json
  const a = answer(body, request.headers)
  const headers = { "request-id": nextId("req_emu_") }
  if (body.stream === true) {
    const deltas = headerNumber(request.headers, "x-emulator-deltas")
    return { sse: sseFrames(a, deltas !== undefined && deltas >= 1 ? Math.trunc(deltas) : undefined), headers }
  }
  return { json: messageJson(a), headers }
}

/** The Anthropic routes. */
export const anthropicRoutes = (_context: RouteContext): ReadonlyArray<Route> => [
  { method: "POST", path: "/v1/messages", handler: messagesHandler }
]
