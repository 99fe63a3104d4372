/**
 * Gemini API routes of the emulator (v1beta, as the `@google/genai` SDK calls them):
 * `POST /v1beta/models/{model}:generateContent` (JSON), `:streamGenerateContent?alt=sse` (SSE,
 * one `data:` frame per chunk), `:batchGenerateContent` (batch mode), `GET /v1beta/batches[/{id}]`,
 * `POST /v1beta/batches/{id}:cancel`, the resumable upload of `POST /upload/v1beta/files` and
 * `GET /v1beta/files/{id}:download?alt=media`. Wire shapes are written by hand after the API
 * reference, never through this library's codec.
 *
 * Request headers steer the answer (tests set them through `extraHeaders`):
 * - `x-emulator-deltas: N` streams the text in exactly N chunks;
 * - `x-emulator-finish-reason: R` reports finish reason R (`MAX_TOKENS`, `SAFETY`, ...);
 * - `x-emulator-cache-read: N` reports N cached prompt tokens (`cachedContentTokenCount`);
 * - `x-emulator-id: X` names the response X, so two requests get the very same answer.
 * A request without a key is a 403, one whose key contains "invalid" a 400 `API_KEY_INVALID`.
 * A `thinkingConfig` with `includeThoughts` answers with a thought part first, and a thought
 * signature on the first part after it; any `thinkingConfig` (budget not 0) reports
 * `thoughtsTokenCount`. A `responseJsonSchema` (or `responseSchema`) with
 * `responseMimeType: application/json`, or a JSON Schema in the system instruction (prompted
 * output), makes the text a JSON value valid for it.
 *
 * Batches follow a {@link GoogleBatchLifecycle} advancing one step per status call, chosen by the
 * create's `x-emulator-batch` header ({@link googleBatchLifecycleHeader}) or the emulator's
 * default ({@link googleBatchEmulator}`(emulator).lifecycle`). Inline batches answer inline, in
 * submission order; file batches (`inputConfig.fileName`, a JSONL of `{key, request}` lines)
 * answer with a results file of `{key, response | error}` lines, in a shuffled order.
 */
import { isRecord } from "../../internal/wireChecks.js"
import { respond, type ResponderInput, schemaInText, splitExactly, splitInto, structuredText, tokens } from "./responder.js"
import type { RouteContext } from "./context.js"
import type { Handler, RecordedRequest, Route, Scripted } from "./route.js"

type Json = Record<string, unknown>
type Headers = Readonly<Record<string, string | undefined>>

const asArray = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

let counter = 0
const nextId = (prefix: string): string => `${prefix}${(++counter).toString(36).padStart(6, "0")}`

const statusNames: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED"
}

/**
 * An error in Google's format: `{"error":{"code","message","status"}}`; `retryDelay` ("30s")
 * adds a `google.rpc.RetryInfo` detail, as 429s carry.
 */
export const googleError = (status: number, message: string, options?: { readonly retryDelay?: string | undefined }): Scripted => ({
  status,
  json: {
    error: {
      code: status,
      message,
      status: statusNames[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
      ...(options?.retryDelay !== undefined
        ? { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: options.retryDelay }] }
        : {})
    }
  }
})

const textOfParts = (parts: unknown): string =>
  asArray(parts).flatMap((p) => (isRecord(p) && typeof p.text === "string" && p.thought !== true ? [p.text] : [])).join("\n")

const systemText = (body: Json): string => {
  const system = body.systemInstruction
  if (typeof system === "string") return system
  return isRecord(system) ? textOfParts(system.parts) : ""
}

/** The responder's view of a generateContent request, read straight off the wire JSON. */
export const responderInput = (body: Json, model: string): ResponderInput => {
  const contents = asArray(body.contents).filter(isRecord)
  const last = contents[contents.length - 1]
  const toolResults = last !== undefined && last.role !== "model"
    ? asArray(last.parts).flatMap((p) => {
      if (!isRecord(p) || !isRecord(p.functionResponse)) return []
      const response = p.functionResponse.response
      const value = isRecord(response) && "result" in response ? response.result : response
      return [typeof value === "string" ? value : JSON.stringify(value)]
    })
    : []
  const lastUserText = [...contents].reverse().filter((c) => c.role !== "model").map((c) => textOfParts(c.parts)).find((t) => t !== "") ?? ""
  const tools = asArray(body.tools).filter(isRecord).flatMap((t) =>
    asArray(t.functionDeclarations).filter(isRecord).map((d) => ({ name: String(d.name), parameters: d.parametersJsonSchema ?? d.parameters }))
  )
  const calling = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : undefined
  const allowed = asArray(calling?.allowedFunctionNames).filter((n): n is string => typeof n === "string")
  const toolChoice: ResponderInput["toolChoice"] =
    calling === undefined ? undefined
    : calling.mode === "NONE" ? "none"
    : calling.mode === "ANY" ? (allowed.length === 1 ? { name: allowed[0]! } : "required")
    : "auto"
  return { lastUserText, toolResults, tools, toolChoice, model }
}

/** What the request gets wrong, as the real API would reject it (400 INVALID_ARGUMENT). */
const validate = (body: unknown): string | undefined => {
  if (!isRecord(body)) return "Invalid JSON payload received."
  const contents = asArray(body.contents)
  if (contents.length === 0) return "* GenerateContentRequest.contents: contents is not specified"
  for (const [i, c] of contents.entries()) {
    if (!isRecord(c)) return `* GenerateContentRequest.contents[${i}]: must be an object`
    if (c.role !== undefined && c.role !== "user" && c.role !== "model") return `Please use a valid role: user, model. (contents[${i}].role)`
    const parts = asArray(c.parts)
    if (parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`
    for (const [j, p] of parts.entries()) {
      if (!isRecord(p)) return `* GenerateContentRequest.contents[${i}].parts[${j}]: must be an object`
      if (isRecord(p.functionResponse) && (typeof p.functionResponse.name !== "string" || p.functionResponse.name === "")) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response.name: Name cannot be empty.`
      }
      if (isRecord(p.functionCall) && !isRecord(p.functionCall.args ?? {})) return `* GenerateContentRequest.contents[${i}].parts[${j}].function_call.args: must be an object`
    }
  }
  const config = isRecord(body.generationConfig) ? body.generationConfig : {}
  if ((config.responseJsonSchema !== undefined || config.responseSchema !== undefined) && config.responseMimeType !== "application/json") {
    return "* GenerateContentRequest.generation_config.response_mime_type: must be application/json when a response schema is set"
  }
  const calling = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : undefined
  if (calling?.mode === "ANY" && asArray(body.tools).length === 0) return "* GenerateContentRequest.tool_config.function_calling_config: function calling mode ANY needs tools"
  return undefined
}

const headerNumber = (headers: Headers, name: string): number | undefined => {
  const raw = headers[name]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isFinite(n) ? n : undefined
}

interface Answer {
  readonly id: string
  readonly model: string
  readonly thought: string | undefined
  readonly signature: string | undefined
  readonly text: string | undefined
  readonly call: { readonly name: string; readonly args: Json } | undefined
  readonly finishReason: string
  readonly usage: Json
}

/** Decides the whole answer from the request. */
const answer = (body: Json, model: string, headers: Headers): Answer => {
  const input = responderInput(body, model)
  const output = respond(input)
  const config = isRecord(body.generationConfig) ? body.generationConfig : {}
  const thinking = isRecord(config.thinkingConfig) ? config.thinkingConfig : undefined
  const thinks = thinking !== undefined && thinking.thinkingBudget !== 0
  const thought = thinks && thinking?.includeThoughts === true ? `The user asks: ${input.lastUserText.slice(0, 60)}. I will answer directly.` : undefined
  const signature = thinks ? Buffer.from(`emulator-thought-signature:${input.lastUserText.length}`).toString("base64") : undefined
  let text: string | undefined
  let call: Answer["call"]
  if (output.kind === "tool") {
    call = { name: output.name, args: output.args }
  } else {
    const schema = config.responseMimeType === "application/json" && (config.responseJsonSchema !== undefined || config.responseSchema !== undefined)
      ? config.responseJsonSchema ?? config.responseSchema
      : schemaInText(systemText(body))
    text = schema !== undefined ? structuredText(schema, input.lastUserText, {}) : output.text
    const max = typeof config.maxOutputTokens === "number" ? config.maxOutputTokens : undefined
    const stops = asArray(config.stopSequences).filter((s): s is string => typeof s === "string" && s !== "")
    for (const stop of stops) {
      const at = text.indexOf(stop)
      if (at !== -1) text = text.slice(0, at)
    }
    if (max !== undefined && tokens(text) > max) text = text.slice(0, max * 4)
  }
  const finishReason = headers["x-emulator-finish-reason"] ??
    (text !== undefined && typeof config.maxOutputTokens === "number" && tokens(output.kind === "text" ? output.text : "") > config.maxOutputTokens ? "MAX_TOKENS" : "STOP")
  const prompt = tokens(JSON.stringify(body.contents ?? []) + systemText(body))
  const cached = headerNumber(headers, "x-emulator-cache-read")
  const candidates = tokens(text ?? JSON.stringify(call ?? {}))
  const thoughts = thinks ? tokens(thought ?? "thinking") + 8 : undefined
  return {
    id: headers["x-emulator-id"] ?? nextId("resp_emu_"),
    model,
    thought,
    signature,
    text,
    call,
    finishReason,
    usage: {
      promptTokenCount: prompt,
      candidatesTokenCount: candidates,
      ...(thoughts !== undefined ? { thoughtsTokenCount: thoughts } : {}),
      ...(cached !== undefined ? { cachedContentTokenCount: cached } : {}),
      totalTokenCount: prompt + candidates + (thoughts ?? 0),
      promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }]
    }
  }
}

/** The parts of a whole answer. */
const answerParts = (a: Answer): Array<Json> => {
  const parts: Array<Json> = []
  if (a.thought !== undefined) parts.push({ text: a.thought, thought: true })
  const signed = (part: Json): Json => (a.signature !== undefined && parts.every((p) => p.thoughtSignature === undefined) ? { ...part, thoughtSignature: a.signature } : part)
  if (a.call !== undefined) parts.push(signed({ functionCall: { name: a.call.name, args: a.call.args } }))
  if (a.text !== undefined && a.text !== "") parts.push(signed({ text: a.text }))
  return parts
}

/** A `GenerateContentResponse` of a whole answer. */
export const responseJson = (a: Answer): Json => ({
  candidates: [{ content: { role: "model", parts: answerParts(a) }, finishReason: a.finishReason, index: 0 }],
  usageMetadata: a.usage,
  modelVersion: a.model,
  responseId: a.id
})

const streamChunks = (a: Answer, deltas: number | undefined): Array<Json> => {
  const chunk = (parts: Array<Json>, last: boolean): Json => ({
    candidates: [{ content: { role: "model", parts }, ...(last ? { finishReason: a.finishReason } : {}), index: 0 }],
    usageMetadata: last ? a.usage : { promptTokenCount: a.usage.promptTokenCount, totalTokenCount: a.usage.promptTokenCount },
    modelVersion: a.model,
    responseId: a.id
  })
  const chunks: Array<Array<Json>> = []
  if (a.thought !== undefined) chunks.push(...splitInto(a.thought, 2).map((t) => [{ text: t, thought: true }]))
  let signature = a.signature
  const take = () => {
    const s = signature
    signature = undefined
    return s !== undefined ? { thoughtSignature: s } : {}
  }
  if (a.call !== undefined) chunks.push([{ functionCall: { name: a.call.name, args: a.call.args }, ...take() }])
  if (a.text !== undefined && a.text !== "") {
    const pieces = deltas !== undefined ? splitExactly(a.text, deltas) : splitInto(a.text, Math.max(1, Math.ceil(a.text.length / 12)))
    pieces.forEach((piece) => chunks.push([{ text: piece, ...take() }]))
  }
  if (chunks.length === 0) chunks.push([])
  return chunks.map((parts, i) => chunk(parts, i === chunks.length - 1))
}

const modelOf = (request: RecordedRequest): string => request.params.model ?? ""

/**
 * The key check of the real API: none is a 403 ("unregistered callers"), a key containing
 * "invalid" a 400 `API_KEY_INVALID`, as Gemini answers a bad key.
 */
const keyProblem = (request: RecordedRequest): Scripted | undefined => {
  const key = request.apiKey
  if (key === undefined || key === "") return googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
  if (!key.includes("invalid")) return undefined
  const error = googleError(400, "API key not valid. Please pass a valid API key.")
  const json = error.json as { error: Json }
  return { ...error, json: { error: { ...json.error, details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }] } } }
}

const generate = (request: RecordedRequest): Scripted => {
  const rejected = keyProblem(request)
  if (rejected !== undefined) return rejected
  const problem = validate(request.body)
  if (problem !== undefined) return googleError(400, problem)
  return { json: responseJson(answer(request.body as Json, modelOf(request), request.headers)) }
}

const streamGenerate = (request: RecordedRequest): Scripted => {
  const rejected = keyProblem(request)
  if (rejected !== undefined) return rejected
  const problem = validate(request.body)
  if (problem !== undefined) return googleError(400, problem)
  if (request.query.get("alt") !== "sse") return googleError(400, "the emulator streams only with alt=sse")
  const chunks = streamChunks(answer(request.body as Json, modelOf(request), request.headers), headerNumber(request.headers, "x-emulator-deltas"))
  return { sse: chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`) }
}

// ---------------------------------------------------------------------------------------------
// batches and files
// ---------------------------------------------------------------------------------------------

/** How an emulated Gemini batch advances, one step per status call. */
export interface GoogleBatchLifecycle {
  /** Status calls until it ends (default 1); 0 ends it at create. */
  readonly statusCalls?: number | undefined
  /** How it ends (default "succeeded"). "failed" has no results; "expired" / "cancelled" answer the first `processed`. */
  readonly outcome?: "succeeded" | "failed" | "expired" | "cancelled" | undefined
  /** Requests answered before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /** Requests that fail, by key: an error of that HTTP status instead of a response. */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** Keys left out of a results file. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Keys whose results-file line is written twice. */
  readonly duplicate?: ReadonlyArray<string> | undefined
}

/** The header name of {@link googleBatchLifecycleHeader}. */
export const googleBatchLifecycleHeaderName = "x-emulator-batch"

/** The header that picks the lifecycle of the batches a client creates (set it on `defaultHeaders`). */
export const googleBatchLifecycleHeader = (lifecycle: GoogleBatchLifecycle): Record<string, string> => ({
  [googleBatchLifecycleHeaderName]: JSON.stringify(lifecycle)
})

/** What the emulator knows of one Gemini batch, for assertions. */
export interface EmulatedGoogleBatch {
  readonly id: string
  readonly model: string
  /** `BATCH_STATE_PENDING`, `_RUNNING`, `_SUCCEEDED`, `_FAILED`, `_CANCELLED` or `_EXPIRED`. */
  readonly state: string
  /** "inline" or "file". */
  readonly source: "inline" | "file"
  readonly keys: ReadonlyArray<string>
  /** Each request as received. */
  readonly requests: ReadonlyArray<Json>
  readonly statusCalls: number
  readonly cancelCalls: number
}

/** Route keys of the batch and file calls, for `emulator.script`. */
export const googleRouteKeys = {
  generateContent: "POST /v1beta/models/:model:generateContent",
  streamGenerateContent: "POST /v1beta/models/:model:streamGenerateContent",
  createBatch: "POST /v1beta/models/:model:batchGenerateContent",
  getBatch: "GET /v1beta/batches/:id",
  cancelBatch: "POST /v1beta/batches/:id:cancel",
  listBatches: "GET /v1beta/batches",
  uploadFile: "POST /upload/v1beta/files",
  downloadFile: "GET /v1beta/files/:id:download"
} as const

/** Controls of one emulator's Gemini batches. */
export interface GoogleBatchEmulator {
  /** The lifecycle of batches created from now on (the `x-emulator-batch` header wins). */
  lifecycle: GoogleBatchLifecycle | undefined
  /** Every batch so far, oldest first. */
  readonly batches: () => ReadonlyArray<EmulatedGoogleBatch>
  /** Names of the uploaded files, oldest first. */
  readonly files: () => ReadonlyArray<string>
  /** Forgets every batch, file and the default lifecycle. */
  readonly reset: () => void
}

interface BatchState {
  readonly id: string
  readonly model: string
  readonly displayName: string
  readonly source: "inline" | "file"
  readonly keys: Array<string>
  readonly requests: Array<Json>
  readonly lifecycle: GoogleBatchLifecycle
  readonly headers: Headers
  readonly createTime: string
  state: string
  endTime: string | undefined
  statusCalls: number
  cancelCalls: number
  output: Json | undefined
}

interface Registered {
  readonly context: RouteContext
  readonly control: GoogleBatchEmulator
}
const registry: Array<Registered> = []

/** The Gemini batch controls of a running emulator (this process only; else the `x-emulator-batch` header). */
export const googleBatchEmulator = (emulator: { readonly url: string }): GoogleBatchEmulator => {
  const found = registry.find((r) => r.context.url() === emulator.url)
  if (found === undefined) throw new Error(`emulator: no Gemini routes at ${emulator.url}`)
  return found.control
}

const finalStates = ["BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"]

/** The Gemini routes, with a fresh batch and file store. */
export const googleRoutes = (context: RouteContext): ReadonlyArray<Route> => {
  const batches = new Map<string, BatchState>()
  const files = new Map<string, { readonly name: string; readonly mimeType: string; data: Buffer | undefined }>()
  const uploads = new Map<string, string>()
  const control: GoogleBatchEmulator = {
    lifecycle: undefined,
    batches: () =>
      [...batches.values()].map((b) => ({
        id: b.id,
        model: b.model,
        state: b.state,
        source: b.source,
        keys: [...b.keys],
        requests: [...b.requests],
        statusCalls: b.statusCalls,
        cancelCalls: b.cancelCalls
      })),
    files: () => [...files.keys()],
    reset: () => {
      batches.clear()
      files.clear()
      uploads.clear()
      control.lifecycle = undefined
    }
  }
  registry.push({ context, control })

  const lifecycleOf = (headers: Headers): GoogleBatchLifecycle => {
    const raw = headers[googleBatchLifecycleHeaderName]
    if (raw !== undefined) {
      try {
        return JSON.parse(raw) as GoogleBatchLifecycle
      } catch {
        // a bad header: the default
      }
    }
    return control.lifecycle ?? {}
  }

  const resultOf = (b: BatchState, i: number): Json => {
    const key = b.keys[i]!
    const status = b.lifecycle.errors?.[key]
    if (status !== undefined) return { error: { code: status, message: `emulated failure of ${key}`, status: statusNames[status] ?? "INTERNAL" } }
    const request = b.requests[i]!
    const problem = validate(request)
    if (problem !== undefined) return { error: { code: 400, message: problem, status: "INVALID_ARGUMENT" } }
    return { response: responseJson(answer(request, b.model, b.headers)) }
  }

  const finish = (b: BatchState, state: string) => {
    b.state = state
    b.endTime = new Date().toISOString()
    if (state === "BATCH_STATE_FAILED") return
    const answered = state === "BATCH_STATE_SUCCEEDED" ? b.keys.length : Math.min(b.keys.length, b.lifecycle.processed ?? Math.floor(b.keys.length / 2))
    if (b.source === "inline") {
      // requests that did not run before an expired or cancelled end have no response
      const responses = b.keys.slice(0, answered).map((key, i) => ({ ...resultOf(b, i), metadata: { key } }))
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
      lines.push(JSON.stringify({ key, ...resultOf(b, i) }))
    }
    for (const key of b.lifecycle.duplicate ?? []) {
      const i = b.keys.indexOf(key)
      if (i !== -1 && i < answered) lines.push(JSON.stringify({ key, ...resultOf(b, i) }))
    }
    const name = `files/batch-results-${b.id}`
    files.set(name, { name, mimeType: "application/jsonl", data: Buffer.from(lines.join("\n") + (lines.length > 0 ? "\n" : ""), "utf8") })
    b.output = { responsesFile: name }
  }

  const advance = (b: BatchState) => {
    if (finalStates.includes(b.state)) return
    const calls = b.lifecycle.statusCalls ?? 1
    if (b.statusCalls >= calls) {
      const outcome = b.lifecycle.outcome ?? "succeeded"
      finish(b, `BATCH_STATE_${outcome.toUpperCase()}`)
    } else if (b.statusCalls > 0) {
      b.state = "BATCH_STATE_RUNNING"
    }
  }

  const operation = (b: BatchState): Json => {
    const answered = b.output !== undefined && isRecord(b.output.inlinedResponses)
      ? asArray(b.output.inlinedResponses.inlinedResponses).filter(isRecord)
      : []
    return {
      name: `batches/${b.id}`,
      metadata: {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        name: `batches/${b.id}`,
        displayName: b.displayName,
        model: `models/${b.model}`,
        state: b.state,
        createTime: b.createTime,
        updateTime: b.endTime ?? b.createTime,
        ...(b.endTime !== undefined ? { endTime: b.endTime } : {}),
        batchStats: {
          requestCount: String(b.keys.length),
          successfulRequestCount: String(answered.filter((r) => r.response !== undefined).length),
          failedRequestCount: String(answered.filter((r) => r.error !== undefined).length)
        },
        ...(b.output !== undefined ? { output: b.output } : {})
      },
      done: finalStates.includes(b.state)
    }
  }

  const createBatch: Handler = (request) => {
    const rejected = keyProblem(request)
    if (rejected !== undefined) return rejected
    const body = request.body
    const batch = isRecord(body) && isRecord(body.batch) ? body.batch : undefined
    const input = batch !== undefined && isRecord(batch.inputConfig) ? batch.inputConfig : undefined
    if (input === undefined) return googleError(400, "* BatchGenerateContentRequest.batch.input_config: input_config is required")
    const keys: Array<string> = []
    const requests: Array<Json> = []
    let source: "inline" | "file"
    if (typeof input.fileName === "string") {
      source = "file"
      const file = files.get(input.fileName)
      if (file === undefined || file.data === undefined) return googleError(404, `File ${input.fileName} not found.`)
      for (const [i, line] of file.data.toString("utf8").split("\n").entries()) {
        if (line.trim() === "") continue
        let parsed: unknown
        try {
          parsed = JSON.parse(line)
        } catch {
          return googleError(400, `the input file's line ${i + 1} is not JSON`)
        }
        if (!isRecord(parsed) || typeof parsed.key !== "string" || !isRecord(parsed.request)) return googleError(400, `the input file's line ${i + 1} needs a key and a request`)
        keys.push(parsed.key)
        requests.push(parsed.request)
      }
    } else if (isRecord(input.requests)) {
      source = "inline"
      for (const [i, item] of asArray(input.requests.requests).entries()) {
        if (!isRecord(item) || !isRecord(item.request)) return googleError(400, `* batch.input_config.requests.requests[${i}].request: request is required`)
        const metadata = isRecord(item.metadata) ? item.metadata : {}
        keys.push(typeof metadata.key === "string" ? metadata.key : String(i))
        requests.push(item.request)
      }
    } else {
      return googleError(400, "* BatchGenerateContentRequest.batch.input_config: requests or file_name is required")
    }
    if (requests.length === 0) return googleError(400, "* batch.input_config: at least one request is required")
    const state: BatchState = {
      id: nextId("emu").replace(/[^a-z0-9]/g, ""),
      model: modelOf(request),
      displayName: typeof batch?.displayName === "string" ? batch.displayName : "",
      source,
      keys,
      requests,
      lifecycle: lifecycleOf(request.headers),
      headers: request.headers,
      createTime: new Date().toISOString(),
      state: "BATCH_STATE_PENDING",
      endTime: undefined,
      statusCalls: 0,
      cancelCalls: 0,
      output: undefined
    }
    batches.set(state.id, state)
    if ((state.lifecycle.statusCalls ?? 1) === 0) advance(state)
    return { json: operation(state) }
  }

  const getBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return googleError(404, `Batch batches/${request.params.id} not found.`)
    b.statusCalls += 1
    advance(b)
    return { json: operation(b) }
  }

  const cancelBatch: Handler = (request) => {
    const b = batches.get(request.params.id ?? "")
    if (b === undefined) return googleError(404, `Batch batches/${request.params.id} not found.`)
    b.cancelCalls += 1
    if (!finalStates.includes(b.state)) finish(b, "BATCH_STATE_CANCELLED")
    return { json: {} }
  }

  const listBatches: Handler = (request) => {
    const all = [...batches.values()].reverse()
    const size = Math.max(1, Number(request.query.get("pageSize") ?? 50) || 50)
    const start = Number(request.query.get("pageToken") ?? 0) || 0
    const page = all.slice(start, start + size)
    return { json: { operations: page.map(operation), ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}) } }
  }

  const uploadFile: Handler = (request) => {
    const command = (request.headers["x-goog-upload-command"] ?? "").toLowerCase()
    if (command === "start") {
      const meta = isRecord(request.body) && isRecord(request.body.file) ? request.body.file : {}
      const uploadId = nextId("up")
      const name = typeof meta.name === "string" ? meta.name : `files/${nextId("file").replace(/[^a-z0-9]/g, "")}`
      uploads.set(uploadId, name)
      files.set(name, { name, mimeType: String(request.headers["x-goog-upload-header-content-type"] ?? meta.mimeType ?? "application/octet-stream"), data: undefined })
      return { json: {}, headers: { "x-goog-upload-url": `${context.url()}/upload/v1beta/files?upload_id=${uploadId}`, "x-goog-upload-status": "active" } }
    }
    const name = uploads.get(request.query.get("upload_id") ?? "")
    const file = name !== undefined ? files.get(name) : undefined
    if (file === undefined) return googleError(404, "no such upload")
    file.data = Buffer.concat([file.data ?? Buffer.alloc(0), request.rawBody])
    if (!command.includes("finalize")) return { json: {}, headers: { "x-goog-upload-status": "active" } }
    return {
      json: {
        file: {
          name: file.name,
          mimeType: file.mimeType,
          sizeBytes: String(file.data.length),
          uri: `${context.url()}/v1beta/${file.name}`,
          state: "ACTIVE",
          createTime: new Date().toISOString()
        }
      },
      headers: { "x-goog-upload-status": "final" }
    }
  }

  const downloadFile: Handler = (request) => {
    const file = files.get(`files/${request.params.id ?? ""}`)
    if (file === undefined || file.data === undefined) return googleError(404, `File files/${request.params.id} not found.`)
    return { text: file.data.toString("utf8"), headers: { "content-type": "application/octet-stream" } }
  }

  return [
    { method: "POST", path: googleRouteKeys.generateContent.slice(5), handler: generate },
    { method: "POST", path: googleRouteKeys.streamGenerateContent.slice(5), handler: streamGenerate },
    { method: "POST", path: googleRouteKeys.createBatch.slice(5), handler: createBatch },
    { method: "POST", path: googleRouteKeys.cancelBatch.slice(5), handler: cancelBatch },
    { method: "GET", path: googleRouteKeys.getBatch.slice(4), handler: getBatch },
    { method: "GET", path: googleRouteKeys.listBatches.slice(4), handler: listBatches },
    { method: "POST", path: googleRouteKeys.uploadFile.slice(5), handler: uploadFile },
    { method: "GET", path: googleRouteKeys.downloadFile.slice(4), handler: downloadFile }
  ]
}
