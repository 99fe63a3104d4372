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
 * An `output_config.format` json_schema (checked like the real API: every object closed, no
 * numeric or length bounds) or a JSON Schema in the system prompt (prompted output) makes the
 * text a JSON value valid for it; `x-emulator-output-fence: json` and
 * `x-emulator-invalid-output: type | json` change how it is written (see responder.ts).
 *
 * Message batches (`POST /v1/messages/batches`, `GET /v1/messages/batches[/:id]`,
 * `POST /v1/messages/batches/:id/cancel`, `GET /v1/messages/batches/:id/results` at the
 * `results_url` each ended batch carries) are kept per emulator. A create is validated like the
 * real API (custom id pattern, unique ids, each `params` checked like a `/v1/messages` body →
 * 400). Each batch follows an {@link AnthropicBatchLifecycle} that advances one step per status
 * call, never per second, chosen by the create's `x-emulator-batch` header
 * ({@link batchLifecycleHeader}, set once on the client's `defaultHeaders`), else by the
 * emulator's default ({@link anthropicBatchEmulator}`(emulator).lifecycle`, or
 * `POST /v1/emulator/anthropic-batch-lifecycle` from another process). Result lines carry
 * {@link answerMessage} of each request's `params` (with the create's `x-emulator-*` headers);
 * they are built when processing ends and written a group of lines at a time. Faults on any
 * call come from `emulator.script` with the keys of {@link batchRouteKeys}.
 *
 * @example
 * const emulator = await startEmulator()
 * const client = Anthropic.layer({ apiKey: "test", baseURL: emulator.anthropicBaseURL,
 *   defaultHeaders: batchLifecycleHeader({ statusCalls: 3, outcome: "expired", processed: 1 }) })
 * emulator.script(batchRouteKeys.retrieveBatch, anthropicError(529, "overloaded_error", "Overloaded"))
 */
import { isRecord } from "../../internal/wireChecks.js"
import { respond, type ResponderInput, type ResponderOutput, schemaInText, splitExactly, splitInto, structuredText, tokens } from "./responder.js"
import type { RouteContext } from "./context.js"
import type { Handler, RecordedRequest, Route, Scripted } from "./route.js"

/** An error body in Anthropic's format: `{"type":"error","error":{"type":…,"message":…}}`. */
export const anthropicError = (status: number, type: string, message: string, headers?: Readonly<Record<string, string>>): Scripted => ({
  status,
  json: { type: "error", error: { type, message } },
  headers: { "request-id": nextId("req_emu_"), ...headers }
})

let counter = 0
const nextId = (prefix: string): string => `${prefix}${(++counter).toString().padStart(6, "0")}`

type Json = Record<string, unknown>
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
  return validateOutputConfig(body.output_config)
}

/** The structured-outputs checks of `output_config.format`, after the API's documented limits. */
const validateOutputConfig = (config: unknown): string | undefined => {
  if (config === undefined) return undefined
  if (!isRecord(config)) return "output_config: Input should be a valid dictionary"
  const format = config.format
  if (format === undefined || format === null) return undefined
  if (!isRecord(format) || format.type !== "json_schema") return "output_config.format.type: Input should be 'json_schema'"
  if (!isRecord(format.schema)) return "output_config.format.schema: Field required"
  const visit = (node: unknown, path: string): string | undefined => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) {
        const found = visit(item, `${path}.${i}`)
        if (found !== undefined) return found
      }
      return undefined
    }
    if (!isRecord(node)) return undefined
    if ((node.type === "object" || isRecord(node.properties)) && node.additionalProperties !== false) {
      return `output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false (at ${path})`
    }
    for (const keyword of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength"]) {
      if (typeof node[keyword] === "number") return `output_config.format.schema: '${keyword}' is not supported (at ${path})`
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "default") continue
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          const found = visit(sub, `${path}.properties.${name}`)
          if (found !== undefined) return found
        }
        continue
      }
      const found = visit(value, `${path}.${key}`)
      if (found !== undefined) return found
    }
    return undefined
  }
  return visit(format.schema, "$")
}

/**
 * The JSON Schema the answer must follow: `output_config.format` (or the deprecated beta
 * `output_format`), else a schema in the system prompt, as prompted output puts it there.
 */
const outputSchemaOf = (body: Json): unknown => {
  const format = isRecord(body.output_config) && isRecord(body.output_config.format) ? body.output_config.format : isRecord(body.output_format) ? body.output_format : undefined
  if (format !== undefined && format.type === "json_schema") return format.schema ?? {}
  return schemaInText(textOf(body.system))
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
    const schema = outputSchemaOf(body)
    let text = schema === undefined
      ? output.text
      : structuredText(schema, responderInput(body).lastUserText, { fence: headers["x-emulator-output-fence"], invalid: headers["x-emulator-invalid-output"] })
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
 * How an emulated message batch lives (the same fields as the OpenAI emulator's
 * `OpenAiBatchLifecycle` where the APIs agree). Lifecycles advance per status call
 * (`GET /v1/messages/batches/:id`), never per second: with `statusCalls: N` the batch is
 * `in_progress` with growing request counts until call N, which ends it. A cancel makes it
 * `canceling`; the next status call ends it, with the requests finished by then answered and
 * the rest canceled.
 *
 * Choose it, from the most to the least specific:
 * - per create request: the `x-emulator-batch` header, a JSON text of this shape; set it on the
 *   client once with `defaultHeaders: batchLifecycleHeader({ ... })` (Anthropic batches carry no
 *   metadata, so a header takes the place of OpenAI's `emulator_lifecycle` metadata);
 * - per emulator, in process: `anthropicBatchEmulator(emulator).lifecycle = { ... }`;
 * - per emulator, from another process: `POST {url}/v1/emulator/anthropic-batch-lifecycle`
 *   with the JSON (or `null` to go back to the default).
 * Faults on any call come from the emulator's scripts (`emulator.script(batchRouteKeys.retrieveBatch,
 * anthropicError(529, "overloaded_error", "Overloaded"))`); `anthropicBatchEmulator(emulator)
 * .handler(key)` gives a route's default behaviour to wrap.
 */
export interface AnthropicBatchLifecycle {
  /** Status calls until processing ends (default 3); 0 ends the batch at create (benchmarks). */
  readonly statusCalls?: number | undefined
  /**
   * How it ends (default "completed": every request answered); "expired": the unfinished
   * requests expired; "cancelled": someone else cancelled it (the unfinished ones canceled).
   */
  readonly outcome?: "completed" | "expired" | "cancelled" | undefined
  /** Requests (in submission order) finished before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /**
   * Requests that fail, by custom id: an errored line whose error type is that of the HTTP
   * status (400 `invalid_request_error`, 429 `rate_limit_error`, 500 `api_error`, 529
   * `overloaded_error`, ...).
   */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** Line order of the results (default "shuffled", a fixed permutation: never submission order). */
  readonly order?: "submission" | "reversed" | "shuffled" | undefined
  /** Custom ids whose line is written twice (the copy at the end). */
  readonly duplicate?: ReadonlyArray<string> | undefined
  /** Custom ids left out of the results. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Whether requests unfinished at expiry or cancellation get a line (default true, as the real API). */
  readonly unprocessedLines?: boolean | undefined
  /** Result lines per write of a download (default 1000). */
  readonly linesPerChunk?: number | undefined
  /** Milliseconds between those writes (default none). */
  readonly chunkDelayMs?: number | undefined
  /** Custom ids whose line is written as text that is not JSON. */
  readonly malformed?: ReadonlyArray<string> | undefined
  /** The first N downloads are cut off (connection reset) after half their writes. */
  readonly truncateDownloads?: number | undefined
  /** Status calls from `canceling` to `ended` after a cancel (default 1; 0 ends it at the cancel). */
  readonly cancelStatusCalls?: number | undefined
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

/** What the emulator knows of one message batch, for assertions. */
export interface EmulatedAnthropicBatch {
  readonly id: string
  /** `in_progress`, `canceling` or `ended`. */
  readonly processingStatus: string
  readonly customIds: ReadonlyArray<string>
  /** Each request's `params`, as received. */
  readonly params: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** Status calls answered so far (the SDK's results call makes one too). */
  readonly statusCalls: number
  /** Cancel calls answered so far. */
  readonly cancelCalls: number
  /** Results downloads started so far. */
  readonly downloads: number
}

/** The route keys of the Message Batches API, as `emulator.script` takes them. */
export const batchRouteKeys = {
  createBatch: "POST /v1/messages/batches",
  retrieveBatch: "GET /v1/messages/batches/:id",
  cancelBatch: "POST /v1/messages/batches/:id/cancel",
  listBatches: "GET /v1/messages/batches",
  batchResults: "GET /v1/messages/batches/:id/results",
  setLifecycle: "POST /v1/emulator/anthropic-batch-lifecycle"
} as const

/** A route key of the Message Batches API. */
export type BatchRouteKey = (typeof batchRouteKeys)[keyof typeof batchRouteKeys]

/** Controls of one emulator's Anthropic message batches (see {@link anthropicBatchEmulator}). */
export interface AnthropicBatchEmulator {
  /** The lifecycle of batches created from now on (the `x-emulator-batch` header wins). */
  lifecycle: AnthropicBatchLifecycle | undefined
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedAnthropicBatch>
  /** A route's default behaviour, to wrap in a script. */
  readonly handler: (key: BatchRouteKey) => Handler
  /** Forgets every batch and the default lifecycle (emulator.reset() does not). */
  readonly reset: () => void
}

interface Registered {
  readonly context: RouteContext
  readonly control: AnthropicBatchEmulator
}
// route modules only get a context: controls are found by the emulator's URL
const registry: Array<Registered> = []

/**
 * The message batch controls of a running emulator (this process only; from another process
 * use the `x-emulator-batch` header or the `POST /v1/emulator/anthropic-batch-lifecycle` route).
 *
 * @example
 * const batches = anthropicBatchEmulator(emulator)
 * batches.lifecycle = { statusCalls: 2, outcome: "expired", processed: 1 }
 */
export const anthropicBatchEmulator = (emulator: { readonly url: string }): AnthropicBatchEmulator => {
  const found = registry.find((r) => r.context.url() === emulator.url)
  if (found === undefined) throw new Error(`emulator: no Anthropic batch routes at ${emulator.url}`)
  return found.control
}

const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/
const maxBatchRequests = 100_000
const dayMs = 24 * 60 * 60 * 1000

/** The error type Anthropic gives an HTTP status. */
const errorTypeOf = (status: number): string =>
  Object.entries(statusOfErrorType).find(([, s]) => s === status)?.[0] ?? (status >= 500 ? "api_error" : "invalid_request_error")
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

interface BatchState {
  readonly id: string
  readonly seq: number
  readonly createdAt: number
  readonly customIds: ReadonlyArray<string>
  readonly params: ReadonlyArray<Json>
  /** the create's `x-emulator-*` steering headers, applied to every answer */
  readonly steering: Headers
  readonly lifecycle: AnthropicBatchLifecycle
  polls: number
  retrieves: number
  cancels: number
  cancelInitiatedAt: number | undefined
  cancelPolls: number
  /** requests finished when the cancel arrived */
  cancelProcessed: number
  ended: { readonly at: number; readonly processed: number; readonly rest: "expired" | "canceled" } | undefined
  downloads: number
  /** the result lines in writes, built when processing ends (an ended batch never changes) */
  chunks: ReadonlyArray<string> | undefined
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** A lifecycle from the header; a string says what is wrong with it. */
const lifecycleFromHeader = (headers: Headers): AnthropicBatchLifecycle | string | undefined => {
  const raw = headers[batchLifecycleHeaderName]
  if (raw === undefined || raw === "") return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? (parsed as AnthropicBatchLifecycle) : `${batchLifecycleHeaderName}: expected a JSON object`
  } catch {
    return `${batchLifecycleHeaderName}: not JSON`
  }
}

/** FNV-1a: a cheap, stable hash for the "shuffled" order (a retried download reads the same order). */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const batchRoutes = (context: RouteContext): ReadonlyArray<Route> => {
  const batches = new Map<string, BatchState>()
  let seq = 0
  let defaultLifecycle: AnthropicBatchLifecycle | undefined

  const keyError = (request: RecordedRequest): Scripted | undefined => {
    const key = request.apiKey
    if (key === undefined || key === "") return anthropicError(401, "authentication_error", "x-api-key header is required")
    if (key.includes("invalid")) return anthropicError(401, "authentication_error", `invalid x-api-key: ${key}`)
    return undefined
  }
  const withKey = (handler: Handler): Handler => (request) => keyError(request) ?? handler(request)
  const ok = (json: Json): Scripted => ({ json, headers: { "request-id": nextId("req_emu_") } })
  const notFound = (id: string) => anthropicError(404, "not_found_error", `message batch ${id} not found`)

  // the scripted status of a request; own keys only, so an id like "toString" or "__proto__" is not one
  const failing = (b: BatchState) => (customId: string): number | undefined => {
    const errors = b.lifecycle.errors
    return errors !== undefined && Object.hasOwn(errors, customId) ? errors[customId] : undefined
  }
  /** Requests finished so far: a share growing with the status calls, fixed once ended or cancelled. */
  const processedNow = (b: BatchState): number => {
    if (b.ended !== undefined) return b.ended.processed
    if (b.cancelInitiatedAt !== undefined) return b.cancelProcessed
    const n = b.customIds.length
    const calls = b.lifecycle.statusCalls ?? 3
    const outcome = b.lifecycle.outcome ?? "completed"
    const target = outcome === "completed" ? n : Math.min(n, b.lifecycle.processed ?? Math.floor(n / 2))
    return calls <= 0 ? target : Math.min(target, Math.floor((target * b.polls) / calls))
  }

  const end = (b: BatchState, now: number) => {
    if (b.cancelInitiatedAt !== undefined) {
      b.ended = { at: now, processed: b.cancelProcessed, rest: "canceled" }
    } else {
      const n = b.customIds.length
      const outcome = b.lifecycle.outcome ?? "completed"
      const processed = outcome === "completed" ? n : Math.min(n, b.lifecycle.processed ?? Math.floor(n / 2))
      if (outcome === "cancelled") b.cancelInitiatedAt = now
      b.ended = { at: now, processed, rest: outcome === "expired" ? "expired" : "canceled" }
    }
    // written when processing ends, as the real file is: the first download is as fast as any
    // (benchmarks time downloads of 50,000 lines)
    b.chunks = buildChunks(b)
  }

  /** One status call's step of the lifecycle. */
  const advance = (b: BatchState, now: number) => {
    if (b.ended !== undefined) return
    if (b.cancelInitiatedAt !== undefined) {
      b.cancelPolls += 1
      if (b.cancelPolls >= (b.lifecycle.cancelStatusCalls ?? 1)) end(b, now)
      return
    }
    b.polls += 1
    if (b.polls >= (b.lifecycle.statusCalls ?? 3)) end(b, now)
  }

  const batchJson = (b: BatchState): Json => {
    const n = b.customIds.length
    const processed = processedNow(b)
    const errors = failing(b)
    let errored = 0
    for (let i = 0; i < processed; i++) if (errors(b.customIds[i]!) !== undefined) errored++
    const rest = n - processed
    return {
      id: b.id,
      type: "message_batch",
      processing_status: b.ended !== undefined ? "ended" : b.cancelInitiatedAt !== undefined ? "canceling" : "in_progress",
      request_counts: {
        processing: b.ended !== undefined ? 0 : rest,
        succeeded: processed - errored,
        errored,
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

  /** One result line, or undefined when the request gets none. */
  const resultLine = (b: BatchState, index: number, malformed: ReadonlySet<string>): string | undefined => {
    const customId = b.customIds[index]!
    const ended = b.ended!
    if (index >= ended.processed && b.lifecycle.unprocessedLines === false) return undefined
    if (malformed.has(customId)) return `{"custom_id": "${customId}", "result": this is not json`
    const status = failing(b)(customId)
    const result: Json = index >= ended.processed
      ? { type: ended.rest }
      : status !== undefined
      ? { type: "errored", error: { type: "error", error: { type: errorTypeOf(status), message: `emulator: request ${customId} was scripted to fail with ${status}` } } }
      : { type: "succeeded", message: answerMessage(b.params[index]!, { ...b.steering, "x-emulator-id": `msg_emu_${b.seq}_${customId}` }) }
    return JSON.stringify({ custom_id: customId, result })
  }

  /** The JSONL of an ended batch, in writes: lines in the scripted order, duplicated, left out. */
  const buildChunks = (b: BatchState): ReadonlyArray<string> => {
    const lifecycle = b.lifecycle
    const omitted = new Set(lifecycle.omit ?? [])
    const malformed = new Set(lifecycle.malformed ?? [])
    const indices = b.customIds.map((_, i) => i).filter((i) => !omitted.has(b.customIds[i]!))
    const order = lifecycle.order ?? "shuffled"
    if (order === "reversed") indices.reverse()
    else if (order === "shuffled") {
      const keys = indices.map((i) => hash(`${b.id}:${b.customIds[i]}`))
      const position = new Map(indices.map((index, k) => [index, keys[k]!]))
      indices.sort((x, y) => position.get(x)! - position.get(y)!)
    }
    const byId = new Map(b.customIds.map((id, i) => [id, i]))
    for (const id of lifecycle.duplicate ?? []) {
      const i = byId.get(id)
      if (i !== undefined && !omitted.has(id)) indices.push(i)
    }
    const per = Math.max(1, lifecycle.linesPerChunk ?? 1000)
    const chunks: Array<string> = []
    let lines: Array<string> = []
    for (const i of indices) {
      const line = resultLine(b, i, malformed)
      if (line === undefined) continue
      lines.push(line)
      if (lines.length >= per) {
        chunks.push(`${lines.join("\n")}\n`)
        lines = []
      }
    }
    if (lines.length > 0) chunks.push(`${lines.join("\n")}\n`)
    return chunks
  }

  const createBatch: Handler = (request) => {
    const invalid = (message: string) => anthropicError(400, "invalid_request_error", message)
    const body = request.body
    if (!isRecord(body) || !Array.isArray(body.requests)) return invalid("requests: Field required")
    const items = body.requests as ReadonlyArray<unknown>
    if (items.length === 0) return invalid("requests: List should have at least 1 item after validation, not 0")
    if (items.length > maxBatchRequests) return invalid(`requests: List should have at most ${maxBatchRequests} items after validation, not ${items.length}`)
    const chosen = lifecycleFromHeader(request.headers)
    if (typeof chosen === "string") return invalid(chosen)
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
    const lifecycle = chosen ?? defaultLifecycle ?? {}
    const b: BatchState = {
      id: `msgbatch_emu_${seq.toString().padStart(6, "0")}`,
      seq,
      createdAt: Date.now(),
      customIds,
      params,
      steering,
      lifecycle,
      polls: 0,
      retrieves: 0,
      cancels: 0,
      cancelInitiatedAt: undefined,
      cancelPolls: 0,
      cancelProcessed: 0,
      ended: undefined,
      downloads: 0,
      chunks: undefined
    }
    if ((lifecycle.statusCalls ?? 3) <= 0) end(b, b.createdAt)
    batches.set(b.id, b)
    return ok(batchJson(b))
  }

  const withBatch = (f: (b: BatchState) => Scripted): Handler => (request) => {
    const id = request.params.id ?? ""
    const b = batches.get(id)
    return b === undefined ? notFound(id) : f(b)
  }

  const retrieveBatch = withBatch((b) => {
    b.retrieves += 1
    advance(b, Date.now())
    return ok(batchJson(b))
  })

  const cancelBatch = withBatch((b) => {
    b.cancels += 1
    // cancelling an ended or canceling batch changes nothing
    if (b.ended === undefined && b.cancelInitiatedAt === undefined) {
      b.cancelProcessed = processedNow(b)
      b.cancelInitiatedAt = Date.now()
      if ((b.lifecycle.cancelStatusCalls ?? 1) <= 0) end(b, b.cancelInitiatedAt)
    }
    return ok(batchJson(b))
  })

  const batchResults = withBatch((b) => {
    if (b.ended === undefined) return anthropicError(404, "not_found_error", `message batch ${b.id} has no results yet: it is still processing`)
    b.chunks ??= buildChunks(b)
    b.downloads += 1
    const cut = b.downloads <= (b.lifecycle.truncateDownloads ?? 0)
    // the SSE writer sends its frames as they are: here, groups of JSONL lines
    return {
      headers: { "content-type": "application/binary", "request-id": nextId("req_emu_") },
      sse: b.chunks,
      ...(b.lifecycle.chunkDelayMs !== undefined ? { chunkDelayMs: b.lifecycle.chunkDelayMs } : {}),
      ...(cut ? { fault: "truncate" as const } : {})
    }
  })

  const listBatches: Handler = (request) => {
    const limitRaw = request.query.get("limit")
    const limit = limitRaw === null ? 20 : Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return anthropicError(400, "invalid_request_error", "limit: Input should be between 1 and 1000")
    const newestFirst = [...batches.values()].reverse()
    const afterId = request.query.get("after_id")
    const beforeId = request.query.get("before_id")
    let page: Array<BatchState>
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
    return ok({ data: page.map(batchJson), has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null })
  }

  const setLifecycle: Handler = (request) => {
    defaultLifecycle = isRecord(request.body) ? (request.body as AnthropicBatchLifecycle) : undefined
    return { json: { lifecycle: defaultLifecycle ?? null } }
  }

  const handlers: Record<BatchRouteKey, Handler> = {
    [batchRouteKeys.createBatch]: withKey(createBatch),
    [batchRouteKeys.retrieveBatch]: withKey(retrieveBatch),
    [batchRouteKeys.cancelBatch]: withKey(cancelBatch),
    [batchRouteKeys.listBatches]: withKey(listBatches),
    [batchRouteKeys.batchResults]: withKey(batchResults),
    [batchRouteKeys.setLifecycle]: setLifecycle
  }

  const control: AnthropicBatchEmulator = {
    get lifecycle() {
      return defaultLifecycle
    },
    set lifecycle(value) {
      defaultLifecycle = value
    },
    batches: () =>
      [...batches.values()].map((b) => ({
        id: b.id,
        processingStatus: String(batchJson(b).processing_status),
        customIds: b.customIds,
        params: b.params,
        statusCalls: b.retrieves,
        cancelCalls: b.cancels,
        downloads: b.downloads
      })),
    handler: (key) => handlers[key],
    reset: () => {
      batches.clear()
      defaultLifecycle = undefined
    }
  }
  registry.push({ context, control })

  return (Object.entries(handlers) as Array<[BatchRouteKey, Handler]>).map(([key, handler]) => {
    const [method, path] = key.split(" ") as [string, string]
    return { method, path, handler }
  })
}
