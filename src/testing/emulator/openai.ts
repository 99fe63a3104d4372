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
 *   it, ids are a hash of the request, so identical requests get identical ids anyway);
 * - `x-emulator-output-fence: json` / `x-emulator-invalid-output: type | json`: how a structured
 *   answer is written (see `StructuredStyle` in responder.ts).
 *
 * Structured output: a `response_format` of type json_schema (checked like the real API, strict
 * schemas included) or a JSON Schema in the system prompt (prompted output) makes the text answer
 * a JSON value valid for that schema, streamed in small fragments.
 *
 * The Files and Batch APIs (`/v1/files`, `/v1/batches`) keep their state per emulator: uploads
 * are validated like the real API's, batches follow a scripted lifecycle that advances per
 * status call, and their output lines carry what the chat route would answer. See
 * {@link OpenAiBatchLifecycle} for how a test chooses a batch's life, and
 * {@link openAiBatchEmulator} for the controls.
 *
 * Webhooks: with `openAiBatchEmulator(emulator).webhook = { url, secret }` (or the emulator's
 * `openaiWebhook` option) every batch that reaches a final status is announced by a POST of a
 * `batch.completed` / `batch.failed` / `batch.expired` / `batch.cancelled` event to `url`, signed
 * the Standard Webhooks way as OpenAI signs them ({@link signOpenAiWebhook}); `drop: true` loses
 * them instead (to test a fallback). A lifecycle's `finishAfterMs` ends a batch on its own after
 * that many milliseconds, with no status call, as a real batch does.
 */
import { createHash, createHmac } from "node:crypto"
import { isRecord } from "../../internal/wireChecks.js"
import { type ResponderInput, type ResponderOutput, respond, schemaInText, splitExactly, structuredText, tokens, wordDeltas } from "./responder.js"
import type { RouteContext } from "./context.js"
import type { Handler, RecordedRequest, Route, Scripted } from "./route.js"
import { answerResponse, validateResponses } from "./openaiResponses.js"

type Json = Record<string, unknown>


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
  return validateResponseFormat(body.response_format)
}

/** The real API's checks of a `response_format`, strict json_schema rules included (400 otherwise). */
const validateResponseFormat = (format: unknown): Scripted | undefined => {
  if (format === undefined) return undefined
  const bad = (message: string, code = "invalid_value") => openAiError(400, message, { param: "response_format", code })
  if (!isRecord(format) || !["text", "json_object", "json_schema"].includes(String(format.type))) {
    return bad("Invalid value for 'response_format.type': expected one of 'text', 'json_object' or 'json_schema'.")
  }
  if (format.type !== "json_schema") return undefined
  const spec = format.json_schema
  if (!isRecord(spec) || typeof spec.name !== "string") return bad("Missing required parameter: 'response_format.json_schema.name'.", "missing_required_parameter")
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) return bad(`Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`)
  if (spec.schema !== undefined && !isRecord(spec.schema)) return bad("Invalid type for 'response_format.json_schema.schema': expected an object.", "invalid_type")
  if (spec.strict === true) {
    const problem = strictSchemaProblem(isRecord(spec.schema) ? spec.schema : {})
    if (problem !== undefined) return bad(`Invalid schema for response_format '${spec.name}': ${problem}`, "invalid_json_schema")
  }
  return undefined
}

/** What OpenAI's strict mode refuses in a schema (written after its error messages). */
const strictSchemaProblem = (schema: Json): string | undefined => {
  if (schema.type !== "object") return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema.type ?? "None")}"'.`
  const visit = (node: unknown, context: ReadonlyArray<string>): string | undefined => {
    if (Array.isArray(node)) {
      for (const item of node) {
        const found = visit(item, context)
        if (found !== undefined) return found
      }
      return undefined
    }
    if (!isRecord(node)) return undefined
    const where = `In context=(${context.map((c) => `'${c}'`).join(", ")})`
    for (const keyword of ["minLength", "maxLength", "uniqueItems", "patternProperties", "allOf", "oneOf", "not"]) {
      if (keyword in node) return `${where}, '${keyword}' is not permitted.`
    }
    if (node.type === "object" || isRecord(node.properties)) {
      if (node.additionalProperties !== false) return `${where}, 'additionalProperties' is required to be supplied and to be false.`
      const keys = Object.keys(isRecord(node.properties) ? node.properties : {})
      const required = Array.isArray(node.required) ? node.required : []
      const missing = keys.filter((k) => !required.includes(k))
      if (missing.length > 0) return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "default") continue
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          const found = visit(sub, [...context, "properties", name])
          if (found !== undefined) return found
        }
        continue
      }
      const found = visit(value, [...context, key])
      if (found !== undefined) return found
    }
    return undefined
  }
  return visit(schema, [])
}

/**
 * The JSON Schema the answer must follow: the json_schema `response_format`, else a schema in
 * the system (or developer) messages, as prompted output puts it there.
 */
const outputSchemaOf = (body: Json): unknown => {
  const format = body.response_format
  if (isRecord(format) && format.type === "json_schema" && isRecord(format.json_schema)) return format.json_schema.schema ?? {}
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : []
  return schemaInText(messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content)).join("\n"))
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
    const schema = outputSchemaOf(body)
    const structured = schema === undefined
      ? undefined
      : structuredText(schema, input.lastUserText, { fence: header(headers, "x-emulator-output-fence"), invalid: header(headers, "x-emulator-invalid-output") })
    let t = structured ?? first.text
    const wanted = intHeader(headers, "x-emulator-deltas")
    if (wanted !== undefined && wanted > 0 && structured === undefined) {
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
    deltas = wanted !== undefined && wanted > 0 && t.length >= wanted ? splitExactly(t, wanted) : structured !== undefined ? argumentFragments(t) : wordDeltas(t)
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

/** The OpenAI routes: chat completions, and the Files and Batch APIs (see {@link OpenAiBatchLifecycle}). */
export const openAiRoutes = (context: RouteContext): ReadonlyArray<Route> => [
  { method: "POST", path: "/v1/chat/completions", handler: chatCompletions },
  ...batchRoutes(context)
]

// ---------------------------------------------------------------------------------------------
// files and batches
// ---------------------------------------------------------------------------------------------

/**
 * How an emulated OpenAI batch lives. Lifecycles advance per status call
 * (`GET /v1/batches/:id`), never per second, so tests need no clock: with `statusCalls: N` the
 * batch is `validating` at create, `in_progress` with growing request counts, `finalizing` at
 * call N - 1 (N ≥ 3), and final at call N. A cancel makes it `cancelling`; the next status call
 * makes it `cancelled`, with the requests finished by then in the output file.
 *
 * Choose it, from the most to the least specific:
 * - per batch: the batch's metadata key `emulator_lifecycle`, a JSON text of this shape
 *   (`Batch.run(requests, { metadata: { emulator_lifecycle: JSON.stringify({ statusCalls: 0 }) } })`);
 * - per client: the create's `x-emulator-batch` header, set once on an SDK's `defaultHeaders`
 *   with {@link openAiBatchLifecycleHeader} (as for Anthropic);
 * - per emulator, in process: `openAiBatchEmulator(emulator).lifecycle = { ... }`;
 * - per emulator, from another process: `POST {url}/v1/emulator/batch-lifecycle` with the JSON
 *   (or `null` to go back to the default).
 * Faults on any call come from the emulator's scripts (`emulator.script("GET /v1/batches/:id",
 * openAiError(429, ...))`); `openAiBatchEmulator(emulator).handler(key)` gives a route's default
 * behaviour to wrap (`async (r) => ({ ...(await handler(r)), fault: "truncate" })`).
 */
export interface OpenAiBatchLifecycle {
  /** Status calls until the batch is final (default 3); 0 makes it final at create. */
  readonly statusCalls?: number | undefined
  /** How it ends (default "completed"); "failed" fails validation with `batchErrors`. */
  readonly outcome?: "completed" | "expired" | "cancelled" | "failed" | undefined
  /** Requests (in submission order) finished before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /** Requests that fail, by custom id: the HTTP status of their error line (400, 500, ...). */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** The `errors.data` of a "failed" outcome (default one `invalid_request` error on line 1). */
  readonly batchErrors?: ReadonlyArray<{ readonly code: string; readonly message: string; readonly line?: number; readonly param?: string }> | undefined
  /** Line order in the result files (default "shuffled", a fixed permutation: never input order). */
  readonly order?: "submission" | "reversed" | "shuffled" | undefined
  /** Custom ids whose line is written twice (the copy at the end of its file). */
  readonly duplicate?: ReadonlyArray<string> | undefined
  /** Custom ids left out of both files. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Whether requests unfinished at expiry or cancellation get an error line (default true). */
  readonly unprocessedLines?: boolean | undefined
  /** Lines per write of a result-file download (default 1000). */
  readonly linesPerChunk?: number | undefined
  /** Milliseconds between those writes (default none). */
  readonly chunkDelayMs?: number | undefined
  /**
   * End the batch (with `outcome`) this many real milliseconds after create, without a status
   * call; status calls before then keep it `in_progress`. Overrides `statusCalls`.
   */
  readonly finishAfterMs?: number | undefined
  /** Where this batch's final event is posted (wins over the emulator's `webhook`). */
  readonly webhook?: OpenAiWebhookTarget | undefined
}

/** Where the emulator posts batch webhooks, and with which secret it signs them. */
export interface OpenAiWebhookTarget {
  /** The URL to POST events to. */
  readonly url: string
  /** The signing secret, `whsec_<base64>` as OpenAI shows it (or any text, used as is). */
  readonly secret: string
  /** Lose every event instead of posting it (the delivery is still recorded). */
  readonly drop?: boolean | undefined
}

/** One webhook the emulator sent (or dropped). */
export interface WebhookDelivery {
  readonly eventId: string
  readonly type: string
  readonly batchId: string
  /** The HTTP status the receiver answered, "dropped", or "error" when the POST failed. */
  readonly outcome: number | "dropped" | "error"
}

/**
 * The Standard Webhooks headers of a body, as OpenAI signs them: `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, keyed by the base64 part of a `whsec_` secret (or the text itself).
 */
export const signOpenAiWebhook = (
  secret: string,
  body: string,
  options?: { readonly id?: string | undefined; readonly timestamp?: number | undefined }
): Record<string, string> => {
  const id = options?.id ?? `msg_emu_${createHash("sha256").update(body).digest("hex").slice(0, 16)}`
  const timestamp = String(options?.timestamp ?? Math.floor(Date.now() / 1000))
  const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret, "utf8")
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` }
}

/** What the emulator knows of one batch, for assertions. */
export interface EmulatedBatch {
  readonly id: string
  readonly status: string
  readonly customIds: ReadonlyArray<string>
  /** Status calls answered so far. */
  readonly statusCalls: number
  /** Cancel calls answered so far. */
  readonly cancelCalls: number
  readonly inputFileId: string
  readonly outputFileId: string | undefined
  readonly errorFileId: string | undefined
  readonly metadata: Readonly<Record<string, string>>
  /** Its enqueued tokens as {@link enqueuedTokensOf} counts them. */
  readonly tokens: number
}

/**
 * How the emulator counts a batch's enqueued tokens against `enqueuedTokenLimits`: per input
 * line, its UTF-8 bytes with the newline divided by 4 (rounded up), plus its body's
 * `max_completion_tokens` (or `max_tokens`). The same figure as the library's default
 * `Batch.estimateTokens` of a request, so tests can check a budget exactly; the real API counts
 * with its tokenizer.
 */
export const enqueuedTokensOf = (lineText: string, body: Readonly<Record<string, unknown>>): number => {
  const output = typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : typeof body.max_tokens === "number" ? body.max_tokens : 0
  return Math.ceil((Buffer.byteLength(lineText) + 1) / 4) + output
}

/** The route keys of the Files and Batch APIs, as `emulator.script` takes them. */
export const batchRouteKeys = {
  uploadFile: "POST /v1/files",
  retrieveFile: "GET /v1/files/:id",
  fileContent: "GET /v1/files/:id/content",
  deleteFile: "DELETE /v1/files/:id",
  createBatch: "POST /v1/batches",
  retrieveBatch: "GET /v1/batches/:id",
  cancelBatch: "POST /v1/batches/:id/cancel",
  listBatches: "GET /v1/batches",
  setLifecycle: "POST /v1/emulator/batch-lifecycle"
} as const

/** A route key of the Files and Batch APIs. */
export type BatchRouteKey = (typeof batchRouteKeys)[keyof typeof batchRouteKeys]

/** Controls of one emulator's OpenAI files and batches (see {@link openAiBatchEmulator}). */
export interface OpenAiBatchEmulator {
  /** The lifecycle of batches created from now on (a batch's `emulator_lifecycle` metadata wins). */
  lifecycle: OpenAiBatchLifecycle | undefined
  /**
   * Enqueued-token limits by model (as OpenAI's per-model batch queue limits): a batch created
   * while the model's batches in validating / in_progress / finalizing hold so many tokens that
   * it would pass the limit fails at its first status call (at create with `statusCalls: 0`)
   * the way OpenAI fails it: status `failed`, `errors.data[0].code` "token_limit_exceeded",
   * nothing processed. Tokens are counted by {@link enqueuedTokensOf}.
   */
  enqueuedTokenLimits: Readonly<Record<string, number>> | undefined
  /** The model's enqueued tokens now (its batches in validating / in_progress / finalizing). */
  readonly enqueuedTokens: (model: string) => number
  /** The most tokens the model had enqueued at once so far. */
  readonly peakEnqueuedTokens: (model: string) => number
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedBatch>
  /** The text of a stored file (an upload or a result file). */
  readonly fileText: (fileId: string) => string | undefined
  /** A route's default behaviour, to wrap in a script. */
  readonly handler: (key: BatchRouteKey) => Handler
  /** Forgets every file, batch, webhook and the default lifecycle (emulator.reset() does not). */
  readonly reset: () => void
  /** Where batch events are posted (none by default). */
  webhook: OpenAiWebhookTarget | undefined
  /** Every webhook sent or dropped so far, oldest first. */
  readonly webhooks: () => ReadonlyArray<WebhookDelivery>
  /** Resolves once every webhook POST under way has been answered. */
  readonly webhooksSettled: () => Promise<void>
}

interface StoredFile {
  readonly id: string
  readonly filename: string
  readonly purpose: string
  readonly createdAt: number
  readonly bytes: number
  /** the upload, as received */
  readonly raw?: Buffer | undefined
  /** result files: lines grouped for writing, each group ending in a newline */
  readonly chunks?: ReadonlyArray<string> | undefined
  readonly chunkDelayMs?: number | undefined
}

interface InputLine {
  readonly customId: string
  readonly body: Json
}

interface BatchState {
  readonly id: string
  readonly seq: number
  readonly createdAt: number
  readonly inputFileId: string
  readonly endpoint: string
  readonly metadata: Record<string, string>
  readonly lifecycle: OpenAiBatchLifecycle
  readonly model: string | undefined
  readonly customIds: ReadonlyArray<string>
  /** the parsed input, dropped once the result files exist */
  lines: ReadonlyArray<InputLine> | undefined
  /** per request: the status of its answer (200, or the error line's status) */
  readonly statuses: ReadonlyArray<number>
  readonly headers: Headers
  readonly validationErrors: ReadonlyArray<Json>
  /** enqueued tokens (enqueuedTokensOf) */
  readonly tokens: number
  status: string
  polls: number
  cancels: number
  /** requests finished when the cancel came */
  cancelledAfter: number | undefined
  processed: number
  times: Record<string, number>
  outputFileId: string | undefined
  errorFileId: string | undefined
  errors: ReadonlyArray<Json> | undefined
}

const now = (): number => Math.floor(Date.now() / 1000)

/** FNV-1a: a cheap, stable hash for the "shuffled" order. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

// Azure OpenAI names the same endpoints without the `/v1` prefix
const SUPPORTED_ENDPOINTS = new Set(["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/responses", "/chat/completions"])
const isResponsesEndpoint = (endpoint: string): boolean => endpoint === "/v1/responses" || endpoint === "/responses"
/** The body checks of a line's endpoint. */
const validateLine = (endpoint: string, body: unknown): Scripted | undefined =>
  isResponsesEndpoint(endpoint) ? validateResponses(body) : validate(body)
const FINAL = new Set(["completed", "failed", "expired", "cancelled"])

const keyError = (request: RecordedRequest): Scripted | undefined => {
  const key = request.apiKey
  if (key === undefined || key === "") {
    return openAiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
  }
  if (key.includes("invalid")) {
    return openAiError(401, `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, { code: "invalid_api_key" })
  }
  return undefined
}

const withKey = (handler: Handler): Handler => (request) => keyError(request) ?? handler(request)

/** Reads the input file like the real API's validation: the batch fails with these errors. */
const readInput = (raw: Buffer, endpoint: string): { lines: Array<InputLine>; errors: Array<Json> } => {
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

/** The header that chooses a batch's lifecycle on `POST /v1/batches` (the same as Anthropic's). */
export const openAiBatchLifecycleHeaderName = "x-emulator-batch"

/**
 * The header for a client's `defaultHeaders` that gives every batch it creates this lifecycle
 * (the `emulator_lifecycle` metadata key still wins).
 */
export const openAiBatchLifecycleHeader = (lifecycle: OpenAiBatchLifecycle): Record<string, string> => ({
  [openAiBatchLifecycleHeaderName]: JSON.stringify(lifecycle)
})

const parseLifecycle = (raw: string | undefined): OpenAiBatchLifecycle | undefined => {
  if (raw === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? (parsed as OpenAiBatchLifecycle) : undefined
  } catch {
    return undefined
  }
}

interface Registered {
  readonly context: RouteContext
  readonly control: OpenAiBatchEmulator
}
// route modules only get a context: controls are found by the emulator's URL
const registry: Array<Registered> = []

/**
 * The batch controls of a running emulator (this process only; from another process use the
 * `POST /v1/emulator/batch-lifecycle` route).
 *
 * @example
 * const batches = openAiBatchEmulator(emulator)
 * batches.lifecycle = { statusCalls: 2, outcome: "expired", processed: 1 }
 */
export const openAiBatchEmulator = (emulator: { readonly url: string }): OpenAiBatchEmulator => {
  const found = registry.find((r) => r.context.url() === emulator.url)
  if (found === undefined) throw new Error(`emulator: no OpenAI batch routes at ${emulator.url}`)
  return found.control
}

const batchRoutes = (context: RouteContext): ReadonlyArray<Route> => {
  const files = new Map<string, StoredFile>()
  const batches = new Map<string, BatchState>()
  let counter = 0
  const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).padStart(6, "0")}emu`
  let defaultLifecycle: OpenAiBatchLifecycle | undefined
  let tokenLimits: Readonly<Record<string, number>> | undefined
  const peaks = new Map<string, number>()
  const LIVE = new Set(["validating", "in_progress", "finalizing"])
  const enqueuedTokens = (model: string): number => {
    let sum = 0
    for (const b of batches.values()) if (b.model === model && LIVE.has(b.status) && b.validationErrors.length === 0) sum += b.tokens
    return sum
  }
  let webhookTarget: OpenAiWebhookTarget | undefined
  const deliveries: Array<WebhookDelivery> = []
  const inFlight = new Set<Promise<void>>()
  const timers = new Set<ReturnType<typeof setTimeout>>()

  /** Posts (or drops) the event of a batch that just became final. */
  const announce = (b: BatchState) => {
    const target = b.lifecycle.webhook ?? webhookTarget
    if (target === undefined) return
    const type = `batch.${b.status}`
    const eventId = `evt_emu_${b.id.slice(6)}_${b.status}`
    if (target.drop === true) {
      deliveries.push({ eventId, type, batchId: b.id, outcome: "dropped" })
      return
    }
    const body = JSON.stringify({ id: eventId, object: "event", created_at: now(), type, data: { id: b.id } })
    const post = fetch(target.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...signOpenAiWebhook(target.secret, body, { id: `msg_${eventId}` }) },
      body
    }).then(
      async (response) => {
        await response.arrayBuffer().catch(() => undefined)
        deliveries.push({ eventId, type, batchId: b.id, outcome: response.status })
      },
      () => {
        deliveries.push({ eventId, type, batchId: b.id, outcome: "error" })
      }
    )
    inFlight.add(post)
    void post.finally(() => inFlight.delete(post))
  }

  const fileJson = (f: StoredFile): Json => ({
    id: f.id,
    object: "file",
    bytes: f.bytes,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: "processed",
    status_details: null
  })

  const statusOf = (b: BatchState): number => b.statuses.length
  const succeeded = (b: BatchState, k: number): number => b.statuses.slice(0, k).filter((s) => s < 400).length

  const batchJson = (b: BatchState): Json => {
    const n = statusOf(b)
    const validating = b.status === "validating" || (b.status === "failed" && b.validationErrors.length > 0)
    const final = FINAL.has(b.status)
    const done = b.status === "finalizing" ? n : b.processed
    const ok = succeeded(b, done)
    // at the end the unfinished requests of an expired or cancelled batch count as failed
    const failed = final && b.status !== "completed" ? n - ok : done - ok
    const t = b.times
    return {
      id: b.id,
      object: "batch",
      endpoint: b.endpoint,
      model: b.model ?? null,
      errors: b.errors === undefined ? null : { object: "list", data: b.errors },
      input_file_id: b.inputFileId,
      completion_window: "24h",
      status: b.status,
      output_file_id: b.outputFileId ?? null,
      error_file_id: b.errorFileId ?? null,
      created_at: b.createdAt,
      in_progress_at: t.in_progress ?? null,
      expires_at: b.createdAt + 86_400,
      finalizing_at: t.finalizing ?? null,
      completed_at: t.completed ?? null,
      failed_at: t.failed ?? null,
      expired_at: t.expired ?? null,
      cancelling_at: t.cancelling ?? null,
      cancelled_at: t.cancelled ?? null,
      request_counts: validating ? { total: 0, completed: 0, failed: 0 } : { total: n, completed: ok, failed },
      metadata: b.metadata
    }
  }

  /** Writes the result files: finished requests answer, the rest expire or are cancelled. */
  const finish = (b: BatchState, status: "completed" | "expired" | "cancelled", processed: number) => {
    const lc = b.lifecycle
    const lines = b.lines ?? []
    const output: Array<{ id: string; text: string }> = []
    const errorLines: Array<{ id: string; text: string }> = []
    // identical requests get identical answers: build each distinct answer's JSON once
    const answers = new Map<string, string>()
    const answerText = (body: Json): string => {
      const key = JSON.stringify(body)
      let text = answers.get(key)
      if (text === undefined) {
        // a batch on the Responses API answers `response` objects (openaiResponses.ts)
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
    const omitted = new Set(lc.omit ?? [])
    const order = lc.order ?? "shuffled"
    const arrange = (items: Array<{ id: string; text: string }>): Array<string> => {
      const kept = items.filter((item) => !omitted.has(item.id))
      if (order === "reversed") kept.reverse()
      else if (order === "shuffled") {
        const keys = new Map(kept.map((item) => [item.id, hash(`${b.id}:${item.id}`)]))
        kept.sort((x, y) => keys.get(x.id)! - keys.get(y.id)!)
      }
      const texts = kept.map((item) => item.text)
      for (const id of lc.duplicate ?? []) {
        const item = kept.find((k) => k.id === id)
        if (item !== undefined) texts.push(item.text)
      }
      return texts
    }
    const store = (texts: Array<string>): string | undefined => {
      if (texts.length === 0) return undefined
      const per = Math.max(1, lc.linesPerChunk ?? 1000)
      const chunks: Array<string> = []
      let bytes = 0
      for (let i = 0; i < texts.length; i += per) {
        const chunk = `${texts.slice(i, i + per).join("\n")}\n`
        bytes += Buffer.byteLength(chunk)
        chunks.push(chunk)
      }
      const id = nextId("file-")
      files.set(id, {
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
    b.outputFileId = store(arrange(output))
    b.errorFileId = store(arrange(errorLines))
    b.processed = processed
    b.status = status
    b.times[status] = now()
    b.lines = undefined // the answers are written: keep the batch compact
    announce(b)
  }

  const fail = (b: BatchState, errors: ReadonlyArray<Json>) => {
    b.status = "failed"
    b.errors = errors
    b.times.failed = now()
    b.lines = undefined
    announce(b)
  }

  const scriptedFailure = (lc: OpenAiBatchLifecycle): ReadonlyArray<Json> =>
    lc.batchErrors ?? [{ code: "invalid_request", message: "emulator: this batch was scripted to fail validation.", param: null, line: 1 }]

  const processedBy = (b: BatchState, polls: number): number => {
    const n = statusOf(b)
    const lc = b.lifecycle
    const target = lc.outcome === "expired" || lc.outcome === "cancelled" ? Math.min(n, lc.processed ?? Math.floor(n / 2)) : n
    const calls = Math.max(1, lc.statusCalls ?? 3)
    return Math.min(target, Math.floor((target * polls) / calls))
  }

  /** One status call's step of the lifecycle. */
  const advance = (b: BatchState) => {
    if (FINAL.has(b.status)) return
    b.polls += 1
    const lc = b.lifecycle
    if (b.validationErrors.length > 0) return fail(b, b.validationErrors)
    // a batch that ends on a timer is in progress until then (or until a cancel lands)
    if (lc.finishAfterMs !== undefined) {
      if (b.status === "cancelling") return finish(b, "cancelled", b.cancelledAfter ?? 0)
      b.status = "in_progress"
      b.times.in_progress ??= now()
      return
    }
    if (lc.outcome === "failed") return fail(b, scriptedFailure(lc))
    if (b.status === "cancelling") return finish(b, "cancelled", b.cancelledAfter ?? 0)
    const calls = lc.statusCalls ?? 3
    if (b.polls >= calls) {
      const outcome = lc.outcome ?? "completed"
      return finish(b, outcome, outcome === "completed" ? statusOf(b) : processedBy(b, calls))
    }
    if (calls >= 3 && b.polls === calls - 1) {
      b.status = "finalizing"
      b.times.finalizing ??= now()
      b.processed = processedBy(b, b.polls)
      return
    }
    b.status = "in_progress"
    b.times.in_progress ??= now()
    b.processed = processedBy(b, b.polls)
  }

  const notFound = (what: string, id: string) => openAiError(404, `No ${what} found with id '${id}'.`, { type: "invalid_request_error" })

  const uploadFile: Handler = async (request) => {
    const type = request.headers["content-type"] ?? ""
    if (!type.startsWith("multipart/form-data")) return openAiError(400, "The request must be multipart/form-data.")
    // the web Response parses multipart bodies (Node has no other built-in parser)
    const form = await new Response(new Uint8Array(request.rawBody), { headers: { "content-type": type } }).formData()
    const file = form.get("file")
    const purpose = form.get("purpose")
    if (file === null || typeof file === "string") return openAiError(400, "Missing required parameter: 'file'.", { param: "file" })
    if (typeof purpose !== "string") return openAiError(400, "Missing required parameter: 'purpose'.", { param: "purpose" })
    if (!["assistants", "batch", "fine-tune", "vision", "user_data", "evals"].includes(purpose)) {
      return openAiError(400, `Invalid value for 'purpose': '${purpose}'.`, { param: "purpose", code: "invalid_value" })
    }
    const filename = (file as File).name ?? "upload"
    if (purpose === "batch" && !filename.endsWith(".jsonl")) {
      return openAiError(400, "Invalid file format for Batch API. Must be .jsonl", { param: "file" })
    }
    const raw = Buffer.from(await file.arrayBuffer())
    const id = nextId("file-")
    const stored: StoredFile = { id, filename, purpose, createdAt: now(), bytes: raw.length, raw }
    files.set(id, stored)
    return { headers: responseHeaders(), json: fileJson(stored) }
  }

  const retrieveFile: Handler = (request) => {
    const f = files.get(request.params.id ?? "")
    return f === undefined ? notFound("file", request.params.id ?? "") : { headers: responseHeaders(), json: fileJson(f) }
  }

  const fileContent: Handler = (request) => {
    const f = files.get(request.params.id ?? "")
    if (f === undefined) return notFound("file", request.params.id ?? "")
    const headers = { ...responseHeaders(), "content-type": "application/octet-stream" }
    if (f.chunks !== undefined) {
      // written a group of lines at a time (the SSE writer sends frames as they are)
      return { headers, sse: f.chunks, ...(f.chunkDelayMs !== undefined ? { chunkDelayMs: f.chunkDelayMs } : {}) }
    }
    return { headers, text: (f.raw ?? Buffer.alloc(0)).toString("utf8") }
  }

  const deleteFile: Handler = (request) => {
    const id = request.params.id ?? ""
    if (!files.delete(id)) return notFound("file", id)
    return { headers: responseHeaders(), json: { id, object: "file", deleted: true } }
  }

  const createBatch: Handler = (request) => {
    const body = request.body
    if (!isRecord(body)) return openAiError(400, "We could not parse the JSON body of your request.")
    const inputFileId = body.input_file_id
    if (typeof inputFileId !== "string") return openAiError(400, "Missing required parameter: 'input_file_id'.", { param: "input_file_id" })
    const endpoint = body.endpoint
    if (typeof endpoint !== "string" || !SUPPORTED_ENDPOINTS.has(endpoint)) {
      return openAiError(400, `Invalid value for 'endpoint': '${String(endpoint)}'.`, { param: "endpoint", code: "invalid_value" })
    }
    if (body.completion_window !== "24h") {
      return openAiError(400, `Invalid value for 'completion_window': '${String(body.completion_window)}'. Supported values are: '24h'.`, { param: "completion_window", code: "invalid_value" })
    }
    const metadata: Record<string, string> = {}
    if (body.metadata !== undefined && body.metadata !== null) {
      if (!isRecord(body.metadata)) return openAiError(400, "Invalid type for 'metadata': expected an object.", { param: "metadata" })
      const entries = Object.entries(body.metadata)
      if (entries.length > 16) return openAiError(400, "Invalid 'metadata': too many properties. Expected an object with at most 16 properties.", { param: "metadata" })
      for (const [k, v] of entries) {
        if (k.length > 64) return openAiError(400, `Invalid 'metadata': key '${k}' is longer than 64 characters.`, { param: "metadata" })
        if (typeof v !== "string" || v.length > 512) return openAiError(400, `Invalid 'metadata': the value of '${k}' must be a string of at most 512 characters.`, { param: "metadata" })
        metadata[k] = v
      }
    }
    const file = files.get(inputFileId)
    if (file === undefined || file.raw === undefined) return notFound("file", inputFileId)
    if (file.purpose !== "batch") return openAiError(400, `File ${inputFileId} was not uploaded with purpose 'batch'.`, { param: "input_file_id" })
    const { lines, errors } = readInput(file.raw, endpoint)
    const lifecycle = parseLifecycle(metadata.emulator_lifecycle) ?? parseLifecycle(request.headers[openAiBatchLifecycleHeaderName]) ?? defaultLifecycle ?? {}
    const failing = lifecycle.errors ?? {}
    const model = lines[0] !== undefined && typeof lines[0].body.model === "string" ? lines[0].body.model : undefined
    const texts = file.raw.toString("utf8").split("\n").filter((l) => l.trim() !== "")
    const tokens = lines.reduce((sum, l, i) => sum + enqueuedTokensOf(texts[i] ?? "", l.body), 0)
    const limit = model === undefined ? undefined : tokenLimits?.[model]
    const enqueued = model === undefined ? 0 : enqueuedTokens(model)
    const queueFull = errors.length === 0 && limit !== undefined && enqueued + tokens > limit
    if (model !== undefined && errors.length === 0 && !queueFull) peaks.set(model, Math.max(peaks.get(model) ?? 0, enqueued + tokens))
    const rejected: ReadonlyArray<Json> = queueFull
      ? [{
          code: "token_limit_exceeded",
          message: `Enqueued token limit reached for ${model} in organization org-emulator. Limit: ${limit.toLocaleString("en-US")} enqueued tokens. Please try again once some in_progress batches have been completed.`,
          param: null,
          line: null
        }]
      : errors
    const b: BatchState = {
      id: nextId("batch_"),
      seq: batches.size + 1,
      createdAt: now(),
      inputFileId,
      endpoint,
      metadata,
      lifecycle,
      model,
      customIds: lines.map((l) => l.customId),
      lines,
      // a body the chat route would reject fails like it, with status 400
      // own keys only: an id like "toString" or "__proto__" is not scripted to fail
      statuses: lines.map((l) => (Object.hasOwn(failing, l.customId) ? failing[l.customId] : undefined) ?? (validateLine(endpoint, l.body) !== undefined ? 400 : 200)),
      headers: request.headers,
      validationErrors: rejected,
      tokens,
      status: "validating",
      polls: 0,
      cancels: 0,
      cancelledAfter: undefined,
      processed: 0,
      times: {},
      outputFileId: undefined,
      errorFileId: undefined,
      errors: undefined
    }
    batches.set(b.id, b)
    if (lifecycle.finishAfterMs !== undefined && rejected.length === 0) {
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (FINAL.has(b.status) || b.status === "cancelling") return
        if (lifecycle.outcome === "failed") return fail(b, scriptedFailure(lifecycle))
        const outcome = lifecycle.outcome ?? "completed"
        finish(b, outcome, outcome === "completed" ? lines.length : Math.min(lines.length, lifecycle.processed ?? Math.floor(lines.length / 2)))
      }, lifecycle.finishAfterMs)
      timer.unref()
      timers.add(timer)
    } else if ((lifecycle.statusCalls ?? 3) <= 0) {
      if (rejected.length > 0) fail(b, rejected)
      else if (lifecycle.outcome === "failed") advance(b)
      else {
        const outcome = lifecycle.outcome ?? "completed"
        finish(b, outcome, outcome === "completed" ? lines.length : Math.min(lines.length, lifecycle.processed ?? Math.floor(lines.length / 2)))
      }
    }
    return { headers: responseHeaders(), json: batchJson(b) }
  }

  const retrieveBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return notFound("batch", request.params.id ?? "")
    advance(b)
    return { headers: responseHeaders(), json: batchJson(b) }
  }

  const cancelBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return notFound("batch", request.params.id ?? "")
    b.cancels += 1
    if (FINAL.has(b.status)) return openAiError(400, `Cannot cancel a batch with status '${b.status}'.`, { code: "invalid_request" })
    if (b.status !== "cancelling") {
      b.cancelledAfter = b.processed
      b.status = "cancelling"
      b.times.cancelling = now()
    }
    return { headers: responseHeaders(), json: batchJson(b) }
  }

  const listBatches: Handler = (request) => {
    const rawLimit = Number.parseInt(request.query.get("limit") ?? "20", 10)
    const limit = Number.isFinite(rawLimit) ? Math.min(100, Math.max(1, rawLimit)) : 20
    const after = request.query.get("after")
    const newestFirst = [...batches.values()].reverse()
    const start = after === null ? 0 : newestFirst.findIndex((b) => b.id === after) + 1
    const page = newestFirst.slice(start, start + limit)
    return {
      headers: responseHeaders(),
      json: {
        object: "list",
        data: page.map(batchJson),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: start + limit < newestFirst.length
      }
    }
  }

  const setLifecycle: Handler = (request) => {
    defaultLifecycle = isRecord(request.body) ? (request.body as OpenAiBatchLifecycle) : undefined
    return { json: { lifecycle: defaultLifecycle ?? null } }
  }

  const handlers: Record<BatchRouteKey, Handler> = {
    [batchRouteKeys.uploadFile]: withKey(uploadFile),
    [batchRouteKeys.retrieveFile]: withKey(retrieveFile),
    [batchRouteKeys.fileContent]: withKey(fileContent),
    [batchRouteKeys.deleteFile]: withKey(deleteFile),
    [batchRouteKeys.createBatch]: withKey(createBatch),
    [batchRouteKeys.retrieveBatch]: withKey(retrieveBatch),
    [batchRouteKeys.cancelBatch]: withKey(cancelBatch),
    [batchRouteKeys.listBatches]: withKey(listBatches),
    [batchRouteKeys.setLifecycle]: setLifecycle
  }

  const control: OpenAiBatchEmulator = {
    get lifecycle() {
      return defaultLifecycle
    },
    set lifecycle(value) {
      defaultLifecycle = value
    },
    get enqueuedTokenLimits() {
      return tokenLimits
    },
    set enqueuedTokenLimits(value) {
      tokenLimits = value
    },
    enqueuedTokens,
    peakEnqueuedTokens: (model) => peaks.get(model) ?? 0,
    batches: () =>
      [...batches.values()].map((b) => ({
        id: b.id,
        status: b.status,
        customIds: b.customIds,
        statusCalls: b.polls,
        cancelCalls: b.cancels,
        inputFileId: b.inputFileId,
        outputFileId: b.outputFileId,
        errorFileId: b.errorFileId,
        metadata: b.metadata,
        tokens: b.tokens
      })),
    fileText: (fileId) => {
      const f = files.get(fileId)
      return f === undefined ? undefined : f.chunks !== undefined ? f.chunks.join("") : f.raw?.toString("utf8")
    },
    handler: (key) => handlers[key],
    reset: () => {
      files.clear()
      batches.clear()
      defaultLifecycle = undefined
      tokenLimits = undefined
      peaks.clear()
      webhookTarget = undefined
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      deliveries.length = 0
    },
    get webhook() {
      return webhookTarget
    },
    set webhook(value) {
      webhookTarget = value
    },
    webhooks: () => [...deliveries],
    webhooksSettled: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    }
  }
  registry.push({ context, control })

  return (Object.entries(handlers) as Array<[BatchRouteKey, Handler]>).map(([key, handler]) => {
    const [method, path] = key.split(" ") as [string, string]
    return { method, path, handler }
  })
}

