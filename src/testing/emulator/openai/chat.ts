/**
 * OpenAI's Chat Completions on the emulator: `POST /v1/chat/completions`, answering JSON or SSE
 * shaped after the recorded fixtures (test/fixtures/recorded/test_openai__*.yaml).
 *
 * Request headers that steer the answer (tests send them through `extraHeaders`):
 * - `x-emulator-deltas: N`: the text answer streams in exactly N content deltas (the text is
 *   repeated until it has at least N characters, in the JSON answer too, so both agree);
 * - `x-emulator-chunk-delay-ms: N`: wait N ms between SSE frames;
 * - `x-emulator-delay-ms: N`: wait N ms before answering;
 * - `x-emulator-cached-tokens: N` / `x-emulator-reasoning-tokens: N`: usage details to report;
 * - `x-emulator-tool-call-ids: none`: tool calls come without an `id`, as some
 *   OpenAI-compatible servers send them;
 * - `x-emulator-tool-calls: all`: call every offered tool (parallel tool calls), not only the first;
 * - `x-emulator-id: X`: the completion is `chatcmpl-X` and its tool calls `call_X_<n>` (without
 *   it, ids are a hash of the request, so identical requests get identical ids anyway);
 * - `x-emulator-output-fence: json` / `x-emulator-invalid-output: type | json`: how a structured
 *   answer is written (see `StructuredStyle` in responder.ts).
 *
 * Prompt caching: a request whose `prompt_cache_key` this emulator has seen before reports half
 * its input tokens (rounded down) as `cached_tokens`; the first one with a key reports none
 * (`x-emulator-cached-tokens` overrides both). User content is checked like the API's: `file`
 * parts need a base64 data URL and a file name (or a `file_id`), `input_audio` WAV or MP3 base64.
 *
 * Structured output: a `response_format` of type json_schema (checked like the real API, strict
 * schemas included) or a JSON Schema in the system prompt (prompted output) makes the text answer
 * a JSON value valid for that schema, streamed in small fragments.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { contextOf } from "../context.js"
import { fingerprint } from "../digest.js"
import { type Headers, intHeader } from "../headers.js"
import { lengthen, type ResponderOutput, respond, splitExactly, structuredText, tokens, wordDeltas } from "../responder.js"
import type { RecordedRequest, Scripted } from "../route.js"
import { outputSchemaOf, responderInput, textOf, validateChatBody } from "./chatRequest.js"
import { keyError, responseHeaders } from "./http.js"

type Json = Record<string, unknown>

interface ToolCall {
  /** Undefined for a call sent without an id (`x-emulator-tool-call-ids: none`). */
  readonly id: string | undefined
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


const answer = (headers: Headers, body: Json, cacheSeen = false): Answer => {
  const input = responderInput(body)
  const pinned = headers["x-emulator-id"]
  // identical requests get identical ids, so a streamed and a non-streamed call compare equal
  const id = pinned ?? fingerprint([body.model, body.messages, body.tools ?? null, body.tool_choice ?? null, body.max_completion_tokens ?? body.max_tokens ?? null, body.stop ?? null])
  const outputs: Array<ResponderOutput> = []
  const first = respond(input)
  outputs.push(first)
  if (first.kind === "tool" && headers["x-emulator-tool-calls"] === "all") {
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
      : structuredText(schema, input.lastUserText, { fence: headers["x-emulator-output-fence"], invalid: headers["x-emulator-invalid-output"] })
    const wanted = intHeader(headers, "x-emulator-deltas")
    let t = structured ?? lengthen(first.text, wanted)
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
    prompt_tokens_details: { cached_tokens: Math.min(inputTokens, intHeader(headers, "x-emulator-cached-tokens") ?? (cacheSeen ? Math.floor(inputTokens / 2) : 0)), audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
  }
  if (headers["x-emulator-tool-call-ids"] === "none") toolCalls = toolCalls.map((c) => ({ ...c, id: undefined }))
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
          ? { tool_calls: a.toolCalls.map((c) => ({ ...(c.id !== undefined ? { id: c.id } : {}), type: "function", function: { name: c.name, arguments: c.arguments } })) }
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
      const head = { index: i, ...(call.id !== undefined ? { id: call.id } : {}), type: "function", function: { name: call.name, arguments: "" } }
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
 *
 * @since 0.1.0
 * @category utils
 */
export const answerChat = (body: Readonly<Record<string, unknown>>, headers: Headers = {}): Record<string, unknown> =>
  completionJson(answer(headers, body as Json))

/**
 * Whether the route would reject this body with a 400 (and the error answer if so).
 *
 * @since 0.1.0
 * @category utils
 */
export const validateChat = (body: unknown): Scripted | undefined => validateChatBody(body)

/**
 * The default `POST /v1/chat/completions` behaviour: checks the key and the body like the real
 * API, then answers from the responder, as JSON or (with `stream: true`) as SSE. Scripts can
 * wrap it: `emulator.script(route, async (r) => ({ ...(await chatCompletions(r)), chunkDelayMs: 50 }))`.
 *
 * @since 0.1.0
 * @category utils
 */
export const chatCompletions = (request: RecordedRequest): Scripted => {
  const rejected = keyError(request) ?? validateChatBody(request.body)
  if (rejected !== undefined) return rejected
  const context = contextOf(request)
  const body = request.body as Json
  const a = answer(request.headers, body, typeof body.prompt_cache_key === "string" && context.next(`openai-cache:${body.prompt_cache_key}`) > 1)
  const delayMs = intHeader(request.headers, "x-emulator-delay-ms")
  const timing = delayMs !== undefined ? { delayMs } : {}
  if (body.stream === true) {
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true
    const chunkDelayMs = intHeader(request.headers, "x-emulator-chunk-delay-ms")
    return {
      headers: { ...responseHeaders(context), "content-type": "text/event-stream; charset=utf-8" },
      sse: completionFrames(a, includeUsage),
      ...timing,
      ...(chunkDelayMs !== undefined ? { chunkDelayMs } : {})
    }
  }
  return { headers: responseHeaders(context), json: completionJson(a), ...timing }
}

/**
 * The route key of chat completions, as `emulator.script` takes it.
 *
 * @since 0.1.0
 * @category constants
 */
export const chatCompletionsRoute = "POST /v1/chat/completions" as const

