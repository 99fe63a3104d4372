/**
 * Gemini's `generateContent` on the emulator (v1beta, as the `@google/genai` SDK calls it):
 * `POST /v1beta/models/{model}:generateContent` (JSON) and `:streamGenerateContent?alt=sse`
 * (SSE, one `data:` frame per chunk). Wire shapes are written by hand after the API reference,
 * never through this library's codec.
 *
 * Request headers steer the answer (tests set them through `extraHeaders`):
 * - `x-emulator-deltas: N` streams the text in exactly N chunks;
 * - `x-emulator-finish-reason: R` reports finish reason R (`MAX_TOKENS`, `SAFETY`, ...);
 * - `x-emulator-cache-read: N` reports N cached prompt tokens (`cachedContentTokenCount`);
 * - `x-emulator-id: X` names the response X, so two requests get the very same answer.
 * A request naming `cachedContent` sees the cache's contents, system instruction and tools, and
 * reports their tokens as `cachedContentTokenCount` (caches.ts). Built-in tools the request
 * offers (`codeExecution`, `googleSearch`, `urlContext`) add their parts and metadata
 * (builtinTools.ts). Inline and file data are checked as the API checks them.
 * A request without a key is a 403, one whose key contains "invalid" a 400 `API_KEY_INVALID`.
 * A `thinkingConfig` with `includeThoughts` answers with a thought part first, and a thought
 * signature on the first part after it; any `thinkingConfig` (budget not 0) reports
 * `thoughtsTokenCount`. A `responseJsonSchema` (or `responseSchema`) with
 * `responseMimeType: application/json`, or a JSON Schema in the system instruction (prompted
 * output), makes the text a JSON value valid for it.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { contextOf, type RouteContext } from "../context.js"
import { type Headers, numberHeader } from "../headers.js"
import { asArray, type Json } from "../json.js"
import { respond, schemaInText, splitExactly, splitInto, structuredText, tokens } from "../responder.js"
import type { RecordedRequest, Scripted } from "../route.js"
import { type BuiltinAnswer, builtinAnswer, candidateMetadata, codeParts } from "./builtinTools.js"
import { type CacheUse, withCache } from "./caches.js"
import { responderInput, systemText, validateGenerateBody } from "./generateRequest.js"
import { googleError, keyProblem, nextId } from "./http.js"
import type { GoogleState } from "./state.js"

/**
 * A whole answer, independent of JSON vs SSE.
 *
 * @since 0.2.0
 * @category models
 */
export interface Answer {
  readonly id: string
  readonly model: string
  readonly thought: string | undefined
  readonly signature: string | undefined
  readonly text: string | undefined
  readonly call: { readonly name: string; readonly args: Json } | undefined
  readonly finishReason: string
  readonly usage: Json
  /** What the built-in tools the request offers add. */
  readonly builtin?: BuiltinAnswer | undefined
}

/**
 * Decides the whole answer from the request.
 *
 * @since 0.2.0
 * @category utils
 */
export const answer = (context: RouteContext, body: Json, model: string, headers: Headers, cache?: CacheUse): Answer => {
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
  // with cached content, the prompt is the cache and the request's own contents after it
  const prompt = cache !== undefined
    ? cache.tokens + tokens(JSON.stringify(asArray(body.contents).slice(cache.contents)))
    : tokens(JSON.stringify(body.contents ?? []) + systemText(body))
  const cached = numberHeader(headers, "x-emulator-cache-read") ?? cache?.tokens
  const builtin = builtinAnswer(body, input.lastUserText, text)
  const offersBuiltins = builtin.code !== undefined || builtin.grounding !== undefined || builtin.urlContext !== undefined
  const candidates = tokens(text ?? JSON.stringify(call ?? {}))
  const thoughts = thinks ? tokens(thought ?? "thinking") + 8 : undefined
  return {
    id: headers["x-emulator-id"] ?? nextId(context, "resp_emu_"),
    model,
    thought,
    signature,
    text,
    call,
    finishReason,
    ...(offersBuiltins ? { builtin } : {}),
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
  if (a.builtin !== undefined) parts.push(...codeParts(a.builtin))
  const signed = (part: Json): Json => (a.signature !== undefined && parts.every((p) => p.thoughtSignature === undefined) ? { ...part, thoughtSignature: a.signature } : part)
  if (a.call !== undefined) parts.push(signed({ functionCall: { name: a.call.name, args: a.call.args } }))
  if (a.text !== undefined && a.text !== "") parts.push(signed({ text: a.text }))
  return parts
}

/**
 * A `GenerateContentResponse` of a whole answer.
 *
 * @since 0.1.0
 * @category codecs
 */
export const responseJson = (a: Answer): Json => ({
  candidates: [{
    content: { role: "model", parts: answerParts(a) },
    finishReason: a.finishReason,
    index: 0,
    ...(a.builtin !== undefined ? candidateMetadata(a.builtin) : {})
  }],
  usageMetadata: a.usage,
  modelVersion: a.model,
  responseId: a.id
})

const streamChunks = (a: Answer, deltas: number | undefined): Array<Json> => {
  const chunk = (parts: Array<Json>, last: boolean): Json => ({
    candidates: [{
      content: { role: "model", parts },
      ...(last ? { finishReason: a.finishReason } : {}),
      index: 0,
      ...(last && a.builtin !== undefined ? candidateMetadata(a.builtin) : {})
    }],
    usageMetadata: last ? a.usage : { promptTokenCount: a.usage.promptTokenCount, totalTokenCount: a.usage.promptTokenCount },
    modelVersion: a.model,
    responseId: a.id
  })
  const chunks: Array<Array<Json>> = []
  if (a.thought !== undefined) chunks.push(...splitInto(a.thought, 2).map((t) => [{ text: t, thought: true }]))
  if (a.builtin !== undefined) chunks.push(...codeParts(a.builtin).map((part) => [part]))
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

/**
 * The model of a request, from its path.
 *
 * @since 0.2.0
 * @category utils
 */
export const modelOf = (request: RecordedRequest): string => request.params.model ?? ""

/** The body with its cached content put in, and the cached tokens; an error answer when the cache cannot serve it. */
const prepared = (state: GoogleState, request: RecordedRequest): { readonly body: Json; readonly cache: CacheUse | undefined } | Scripted => {
  const rejected = keyProblem(request)
  if (rejected !== undefined) return rejected
  const problem = validateGenerateBody(request.body)
  if (problem !== undefined) return googleError(400, problem)
  return withCache(state, request.body as Json, modelOf(request))
}

const isAnswerable = (p: ReturnType<typeof prepared>): p is { readonly body: Json; readonly cache: CacheUse | undefined } => "body" in p && !("status" in p)

/**
 * The default `:generateContent` and `:streamGenerateContent` behaviours of one emulator: key and
 * body checks, the cached content put in, then the answer as JSON or as SSE.
 *
 * @since 0.2.0
 * @category constructors
 */
export const generateHandlers = (state: GoogleState) => {
  const generate = (request: RecordedRequest): Scripted => {
    const p = prepared(state, request)
    if (!isAnswerable(p)) return p
    return { json: responseJson(answer(contextOf(request), p.body, modelOf(request), request.headers, p.cache)) }
  }
  const streamGenerate = (request: RecordedRequest): Scripted => {
    const p = prepared(state, request)
    if (!isAnswerable(p)) return p
    if (request.query.get("alt") !== "sse") return googleError(400, "the emulator streams only with alt=sse")
    const chunks = streamChunks(answer(contextOf(request), p.body, modelOf(request), request.headers, p.cache), numberHeader(request.headers, "x-emulator-deltas"))
    return { sse: chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`) }
  }
  return { generate, streamGenerate }
}
