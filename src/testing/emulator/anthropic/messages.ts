/**
 * Anthropic's Messages API on the emulator: `POST /v1/messages`, answering JSON, or SSE when the
 * body says `stream: true`. The wire shapes are written by hand after the recorded fixtures
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
 * server tools, MCP servers, redacted thinking and prompt caching answer as `features.ts` says;
 * `stop_sequences` found in the answer cut it there; a small `max_tokens` cuts it short.
 * An `output_config.format` json_schema (checked like the real API: every object closed, no
 * numeric or length bounds) or a JSON Schema in the system prompt (prompted output) makes the
 * text a JSON value valid for it; `x-emulator-output-fence: json` and
 * `x-emulator-invalid-output: type | json` change how it is written (see responder.ts).
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { contextOf, makeRouteContext, type RouteContext } from "../context.js"
import { type Headers, numberHeader } from "../headers.js"
import { asArray, type Json } from "../json.js"
import { respond, type ResponderOutput, splitExactly, splitInto, structuredText, tokens } from "../responder.js"
import type { RecordedRequest, Scripted } from "../route.js"
import { errorIn, keyError, nextId } from "./http.js"
import { cacheUsage, redactedThinkingBlock, serverBlocks, wantsRedactedThinking } from "./features.js"
import { outputSchemaOf, responderInput, validateMessagesBody } from "./messagesRequest.js"

interface Answer {
  readonly id: string
  readonly model: string
  readonly blocks: ReadonlyArray<Json>
  readonly stopReason: string
  readonly stopSequence: string | null
  readonly usage: {
    readonly input: number
    readonly output: number
    readonly cacheRead: number
    readonly cacheWrite: number
    /** the lifetime of the cache written (5m unless the prompt's breakpoint asked for 1h) */
    readonly cacheTtl?: "5m" | "1h"
    /** server tool request counts (`server_tool_use`), when server tools ran */
    readonly serverToolUse?: Readonly<Record<string, number>>
  }
}

/** Decides the whole answer (blocks, stop reason, usage) from the request. */
const answer = (context: RouteContext, body: Json, headers: Headers): Answer => {
  const output: ResponderOutput = respond(responderInput(body))
  const pinned = headers["x-emulator-id"]
  const blocks: Array<Json> = []
  const thinking = isRecord(body.thinking) && (body.thinking.type === "enabled" || body.thinking.type === "adaptive")
  let stopReason = output.kind === "tool" ? "tool_use" : "end_turn"
  let stopSequence: string | null = null
  const input = responderInput(body)
  if (thinking) {
    const thought = `The user asks: ${input.lastUserText.slice(0, 60)}. I will answer directly.`
    blocks.push({ type: "thinking", thinking: thought, signature: Buffer.from(`emulator-signature:${thought.length}`).toString("base64") })
    if (wantsRedactedThinking(headers, input.lastUserText)) blocks.push(redactedThinkingBlock(input.lastUserText))
  }
  const server = serverBlocks(context, body, headers, input.lastUserText, input.toolResults.length > 0)
  blocks.push(...server.blocks)
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
    blocks.push({ type: "tool_use", id: pinned !== undefined ? `toolu_${pinned}_0` : nextId(context, "toolu_emu_"), name: output.name, input: output.args })
  }
  const forced = headers["x-emulator-stop-reason"]
  if (forced !== undefined) stopReason = forced
  const outputText = blocks.map((b) => (b.input !== undefined ? JSON.stringify(b.input) : String(b.text ?? b.thinking ?? ""))).join("")
  const inputTokens = tokens(JSON.stringify(body.messages ?? []) + String(typeof body.system === "string" ? body.system : JSON.stringify(body.system ?? "")))
  const headerRead = numberHeader(headers, "x-emulator-cache-read")
  const headerWrite = numberHeader(headers, "x-emulator-cache-write")
  const cached = headerRead === undefined && headerWrite === undefined ? cacheUsage(context, body) : undefined
  return {
    id: pinned ?? nextId(context, "msg_emu_"),
    model: typeof body.model === "string" ? body.model : "claude-emulator",
    blocks,
    stopReason,
    stopSequence,
    usage: cached === undefined
      ? {
        input: inputTokens,
        output: tokens(outputText),
        cacheRead: headerRead ?? 0,
        cacheWrite: headerWrite ?? 0,
        ...(server.blocks.length > 0 ? { serverToolUse: server.usage } : {})
      }
      : {
        // the cached prefix is counted as read or written, not as input
        input: Math.max(1, inputTokens - cached.read - cached.write),
        output: tokens(outputText),
        cacheRead: cached.read,
        cacheWrite: cached.write,
        cacheTtl: cached.ttl,
        ...(server.blocks.length > 0 ? { serverToolUse: server.usage } : {})
      }
  }
}

const usageJson = (a: Answer, output: number) => ({
  input_tokens: a.usage.input,
  cache_creation_input_tokens: a.usage.cacheWrite,
  cache_read_input_tokens: a.usage.cacheRead,
  cache_creation: a.usage.cacheTtl === "1h"
    ? { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: a.usage.cacheWrite }
    : { ephemeral_5m_input_tokens: a.usage.cacheWrite, ephemeral_1h_input_tokens: 0 },
  output_tokens: output,
  ...(a.usage.serverToolUse !== undefined ? { server_tool_use: a.usage.serverToolUse } : {}),
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
 *
 * @since 0.1.0
 * @category utils
 */
export const answerMessage = (body: Readonly<Record<string, unknown>>, headers: Headers = {}, context: RouteContext = makeRouteContext()): Record<string, unknown> =>
  messageJson(answer(context, body as Json, headers))

/**
 * One SSE frame as Anthropic writes it: an `event:` line, a `data:` line, a blank line.
 *
 * @since 0.1.0
 * @category utils
 */
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
      case "tool_use":
      case "server_tool_use":
      case "mcp_tool_use": {
        start({ ...block, input: {} })
        // the API opens with an empty fragment, then sends the JSON in arbitrary cuts
        delta({ type: "input_json_delta", partial_json: "" })
        for (const piece of splitInto(JSON.stringify(block.input), 3)) delta({ type: "input_json_delta", partial_json: piece })
        break
      }
      default:
        // redacted thinking and server tool results arrive whole in their start event
        start(block)
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
      output_tokens: a.usage.output,
      ...(a.usage.serverToolUse !== undefined ? { server_tool_use: a.usage.serverToolUse } : {})
    }
  }))
  frames.push(sseFrame("message_stop", { type: "message_stop" }))
  return frames
}

/**
 * The default `POST /v1/messages` behaviour: authenticate, validate, answer.
 *
 * @since 0.1.0
 * @category utils
 */
export const messagesHandler = (request: RecordedRequest): Scripted => {
  const context = contextOf(request)
  const rejected = keyError(context, request)
  if (rejected !== undefined) return rejected
  const problem = validateMessagesBody(request.body)
  if (problem !== undefined) return errorIn(context, 400, "invalid_request_error", problem)
  const body = request.body as Json
  const a = answer(context, body, request.headers)
  const headers = { "request-id": nextId(context, "req_emu_") }
  if (body.stream === true) {
    const deltas = numberHeader(request.headers, "x-emulator-deltas")
    return { sse: sseFrames(a, deltas !== undefined && deltas >= 1 ? Math.trunc(deltas) : undefined), headers }
  }
  return { json: messageJson(a), headers }
}


/**
 * The route key of the Messages API, as `emulator.script` takes it.
 *
 * @since 0.2.0
 * @category constants
 */
export const messagesRoute = "POST /v1/messages" as const
