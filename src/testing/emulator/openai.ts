/**
 * OpenAI routes of the emulator: `POST /v1/chat/completions`, answering JSON or SSE shaped after
 * the recorded fixtures (test/fixtures/recorded/test_openai__*.yaml). The wire request is read by
 * hand into the responder's neutral input; nothing here uses the library's codecs, so a codec
 * bug cannot cancel itself out.
 *
 * Request headers that steer the answer (tests send them through `extraHeaders`):
 * - `x-emulator-deltas: N`: the text answer streams in exactly N content deltas (the text is
 *   repeated until it has at least N characters, in the JSON answer too, so both agree);
 * - `x-emulator-chunk-delay-ms: N`: wait N ms between SSE frames;
 * - `x-emulator-delay-ms: N`: wait N ms before answering;
 * - `x-emulator-cached-tokens: N` / `x-emulator-reasoning-tokens: N`: usage details to report;
 * - `x-emulator-tool-calls: all`: call every offered tool (parallel tool calls), not only the first;
 * - `x-emulator-id: X`: the completion is `chatcmpl-X` and its tool calls `call_X_<n>` (without
 *   it, ids are a hash of the request, so identical requests get identical ids anyway).
 */
import { createHash } from "node:crypto"
import { type ResponderInput, type ResponderOutput, respond, tokens } from "./responder.js"
import type { RecordedRequest, Route, RouteContext, Scripted } from "./Server.js"

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** An error answer in OpenAI's format: `{ error: { message, type, param, code } }`. */
export const openAiError = (
  status: number,
  message: string,
  options?: { readonly type?: string; readonly code?: string | null; readonly param?: string | null; readonly headers?: Record<string, string> }
): Scripted => ({
  status,
  headers: { "x-request-id": `req_emu_error_${status}`, ...options?.headers },
  json: {
    error: {
      message,
      type: options?.type ?? (status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error"),
      param: options?.param ?? null,
      code: options?.code ?? null
    }
  }
})

// ---------------------------------------------------------------------------------------------
// reading the wire request
// ---------------------------------------------------------------------------------------------

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.flatMap((p) => (isRecord(p) && p.type === "text" && typeof p.text === "string" ? [p.text] : [])).join("\n")
  }
  return ""
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"])

/** What the real API rejects with 400 before any model runs; undefined when the body is fine. */
const validate = (body: unknown): Scripted | undefined => {
  const bad = (message: string, param: string | null) => openAiError(400, message, { param, code: param === null ? null : "invalid_value" })
  if (!isRecord(body)) return bad("We could not parse the JSON body of your request.", null)
  if (typeof body.model !== "string" || body.model === "") return bad("you must provide a model parameter", "model")
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("'messages' must be a non-empty array.", "messages")
  for (const [i, m] of body.messages.entries()) {
    if (!isRecord(m) || typeof m.role !== "string" || !ROLES.has(m.role)) return bad(`Invalid value for 'role' at messages[${i}].`, `messages[${i}].role`)
    if (m.role === "tool" && typeof m.tool_call_id !== "string") return bad(`Missing required parameter: 'messages[${i}].tool_call_id'.`, `messages[${i}].tool_call_id`)
    if (m.role === "assistant" && m.content == null && !Array.isArray(m.tool_calls)) {
      return bad(`Invalid value for 'content': expected a string, got null (messages[${i}]).`, `messages[${i}].content`)
    }
  }
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0
  if (body.tool_choice !== undefined && !hasTools) return bad("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice")
  if (body.parallel_tool_calls !== undefined && !hasTools) return bad("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.", "parallel_tool_calls")
  if (body.stream_options !== undefined && body.stream !== true) return bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
  if (body.max_tokens !== undefined && body.max_completion_tokens !== undefined) {
    return bad("max_tokens and max_completion_tokens cannot both be set.", "max_tokens")
  }
  return undefined
}

/** The responder's view of a chat request, built from the wire JSON. */
export const responderInput = (body: Json): ResponderInput => {
  const messages = (body.messages as Array<Json>) ?? []
  let lastUser = -1
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i
  })
  const toolResults = messages.slice(lastUser + 1).flatMap((m) => (m.role === "tool" ? [textOf(m.content)] : []))
  const tools = (Array.isArray(body.tools) ? body.tools : []).flatMap((t) =>
    isRecord(t) && t.type === "function" && isRecord(t.function) && typeof t.function.name === "string"
      ? [{ name: t.function.name, parameters: t.function.parameters }]
      : []
  )
  const choice = body.tool_choice
  const toolChoice: ResponderInput["toolChoice"] =
    choice === "auto" || choice === "none" || choice === "required"
      ? choice
      : isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === "string"
        ? { name: choice.function.name }
        : undefined
  return {
    lastUserText: lastUser >= 0 ? textOf(messages[lastUser]!.content) : "",
    toolResults,
    tools,
    toolChoice,
    model: String(body.model)
  }
}

// ---------------------------------------------------------------------------------------------
// the answer
// ---------------------------------------------------------------------------------------------

interface ToolCall {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

/** The answer, provider-shaped but independent of JSON vs SSE. */
interface Answer {
  readonly id: string
  readonly created: number
  readonly model: string
  readonly text: string | undefined
  readonly refusal: string | undefined
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finishReason: "stop" | "length" | "tool_calls" | "content_filter"
  readonly usage: Json
  /** the text's content deltas when streamed */
  readonly deltas: ReadonlyArray<string>
}

/** Request headers, lower-case names (as node gives them). */
type Headers = Readonly<Record<string, string | undefined>>

const header = (headers: Headers, name: string): string | undefined => headers[name]
const intHeader = (headers: Headers, name: string): number | undefined => {
  const raw = header(headers, name)
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/** Splits a text into exactly `n` non-empty pieces (n ≤ text length). */
const splitExactly = (text: string, n: number): Array<string> => {
  const out: Array<string> = []
  let start = 0
  for (let i = 0; i < n; i++) {
    const end = Math.round(((i + 1) * text.length) / n)
    out.push(text.slice(start, end))
    start = end
  }
  return out
}

/** Word-sized deltas, leading space attached, as the real API streams them (" capital", " of"). */
const wordDeltas = (text: string): Array<string> => text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === "" ? [] : [text])

// Identical requests get identical ids, so a streamed and a non-streamed call compare equal.
const fingerprint = (body: Json): string =>
  createHash("sha256")
    .update(JSON.stringify([body.model, body.messages, body.tools ?? null, body.tool_choice ?? null, body.max_completion_tokens ?? body.max_tokens ?? null, body.stop ?? null]))
    .digest("base64url")
    .replace(/[-_]/g, "")
    .slice(0, 24)

const answer = (headers: Headers, body: Json): Answer => {
  const input = responderInput(body)
  const pinned = header(headers, "x-emulator-id")
  const id = pinned ?? fingerprint(body)
  const outputs: Array<ResponderOutput> = []
  const first = respond(input)
  outputs.push(first)
  if (first.kind === "tool" && header(headers, "x-emulator-tool-calls") === "all") {
    for (const tool of input.tools.slice(1)) outputs.push(respond({ ...input, toolChoice: { name: tool.name } }))
  }
  const promptText = ((body.messages as Array<Json>) ?? []).map((m) => textOf(m.content)).join("\n")
  const inputTokens = tokens(promptText) + 7 * ((body.messages as Array<unknown>)?.length ?? 0)
  let text: string | undefined
  let refusal: string | undefined
  let finishReason: Answer["finishReason"] = "stop"
  let toolCalls: Array<ToolCall> = []
  let deltas: Array<string> = []
  if (first.kind === "tool") {
    toolCalls = outputs.flatMap((o, i) => (o.kind === "tool" ? [{ id: pinned !== undefined ? `call_${pinned}_${i}` : `call_${id.slice(0, 16)}${i}`, name: o.name, arguments: JSON.stringify(o.args) }] : []))
    finishReason = "tool_calls"
  } else if (/\[refuse\]/i.test(input.lastUserText)) {
    refusal = "I'm sorry, I can't help with that."
    deltas = wordDeltas(refusal)
  } else {
    let t = first.text
    const wanted = intHeader(headers, "x-emulator-deltas")
    if (wanted !== undefined && wanted > 0) {
      const base = t
      while (t.length < wanted) t = `${t} ${base}`
    }
    // a stop sequence ends the text before it, as the real API does
    const stops = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === "string") : []
    for (const stop of stops) {
      const at = stop === "" ? -1 : t.indexOf(stop)
      if (at >= 0) t = t.slice(0, at)
    }
    // max_completion_tokens cuts the text (4 characters a token) and finishes with "length"
    const max = typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : typeof body.max_tokens === "number" ? body.max_tokens : undefined
    if (max !== undefined && tokens(t) > max) {
      t = t.slice(0, Math.max(0, max * 4))
      finishReason = "length"
    }
    text = t
    deltas = wanted !== undefined && wanted > 0 && t.length >= wanted ? splitExactly(t, wanted) : wordDeltas(t)
  }
  const completionText = (text ?? refusal ?? "") + toolCalls.map((c) => c.name + c.arguments).join("")
  const reasoning = intHeader(headers, "x-emulator-reasoning-tokens") ?? 0
  const usage = {
    prompt_tokens: inputTokens,
    completion_tokens: tokens(completionText) + reasoning,
    total_tokens: inputTokens + tokens(completionText) + reasoning,
    prompt_tokens_details: { cached_tokens: Math.min(inputTokens, intHeader(headers, "x-emulator-cached-tokens") ?? 0), audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
  }
  return {
    id: `chatcmpl-${id}`,
    created: 1_750_000_000,
    model: String(body.model),
    text,
    refusal,
    toolCalls,
    finishReason,
    usage,
    deltas
  }
}

let requestCounter = 0
const responseHeaders = (): Record<string, string> => ({
  "x-request-id": `req_emu_${++requestCounter}`,
  "openai-processing-ms": "12",
  "openai-version": "2020-10-01"
})

/** The `chat.completion` JSON of an answer. */
const completionJson = (a: Answer): Json => ({
  id: a.id,
  object: "chat.completion",
  created: a.created,
  model: a.model,
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: a.toolCalls.length > 0 || a.refusal !== undefined ? null : (a.text ?? ""),
        refusal: a.refusal ?? null,
        annotations: [],
        ...(a.toolCalls.length > 0
          ? { tool_calls: a.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) }
          : {})
      },
      logprobs: null,
      finish_reason: a.finishReason
    }
  ],
  usage: a.usage,
  service_tier: "default",
  system_fingerprint: "fp_emulator"
})

/** Argument JSON in small fragments, as the real API streams it ('{"', 'country', '":"', ...). */
const argumentFragments = (args: string): Array<string> => args.match(/.{1,6}/gs) ?? []

/** The SSE frames of an answer, shaped like the recorded streams. */
const completionFrames = (a: Answer, includeUsage: boolean): Array<string> => {
  let n = 0
  const chunk = (choices: Array<Json>, usage?: Json): string =>
    `data: ${JSON.stringify({
      id: a.id,
      object: "chat.completion.chunk",
      created: a.created,
      model: a.model,
      service_tier: "default",
      system_fingerprint: "fp_emulator",
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
      obfuscation: "emu".repeat(1 + (n++ % 4))
    })}\n\n`
  const choice = (delta: Json, finish: string | null = null): Json => ({ index: 0, delta, logprobs: null, finish_reason: finish })
  const frames: Array<string> = []
  if (a.toolCalls.length > 0) {
    a.toolCalls.forEach((call, i) => {
      const head = { index: i, id: call.id, type: "function", function: { name: call.name, arguments: "" } }
      frames.push(chunk([choice(i === 0 ? { role: "assistant", content: null, tool_calls: [head] } : { tool_calls: [head] })]))
      for (const fragment of argumentFragments(call.arguments)) {
        frames.push(chunk([choice({ tool_calls: [{ index: i, function: { arguments: fragment } }] })]))
      }
    })
  } else if (a.refusal !== undefined) {
    frames.push(chunk([choice({ role: "assistant", content: null, refusal: "" })]))
    for (const d of a.deltas) frames.push(chunk([choice({ refusal: d })]))
  } else {
    frames.push(chunk([choice({ role: "assistant", content: "", refusal: null })]))
    for (const d of a.deltas) frames.push(chunk([choice({ content: d })]))
  }
  frames.push(chunk([choice({}, a.finishReason)]))
  if (includeUsage) frames.push(chunk([], a.usage))
  frames.push("data: [DONE]\n\n")
  return frames
}

/**
 * The `chat.completion` JSON the route answers to a (valid, non-streaming) request body: what a
 * batch output line's `response.body` carries for that request. `headers` take the same
 * `x-emulator-*` steering as a request's.
 */
export const answerChat = (body: Readonly<Record<string, unknown>>, headers: Headers = {}): Record<string, unknown> =>
  completionJson(answer(headers, body as Json))

/** Whether the route would reject this body with a 400 (and the error answer if so). */
export const validateChat = (body: unknown): Scripted | undefined => validate(body)

/**
 * The default `POST /v1/chat/completions` behaviour: checks the key and the body like the real
 * API, then answers from the responder, as JSON or (with `stream: true`) as SSE. Scripts can
 * wrap it: `emulator.script(route, async (r) => ({ ...(await chatCompletions(r)), chunkDelayMs: 50 }))`.
 */
export const chatCompletions = (request: RecordedRequest): Scripted => {
  const key = request.apiKey
  if (key === undefined || key === "") {
    return openAiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", { code: null })
  }
  // the real API echoes the key it rejected; the redaction tests rely on that
  if (key.includes("invalid")) {
    return openAiError(401, `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, { code: "invalid_api_key" })
  }
  const invalid = validate(request.body)
  if (invalid !== undefined) return invalid
  const body = request.body as Json
  const a = answer(request.headers, body)
  const delayMs = intHeader(request.headers, "x-emulator-delay-ms")
  const timing = delayMs !== undefined ? { delayMs } : {}
  if (body.stream === true) {
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true
    const chunkDelayMs = intHeader(request.headers, "x-emulator-chunk-delay-ms")
    return {
      headers: { ...responseHeaders(), "content-type": "text/event-stream; charset=utf-8" },
      sse: completionFrames(a, includeUsage),
      ...timing,
      ...(chunkDelayMs !== undefined ? { chunkDelayMs } : {})
    }
  }
  return { headers: responseHeaders(), json: completionJson(a), ...timing }
}

/** The route key of chat completions, as `emulator.script` takes it. */
export const chatCompletionsRoute = "POST /v1/chat/completions" as const

/** The OpenAI routes. */
export const openAiRoutes = (_context: RouteContext): ReadonlyArray<Route> => [
  { method: "POST", path: "/v1/chat/completions", handler: chatCompletions }
]
