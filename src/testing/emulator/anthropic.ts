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
 *
 * Message batches (`POST /v1/messages/batches`, `GET /v1/messages/batches[/:id]`,
 * `POST /v1/messages/batches/:id/cancel`, `GET /v1/messages/batches/:id/results` at the
 * `results_url` each ended batch carries) are kept per emulator. A create is validated like the
 * real API (custom id pattern, unique ids, each `params` checked like a `/v1/messages` body →
 * 400). Each batch follows an {@link AnthropicBatchLifecycle} that advances one step per status
 * call, never per second: the create request picks it with the `x-emulator-batch` header (JSON;
 * build it with {@link batchLifecycleHeader} and set it on the client's `defaultHeaders`, which
 * works for an emulator in another process too). Result lines carry {@link answerMessage} of
 * each request's `params` (with the create's `x-emulator-*` headers), and are built at the first
 * download and written in chunks. Faults on any call come from `emulator.script` with the keys
 * of {@link batchRouteKeys}.
 *
 * @example
 * const emulator = await startEmulator()
 * const client = Anthropic.layer({ apiKey: "test", baseURL: emulator.anthropicBaseURL,
 *   defaultHeaders: batchLifecycleHeader({ statusCalls: 3, outcome: "expired", processed: 1 }) })
 * emulator.script(batchRouteKeys.retrieve, anthropicError(529, "overloaded_error", "Overloaded"))
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

/** The Anthropic routes: messages, and the message batches of this emulator instance. */
export const anthropicRoutes = (context: RouteContext): ReadonlyArray<Route> => [
  { method: "POST", path: "/v1/messages", handler: messagesHandler },
  ...batchRoutes(context)
]

// ---------------------------------------------------------------------------------------------
// message batches
// ---------------------------------------------------------------------------------------------

/**
 * The script of one emulated message batch, chosen per create request with the
 * {@link batchLifecycleHeader} header (tests set it once on the client with `defaultHeaders`).
 * Batches advance per status call (`GET /v1/messages/batches/:id`), never per second.
 */
export interface AnthropicBatchLifecycle {
  /**
   * Status calls until processing ends (default 2); 0 ends the batch at create, so its results
   * can be read at once (benchmarks). While in progress, the counts grow with each call.
   */
  readonly statusCalls?: number | undefined
  /**
   * How it ends (default "completed"): every request answered; "expired": the unfinished
   * requests expired; "cancelled": someone else cancelled it (the unfinished ones canceled).
   */
  readonly outcome?: "completed" | "expired" | "cancelled" | undefined
  /** Requests (in submission order) finished before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /** Custom ids answered with an errored line (`invalid_request_error`) instead of a message. */
  readonly errored?: ReadonlyArray<string> | undefined
  /** Order of the result lines (default "submission"; "shuffled" is a fixed permutation). */
  readonly order?: "submission" | "reversed" | "shuffled" | undefined
  /** Custom ids whose line is written twice. */
  readonly duplicate?: ReadonlyArray<string> | undefined
  /** Custom ids left out of the results. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Custom ids whose line is written as text that is not JSON. */
  readonly malformed?: ReadonlyArray<string> | undefined
  /** Status calls from `canceling` to `ended` after a cancel call (default 1; 0 ends at the cancel). */
  readonly cancelStatusCalls?: number | undefined
  /** Result lines per written chunk (default: chunks of about 64 KB). */
  readonly linesPerChunk?: number | undefined
  /** Delay between chunks of the results download, in milliseconds (streaming tests). */
  readonly chunkDelayMs?: number | undefined
  /** The first N downloads of the results are cut off (connection reset) after half the chunks. */
  readonly truncateDownloads?: number | undefined
}

/** The request header that carries an {@link AnthropicBatchLifecycle} as JSON. */
export const batchLifecycleHeaderName = "x-emulator-batch"

/**
 * The header that picks the lifecycle of the batches a client creates.
 *
 * @example
 * Anthropic.layer({ apiKey, baseURL: emulator.anthropicBaseURL,
 *   defaultHeaders: batchLifecycleHeader({ statusCalls: 3, order: "reversed", omit: ["q2"] }) })
 */
export const batchLifecycleHeader = (lifecycle: AnthropicBatchLifecycle): Record<string, string> => ({
  [batchLifecycleHeaderName]: JSON.stringify(lifecycle)
})

/** The route keys of the message batch endpoints, as `emulator.script` takes them. */
export const batchRouteKeys = {
  create: "POST /v1/messages/batches",
  retrieve: "GET /v1/messages/batches/:id",
  cancel: "POST /v1/messages/batches/:id/cancel",
  list: "GET /v1/messages/batches",
  results: "GET /v1/messages/batches/:id/results"
} as const

const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/
const maxBatchRequests = 100_000
const dayMs = 24 * 60 * 60 * 1000

interface EmulatedBatch {
  readonly id: string
  readonly seq: number
  readonly createdAt: number
  readonly customIds: ReadonlyArray<string>
  readonly params: ReadonlyArray<Json>
  /** the create's `x-emulator-*` steering headers, applied to every answer */
  readonly steering: Headers
  readonly lifecycle: AnthropicBatchLifecycle
  polls: number
  cancelInitiatedAt: number | undefined
  cancelPolls: number
  /** requests finished when the cancel arrived */
  cancelProcessed: number
  ended: { readonly at: number; readonly processed: number; readonly rest: "expired" | "canceled" } | undefined
  downloads: number
  /** the result lines, built at the first download (an ended batch never changes) */
  chunks: ReadonlyArray<string> | undefined
}

const iso = (ms: number): string => new Date(ms).toISOString()

const readLifecycle = (headers: Headers): AnthropicBatchLifecycle | string => {
  const raw = headers[batchLifecycleHeaderName]
  if (raw === undefined || raw === "") return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? (parsed as AnthropicBatchLifecycle) : `${batchLifecycleHeaderName}: expected a JSON object`
  } catch {
    return `${batchLifecycleHeaderName}: not JSON`
  }
}

/** A fixed permutation (a seeded Fisher–Yates), so a retried download reads the same order. */
const shuffled = <A>(items: ReadonlyArray<A>, seed: number): Array<A> => {
  const out = [...items]
  let state = (seed * 2654435761) >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const batchRoutes = (context: RouteContext): ReadonlyArray<Route> => {
  const batches = new Map<string, EmulatedBatch>()
  let seq = 0

  const authFailure = (request: RecordedRequest): Scripted | undefined => {
    const key = request.apiKey
    if (key === undefined || key === "") return anthropicError(401, "authentication_error", "x-api-key header is required")
    if (key.includes("invalid")) return anthropicError(401, "authentication_error", `invalid x-api-key: ${key}`)
    return undefined
  }
  const notFound = (id: string) => anthropicError(404, "not_found_error", `message batch ${id} not found`)

  const erroredIds = (b: EmulatedBatch) => new Set(b.lifecycle.errored ?? [])
  /** Requests finished so far: all at a completed end, else a share growing with the polls. */
  const processedNow = (b: EmulatedBatch): number => {
    if (b.ended !== undefined) return b.ended.processed
    if (b.cancelInitiatedAt !== undefined) return b.cancelProcessed
    const calls = b.lifecycle.statusCalls ?? 2
    return calls <= 0 ? b.customIds.length : Math.min(b.customIds.length, Math.floor((b.customIds.length * b.polls) / calls))
  }

  const end = (b: EmulatedBatch, now: number) => {
    const n = b.customIds.length
    if (b.cancelInitiatedAt !== undefined) {
      b.ended = { at: now, processed: b.cancelProcessed, rest: "canceled" }
      return
    }
    const outcome = b.lifecycle.outcome ?? "completed"
    const processed = outcome === "completed" ? n : Math.min(n, b.lifecycle.processed ?? Math.floor(n / 2))
    if (outcome === "cancelled") b.cancelInitiatedAt = now
    b.ended = { at: now, processed, rest: outcome === "expired" ? "expired" : "canceled" }
  }

  /** One status call: the batch moves one step. */
  const advance = (b: EmulatedBatch, now: number) => {
    if (b.ended !== undefined) return
    if (b.cancelInitiatedAt !== undefined) {
      b.cancelPolls += 1
      if (b.cancelPolls >= (b.lifecycle.cancelStatusCalls ?? 1)) end(b, now)
      return
    }
    b.polls += 1
    if (b.polls >= (b.lifecycle.statusCalls ?? 2)) end(b, now)
  }

  const batchJson = (b: EmulatedBatch): Json => {
    const n = b.customIds.length
    const processed = processedNow(b)
    const errored = erroredIds(b)
    let failed = 0
    for (let i = 0; i < processed; i++) if (errored.has(b.customIds[i]!)) failed++
    const rest = n - processed
    return {
      id: b.id,
      type: "message_batch",
      processing_status: b.ended !== undefined ? "ended" : b.cancelInitiatedAt !== undefined ? "canceling" : "in_progress",
      request_counts: {
        processing: b.ended !== undefined ? 0 : rest,
        succeeded: processed - failed,
        errored: failed,
        canceled: b.ended?.rest === "canceled" ? rest : 0,
        expired: b.ended?.rest === "expired" ? rest : 0
      },
      ended_at: b.ended !== undefined ? iso(b.ended.at) : null,
      created_at: iso(b.createdAt),
      expires_at: iso(b.createdAt + dayMs),
      archived_at: null,
      cancel_initiated_at: b.cancelInitiatedAt !== undefined ? iso(b.cancelInitiatedAt) : null,
      results_url: b.ended !== undefined ? `${context.url()}/v1/messages/batches/${b.id}/results` : null
    }
  }

  const resultLine = (b: EmulatedBatch, index: number, errored: ReadonlySet<string>, malformed: ReadonlySet<string>): string => {
    const customId = b.customIds[index]!
    if (malformed.has(customId)) return `{"custom_id": "${customId}", "result": this is not json`
    const ended = b.ended!
    const result: Json = index >= ended.processed
      ? { type: ended.rest }
      : errored.has(customId)
      ? { type: "errored", error: { type: "error", error: { type: "invalid_request_error", message: `emulator: request ${customId} was scripted to fail` } } }
      : { type: "succeeded", message: answerMessage(b.params[index]!, { ...b.steering, "x-emulator-id": `msg_${b.seq}_${customId}` }) }
    return JSON.stringify({ custom_id: customId, result })
  }

  /** The JSONL of an ended batch, in chunks: lines in the scripted order, duplicated, left out. */
  const buildChunks = (b: EmulatedBatch): ReadonlyArray<string> => {
    const lifecycle = b.lifecycle
    const indices = b.customIds.map((_, i) => i)
    const order = lifecycle.order ?? "submission"
    const ordered = order === "reversed" ? indices.reverse() : order === "shuffled" ? shuffled(indices, b.seq) : indices
    const omitted = new Set(lifecycle.omit ?? [])
    const errored = erroredIds(b)
    const malformed = new Set(lifecycle.malformed ?? [])
    const byId = new Map(b.customIds.map((id, i) => [id, i]))
    const lines = ordered.filter((i) => !omitted.has(b.customIds[i]!))
    for (const id of lifecycle.duplicate ?? []) {
      const i = byId.get(id)
      if (i !== undefined) lines.push(i)
    }
    const chunks: Array<string> = []
    let chunk = ""
    let count = 0
    for (const i of lines) {
      chunk += resultLine(b, i, errored, malformed) + "\n"
      count += 1
      if (lifecycle.linesPerChunk !== undefined ? count >= lifecycle.linesPerChunk : chunk.length >= 64 * 1024) {
        chunks.push(chunk)
        chunk = ""
        count = 0
      }
    }
    if (chunk !== "") chunks.push(chunk)
    return chunks
  }

  const create = (request: RecordedRequest): Scripted => {
    const denied = authFailure(request)
    if (denied !== undefined) return denied
    const invalid = (message: string) => anthropicError(400, "invalid_request_error", message)
    const body = request.body
    if (!isRecord(body) || !Array.isArray(body.requests)) return invalid("requests: Field required")
    const items = body.requests as ReadonlyArray<unknown>
    if (items.length === 0) return invalid("requests: List should have at least 1 item after validation, not 0")
    if (items.length > maxBatchRequests) return invalid(`requests: List should have at most ${maxBatchRequests} items after validation, not ${items.length}`)
    const lifecycle = readLifecycle(request.headers)
    if (typeof lifecycle === "string") return invalid(lifecycle)
    const seen = new Set<string>()
    const customIds: Array<string> = []
    const params: Array<Json> = []
    for (const [i, item] of items.entries()) {
      if (!isRecord(item)) return invalid(`requests.${i}: Input should be a valid dictionary`)
      const customId = item.custom_id
      if (typeof customId !== "string" || !customIdPattern.test(customId)) {
        return invalid(`requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`)
      }
      if (seen.has(customId)) return invalid(`requests: custom_id values must be unique within a batch; ${customId} appears more than once`)
      seen.add(customId)
      const problem = validate(item.params)
      if (problem !== undefined) return invalid(`requests.${i}.params.${problem}`)
      customIds.push(customId)
      params.push(item.params as Json)
    }
    const steering: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (name.startsWith("x-emulator-") && name !== batchLifecycleHeaderName && name !== "x-emulator-id") steering[name] = value
    }
    seq += 1
    const batch: EmulatedBatch = {
      id: `msgbatch_emu_${seq.toString().padStart(6, "0")}`,
      seq,
      createdAt: Date.now(),
      customIds,
      params,
      steering,
      lifecycle,
      polls: 0,
      cancelInitiatedAt: undefined,
      cancelPolls: 0,
      cancelProcessed: 0,
      ended: undefined,
      downloads: 0,
      chunks: undefined
    }
    if ((lifecycle.statusCalls ?? 2) <= 0) end(batch, batch.createdAt)
    batches.set(batch.id, batch)
    return { json: batchJson(batch), headers: { "request-id": nextId("req_emu_") } }
  }

  const withBatch = (request: RecordedRequest, f: (b: EmulatedBatch) => Scripted): Scripted => {
    const denied = authFailure(request)
    if (denied !== undefined) return denied
    const id = request.params.id ?? ""
    const b = batches.get(id)
    return b === undefined ? notFound(id) : f(b)
  }

  const retrieve = (request: RecordedRequest): Scripted =>
    withBatch(request, (b) => {
      advance(b, Date.now())
      return { json: batchJson(b), headers: { "request-id": nextId("req_emu_") } }
    })

  const cancel = (request: RecordedRequest): Scripted =>
    withBatch(request, (b) => {
      // cancelling an ended or cancelling batch changes nothing
      if (b.ended === undefined && b.cancelInitiatedAt === undefined) {
        b.cancelProcessed = processedNow(b)
        b.cancelInitiatedAt = Date.now()
        if ((b.lifecycle.cancelStatusCalls ?? 1) <= 0) end(b, b.cancelInitiatedAt)
      }
      return { json: batchJson(b), headers: { "request-id": nextId("req_emu_") } }
    })

  const results = (request: RecordedRequest): Scripted =>
    withBatch(request, (b) => {
      if (b.ended === undefined) return anthropicError(404, "not_found_error", `message batch ${b.id} has no results yet: it is still processing`)
      b.chunks ??= buildChunks(b)
      b.downloads += 1
      const cut = b.downloads <= (b.lifecycle.truncateDownloads ?? 0)
      // `sse` writes the chunks as they are; the content type is what the real endpoint sends
      return {
        headers: { "content-type": "application/binary", "request-id": nextId("req_emu_") },
        sse: b.chunks,
        ...(b.lifecycle.chunkDelayMs !== undefined ? { chunkDelayMs: b.lifecycle.chunkDelayMs } : {}),
        ...(cut ? { fault: "truncate" as const } : {})
      }
    })

  const list = (request: RecordedRequest): Scripted => {
    const denied = authFailure(request)
    if (denied !== undefined) return denied
    const limitRaw = request.query.get("limit")
    const limit = limitRaw === null ? 20 : Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return anthropicError(400, "invalid_request_error", "limit: Input should be between 1 and 1000")
    }
    const newestFirst = [...batches.values()].reverse()
    const afterId = request.query.get("after_id")
    const beforeId = request.query.get("before_id")
    let page: Array<EmulatedBatch>
    let hasMore: boolean
    if (beforeId !== null) {
      // the page just newer than before_id
      const at = newestFirst.findIndex((b) => b.id === beforeId)
      const newer = at === -1 ? [] : newestFirst.slice(0, at)
      page = newer.slice(Math.max(0, newer.length - limit))
      hasMore = newer.length > limit
    } else {
      const at = afterId === null ? -1 : newestFirst.findIndex((b) => b.id === afterId)
      const older = afterId !== null && at === -1 ? [] : newestFirst.slice(at + 1)
      page = older.slice(0, limit)
      hasMore = older.length > limit
    }
    return {
      json: {
        data: page.map(batchJson),
        has_more: hasMore,
        first_id: page[0]?.id ?? null,
        last_id: page[page.length - 1]?.id ?? null
      },
      headers: { "request-id": nextId("req_emu_") }
    }
  }

  return [
    { method: "POST", path: "/v1/messages/batches", handler: create },
    { method: "GET", path: "/v1/messages/batches", handler: list },
    { method: "GET", path: "/v1/messages/batches/:id", handler: retrieve },
    { method: "POST", path: "/v1/messages/batches/:id/cancel", handler: cancel },
    { method: "GET", path: "/v1/messages/batches/:id/results", handler: results }
  ]
}
