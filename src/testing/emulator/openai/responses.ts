/**
 * OpenAI's Responses API on the emulator: `POST /v1/responses`, answering JSON or (with
 * `stream: true`) SSE shaped like the real API's events (`response.created`,
 * `response.in_progress`, `response.output_item.added`, `response.content_part.added`,
 * `response.output_text.delta` ..., `response.output_text.done`, `response.content_part.done`,
 * `response.output_item.done`, `response.completed` with usage; function calls stream as
 * `response.function_call_arguments.delta` / `.done`). Peers that speak only this API
 * (`@effect/ai-openai`, the Vercel AI SDK's OpenAI default) run against it in the benchmarks.
 *
 * Built-in tools: a request that offers `web_search`, `file_search`, `code_interpreter` or `mcp`
 * tools gets their output items before its answer (responsesTools.ts), streamed as
 * `response.output_item.added` / `.done`. User content is checked like the API's: `input_file`
 * needs a `file_id`, a `file_url`, or a base64 data URL with a `filename`; audio is refused.
 *
 * Independent of the library's providers and codecs: the wire request is read by hand into the
 * responder's neutral input (responder.ts), so both OpenAI routes answer alike.
 *
 * Request headers that steer the answer, as on the chat route:
 * - `x-emulator-deltas: N`: the text answer streams in exactly N `response.output_text.delta`
 *   events (the text is repeated until it has at least N characters, in the JSON answer too);
 * - `x-emulator-chunk-delay-ms: N`: wait N ms between SSE events;
 * - `x-emulator-delay-ms: N`: wait N ms before answering;
 * - `x-emulator-id: X`: the response is `resp_X` (otherwise a hash of the request);
 * - `x-emulator-reasoning: N`: a reasoning item with N summaries comes first (a request's
 *   `reasoning.summary` gives two); its `encrypted_content` is set when the request's `include`
 *   lists `reasoning.encrypted_content`, and its tokens count as `reasoning_tokens`;
 * - `x-emulator-reasoning-text: 1`: the reasoning item carries raw reasoning (`reasoning_text`
 *   content, streamed as `response.reasoning_text.delta`) instead of summaries, as open-weight
 *   models serve it;
 * - `x-emulator-cached-tokens: N`: N input tokens are reported as cached (otherwise a request
 *   whose `prompt_cache_key` this emulator has seen before reports half its input tokens);
 * - `x-emulator-builtin-tools: none`: no built-in tool items (see below);
 * - `x-emulator-output-fence` / `x-emulator-invalid-output`: how a structured answer is written
 *   (responder.ts). A json_schema `text.format`, or a schema in the instructions (prompted
 *   output), makes the answer JSON valid for it.
 *
 * @since 0.1.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { contextOf } from "../context.js"
import { fingerprint } from "../digest.js"
import { type Headers, intHeader } from "../headers.js"
import { lengthen, type ResponderInput, respond, schemaInText, splitExactly, structuredText, tokens, wordDeltas } from "../responder.js"
import type { RecordedRequest, Scripted } from "../route.js"
import { keyError, openAiError } from "./http.js"
import { type BuiltinItem, builtinItems, inputContentProblem } from "./responsesTools.js"

type Json = Record<string, unknown>

/** A 400 of the real API: the message, the parameter at fault, the error code. */
const error = (status: number, message: string, param: string | null = null, code: string | null = null): Scripted =>
  openAiError(status, message, { param, code })

/** The text of a message's content: a string, or its input_text / output_text / text parts. */
const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .flatMap((p) => (isRecord(p) && typeof p.text === "string" && (p.type === "input_text" || p.type === "output_text" || p.type === "text") ? [p.text] : []))
    .join("\n")
}

/** The input as a list of items (a string input is one user message). */
const itemsOf = (input: unknown): Array<Json> =>
  typeof input === "string" ? [{ type: "message", role: "user", content: input }] : Array.isArray(input) ? input.filter(isRecord) : []

const isMessage = (item: Json): boolean => (item.type === undefined || item.type === "message") && typeof item.role === "string"

/** What the real API rejects with 400 before any model runs. */
const validate = (body: unknown): Scripted | undefined => {
  if (!isRecord(body)) return error(400, "We could not parse the JSON body of your request.")
  if (typeof body.model !== "string" || body.model === "") return error(400, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
  if (body.input === undefined && body.previous_response_id === undefined) return error(400, "Missing required parameter: 'input'.", "input", "missing_required_parameter")
  if (body.input !== undefined && typeof body.input !== "string" && !Array.isArray(body.input)) {
    return error(400, "Invalid type for 'input': expected a string or an array of input items.", "input", "invalid_type")
  }
  for (const [i, item] of itemsOf(body.input).entries()) {
    if (isMessage(item) && !["user", "assistant", "system", "developer"].includes(String(item.role))) {
      return error(400, `Invalid value: '${String(item.role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `input[${i}].role`, "invalid_value")
    }
    if (isMessage(item) && item.role === "user" && Array.isArray(item.content)) {
      for (const [j, part] of item.content.entries()) {
        const problem = inputContentProblem(part)
        if (problem !== undefined) return error(400, problem, `input[${i}].content[${j}]`, "invalid_value")
      }
    }
    if (item.type === "function_call_output" && typeof item.call_id !== "string") {
      return error(400, `Missing required parameter: 'input[${i}].call_id'.`, `input[${i}].call_id`, "missing_required_parameter")
    }
  }
  if (body.max_output_tokens !== undefined && body.max_output_tokens !== null && (typeof body.max_output_tokens !== "number" || body.max_output_tokens < 16)) {
    return error(400, `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${String(body.max_output_tokens)} instead.`, "max_output_tokens", "integer_below_min_value")
  }
  return undefined
}

/**
 * The responder's view of a Responses request.
 *
 * @since 0.1.0
 * @category utils
 */
export const responsesInput = (body: Json): ResponderInput => {
  const items = itemsOf(body.input)
  let lastUser = -1
  items.forEach((item, i) => {
    if (isMessage(item) && item.role === "user") lastUser = i
  })
  const toolResults = items.slice(lastUser + 1).flatMap((item) => (item.type === "function_call_output" ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)] : []))
  const tools = (Array.isArray(body.tools) ? body.tools : []).flatMap((t) =>
    isRecord(t) && t.type === "function" && typeof t.name === "string" ? [{ name: t.name, parameters: t.parameters }] : []
  )
  const choice = body.tool_choice
  const toolChoice: ResponderInput["toolChoice"] =
    choice === "auto" || choice === "none" || choice === "required"
      ? choice
      : isRecord(choice) && choice.type === "function" && typeof choice.name === "string"
        ? { name: choice.name }
        : undefined
  return { lastUserText: lastUser >= 0 ? textOf(items[lastUser]!.content) : "", toolResults, tools, toolChoice, model: String(body.model) }
}

interface Answer {
  readonly id: string
  readonly messageId: string
  readonly createdAt: number
  /** The text, or undefined for a function call. */
  readonly text: string | undefined
  readonly call: { readonly id: string; readonly callId: string; readonly name: string; readonly arguments: string } | undefined
  readonly deltas: ReadonlyArray<string>
  readonly incomplete: boolean
  readonly usage: Json
  /** A reasoning item before the answer: its summaries, and its encrypted content when asked for. */
  readonly reasoning: { readonly id: string; readonly summary: ReadonlyArray<string>; readonly raw: boolean; readonly encrypted: string | undefined } | undefined
  /** The built-in tools' items, between the reasoning and the answer. */
  readonly builtin: ReadonlyArray<BuiltinItem>
}

/**
 * The JSON Schema the answer must follow: the json_schema `text.format`, else a schema in the
 * instructions or system (developer) messages, where prompted output puts it.
 */
const outputSchemaOf = (body: Json): unknown => {
  const format = isRecord(body.text) ? body.text.format : undefined
  if (isRecord(format) && format.type === "json_schema") return format.schema ?? {}
  const system = itemsOf(body.input).filter((item) => isMessage(item) && (item.role === "system" || item.role === "developer")).map((item) => textOf(item.content))
  return schemaInText([typeof body.instructions === "string" ? body.instructions : "", ...system].join("\n"))
}

/** Whether the request asks for reasoning: a `reasoning.summary`, or the `x-emulator-reasoning` header. */
const reasoningSummaries = (headers: Headers, body: Json, prompt: string): ReadonlyArray<string> | undefined => {
  const wanted = intHeader(headers, "x-emulator-reasoning") ?? (headers["x-emulator-reasoning-text"] === "1" ? 1 : undefined)
  const summary = isRecord(body.reasoning) ? body.reasoning.summary : undefined
  if (wanted === undefined && (summary === undefined || summary === null)) return undefined
  const n = wanted ?? 2
  const topic = prompt.slice(0, 60) || "the question"
  return Array.from({ length: n }, (_, i) => (i === 0 ? `**Reading the question** I am asked: ${topic}.` : `**Step ${i + 1}** Working out the answer.`))
}

const answer = (headers: Headers, body: Json, cacheSeen = false): Answer => {
  const input = responsesInput(body)
  const id = headers["x-emulator-id"] ??
    fingerprint([body.model, body.input ?? null, body.instructions ?? null, body.tools ?? null, body.tool_choice ?? null, body.max_output_tokens ?? null])
  const out = respond(input)
  const promptText = [typeof body.instructions === "string" ? body.instructions : "", ...itemsOf(body.input).map((item) => textOf(item.content))].join("\n")
  const inputTokens = tokens(promptText) + 7 * itemsOf(body.input).length
  let text: string | undefined
  let call: Answer["call"]
  let deltas: Array<string> = []
  let incomplete = false
  if (out.kind === "tool") {
    call = { id: `fc_${id}`, callId: `call_${id.slice(0, 16)}`, name: out.name, arguments: JSON.stringify(out.args) }
    deltas = call.arguments.match(/.{1,6}/gs) ?? []
  } else {
    const schema = outputSchemaOf(body)
    const structured = schema === undefined
      ? undefined
      : structuredText(schema, input.lastUserText, { fence: headers["x-emulator-output-fence"], invalid: headers["x-emulator-invalid-output"] })
    const wanted = structured === undefined ? intHeader(headers, "x-emulator-deltas") : undefined
    let t = structured ?? lengthen(out.text, wanted)
    const max = typeof body.max_output_tokens === "number" ? body.max_output_tokens : undefined
    if (max !== undefined && tokens(t) > max) {
      t = t.slice(0, Math.max(0, max * 4))
      incomplete = true
    }
    text = t
    deltas = wanted !== undefined && wanted > 0 && t.length >= wanted ? splitExactly(t, wanted) : wordDeltas(t)
  }
  const summaries = reasoningSummaries(headers, body, input.lastUserText)
  const include = Array.isArray(body.include) ? body.include : []
  const reasoning = summaries === undefined
    ? undefined
    : {
        id: `rs_${id}`,
        summary: summaries,
        raw: headers["x-emulator-reasoning-text"] === "1",
        encrypted: include.includes("reasoning.encrypted_content") ? Buffer.from(`emulated reasoning for ${id}`).toString("base64") : undefined
      }
  const reasoningTokens = reasoning === undefined ? 0 : tokens(reasoning.summary.join(" ")) * 4
  const outputTokens = tokens(text ?? (call ? call.name + call.arguments : "")) + reasoningTokens
  return {
    id: `resp_${id}`,
    messageId: `msg_${id}`,
    createdAt: 1_750_000_000,
    text,
    call,
    deltas,
    incomplete,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: Math.min(inputTokens, intHeader(headers, "x-emulator-cached-tokens") ?? (cacheSeen ? Math.floor(inputTokens / 2) : 0)) },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: reasoningTokens },
      total_tokens: inputTokens + outputTokens
    },
    reasoning,
    builtin: headers["x-emulator-builtin-tools"] === "none" ? [] : builtinItems(body, id, input.lastUserText)
  }
}

const textPart = (text: string): Json => ({ type: "output_text", text, annotations: [], logprobs: [] })

const reasoningItem = (r: NonNullable<Answer["reasoning"]>, done: boolean): Json => ({
  id: r.id,
  type: "reasoning",
  summary: done && !r.raw ? r.summary.map((text) => ({ type: "summary_text", text })) : [],
  ...(r.raw ? { content: done ? r.summary.map((text) => ({ type: "reasoning_text", text })) : [] } : {}),
  ...(r.encrypted !== undefined ? { encrypted_content: done ? r.encrypted : null } : {})
})

/** Every output item: the reasoning (if any), the built-in tools' items, then the answer. */
const outputItems = (a: Answer, done: boolean): Array<Json> => [
  ...(a.reasoning !== undefined ? [reasoningItem(a.reasoning, done)] : []),
  ...a.builtin.map((item) => (done ? item.done : item.added)),
  outputItem(a, done)
]

const outputItem = (a: Answer, done: boolean): Json =>
  a.call !== undefined
    ? { id: a.call.id, type: "function_call", status: done ? "completed" : "in_progress", arguments: done ? a.call.arguments : "", call_id: a.call.callId, name: a.call.name }
    : { id: a.messageId, type: "message", status: done ? "completed" : "in_progress", content: done ? [textPart(a.text ?? "")] : [], role: "assistant" }

/** The `response` object; `state` is where in its life it is. */
const responseJson = (a: Answer, body: Json, state: "in_progress" | "done"): Json => {
  const done = state === "done"
  const status = !done ? "in_progress" : a.incomplete ? "incomplete" : "completed"
  return {
    id: a.id,
    object: "response",
    created_at: a.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: done && a.incomplete ? { reason: "max_output_tokens" } : null,
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === "number" ? body.max_output_tokens : null,
    max_tool_calls: null,
    model: String(body.model),
    output: done ? outputItems(a, true) : [],
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: typeof body.previous_response_id === "string" ? body.previous_response_id : null,
    reasoning: isRecord(body.reasoning) ? { effort: body.reasoning.effort ?? null, summary: body.reasoning.summary ?? null } : { effort: null, summary: null },
    service_tier: "default",
    store: body.store !== false,
    temperature: typeof body.temperature === "number" ? body.temperature : 1,
    text: isRecord(body.text) ? body.text : { format: { type: "text" }, verbosity: "medium" },
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_logprobs: 0,
    top_p: typeof body.top_p === "number" ? body.top_p : 1,
    truncation: "disabled",
    usage: done ? a.usage : null,
    user: null,
    metadata: isRecord(body.metadata) ? body.metadata : {}
  }
}

/** The SSE events of an answer, each as `event: <type>` + `data: <json>` with a sequence number. */
const responseEvents = (a: Answer, body: Json): Array<string> => {
  let sequence = 0
  const event = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`
  const frames: Array<string> = [
    event("response.created", { response: responseJson(a, body, "in_progress") }),
    event("response.in_progress", { response: responseJson(a, body, "in_progress") })
  ]
  const r = a.reasoning
  if (r !== undefined) {
    frames.push(event("response.output_item.added", { output_index: 0, item: reasoningItem(r, false) }))
    if (r.raw) {
      r.summary.forEach((text, content_index) => {
        const at = { item_id: r.id, output_index: 0, content_index }
        for (const delta of wordDeltas(text)) frames.push(event("response.reasoning_text.delta", { ...at, delta }))
        frames.push(event("response.reasoning_text.done", { ...at, text }))
      })
    }
    if (!r.raw) r.summary.forEach((text, summary_index) => {
      const at = { item_id: r.id, output_index: 0, summary_index }
      frames.push(event("response.reasoning_summary_part.added", { ...at, part: { type: "summary_text", text: "" } }))
      for (const delta of wordDeltas(text)) frames.push(event("response.reasoning_summary_text.delta", { ...at, delta }))
      frames.push(event("response.reasoning_summary_text.done", { ...at, text }))
      frames.push(event("response.reasoning_summary_part.done", { ...at, part: { type: "summary_text", text } }))
    })
    frames.push(event("response.output_item.done", { output_index: 0, item: reasoningItem(r, true) }))
  }
  const first = r !== undefined ? 1 : 0
  a.builtin.forEach((item, i) => {
    frames.push(event("response.output_item.added", { output_index: first + i, item: item.added }))
    frames.push(event("response.output_item.done", { output_index: first + i, item: item.done }))
  })
  const output_index = first + a.builtin.length
  frames.push(event("response.output_item.added", { output_index, item: outputItem(a, false) }))
  if (a.call !== undefined) {
    for (const delta of a.deltas) frames.push(event("response.function_call_arguments.delta", { item_id: a.call.id, output_index, delta }))
    frames.push(event("response.function_call_arguments.done", { item_id: a.call.id, output_index, arguments: a.call.arguments }))
  } else {
    const at = { item_id: a.messageId, output_index, content_index: 0 }
    frames.push(event("response.content_part.added", { ...at, part: textPart("") }))
    for (const delta of a.deltas) frames.push(event("response.output_text.delta", { ...at, delta, logprobs: [] }))
    frames.push(event("response.output_text.done", { ...at, text: a.text ?? "", logprobs: [] }))
    frames.push(event("response.content_part.done", { ...at, part: textPart(a.text ?? "") }))
  }
  frames.push(event("response.output_item.done", { output_index, item: outputItem(a, true) }))
  frames.push(event(a.incomplete ? "response.incomplete" : "response.completed", { response: responseJson(a, body, "done") }))
  return frames
}

/**
 * The `response` JSON the route answers to a (valid, non-streaming) body.
 *
 * @since 0.1.0
 * @category utils
 */
export const answerResponse = (body: Readonly<Record<string, unknown>>, headers: Headers = {}): Record<string, unknown> =>
  responseJson(answer(headers, body as Json), body as Json, "done")

/**
 * What the route rejects with 400 before answering (a batch line on `/v1/responses` too).
 *
 * @since 0.1.0
 * @category utils
 */
export const validateResponses = (body: unknown): Scripted | undefined => validate(body)

/**
 * The default `POST /v1/responses` behaviour: key and body checks, then JSON or SSE.
 *
 * @since 0.1.0
 * @category utils
 */
export const responses = (request: RecordedRequest): Scripted => {
  const rejected = keyError(request) ?? validate(request.body)
  if (rejected !== undefined) return rejected
  const body = request.body as Json
  const context = contextOf(request)
  const a = answer(request.headers, body, typeof body.prompt_cache_key === "string" && context.next(`openai-cache:${body.prompt_cache_key}`) > 1)
  const headers = { "x-request-id": `req_emu_resp_${context.next("openai.responses")}`, "openai-processing-ms": "12", "openai-version": "2020-10-01" }
  const delayMs = intHeader(request.headers, "x-emulator-delay-ms")
  const timing = delayMs !== undefined ? { delayMs } : {}
  if (body.stream === true) {
    const chunkDelayMs = intHeader(request.headers, "x-emulator-chunk-delay-ms")
    return {
      headers: { ...headers, "content-type": "text/event-stream; charset=utf-8" },
      sse: responseEvents(a, body),
      ...timing,
      ...(chunkDelayMs !== undefined ? { chunkDelayMs } : {})
    }
  }
  return { headers, json: responseJson(a, body, "done"), ...timing }
}

/**
 * The route key, as `emulator.script` takes it.
 *
 * @since 0.1.0
 * @category constants
 */
export const responsesRoute = "POST /v1/responses" as const

