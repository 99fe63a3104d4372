/**
 * The decoding half of the Responses API codec: a response (JSON or stream events) back to our
 * `ModelResponse` and stream events, reasoning items kept as ThinkingParts with their encrypted
 * content. `ResponsesCodec` re-exports everything here.
 *
 * @since 0.2.0
 */
import { Either } from "effect"
import { ConnectionError, ProviderUnavailableError, ResponseDecodeError } from "../../AiError.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { EventBuilder } from "../../internal/stream/eventBuilder.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { BuiltinToolCallPart, type FinishReason, ModelResponse, type ModelResponsePart, normaliseArgs, TextPart, ThinkingPart, ToolCallPart } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import { RequestUsage } from "../../Usage.js"
import { decodeBuiltinItem, isBuiltinItemType } from "./builtinItems.js"
import { PROVIDER, ToolCallIds } from "./decode.js"


// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/**
 * Options of the decoders.
 *
 * @since 0.1.0
 * @category options
 */
export interface DecodeOptions {
  /** The model asked for: the response's model name when the provider reports none. */
  readonly requestedModel: string
  /** The provider's request id, for errors. */
  readonly requestId?: string | undefined
}

type Json = Record<string, unknown>

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

/**
 * Responses usage as ours: input tokens (cached included) are input, cached tokens are cache
 * reads, reasoning tokens (part of the output) land in `details.reasoning_tokens`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUsage = (usage: unknown): RequestUsage => {
  if (!isRecord(usage)) return RequestUsage.empty
  const input = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {}
  const output = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : {}
  const details: Record<string, number> = {}
  for (const [key, value] of Object.entries(output)) if (typeof value === "number") details[key] = value
  return fromFields(RequestUsage, {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(input.cached_tokens),
    cacheWriteTokens: 0,
    details
  })
}

/**
 * The finish reason of a response: its status and incomplete reason, and whether it called a
 * function (a completed response with function calls finished for them).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeFinishReason = (status: unknown, incomplete: unknown, calledTools: boolean): FinishReason | undefined => {
  if (status === "incomplete") {
    const reason = isRecord(incomplete) ? incomplete.reason : undefined
    return reason === "max_output_tokens" ? "length" : reason === "content_filter" ? "content_filter" : undefined
  }
  if (status === "failed") return "error"
  if (status === "completed") return calledTools ? "tool_call" : "stop"
  return undefined
}

const decodeError = (path: string, detail: string, requestId: string | undefined) =>
  new ResponseDecodeError({ provider: PROVIDER, path, detail, ...(requestId !== undefined ? { requestId } : {}) })

const failedResponse = (response: Json, requestId: string | undefined): ProviderUnavailableError => {
  const error = isRecord(response.error) ? response.error : {}
  const message = typeof error.message === "string" ? error.message : "the response failed"
  const code = typeof error.code === "string" ? ` (${error.code})` : ""
  return new ProviderUnavailableError({ provider: PROVIDER, status: 500, detail: `${message}${code}`, ...(requestId !== undefined ? { requestId } : {}) })
}

const texts = (list: unknown, type: string): Array<string> =>
  (Array.isArray(list) ? list : []).flatMap((s) => (isRecord(s) && s.type === type && typeof s.text === "string" ? [s.text] : []))

/**
 * A reasoning item's text: its summaries, then its raw reasoning (`reasoning_text` content, as
 * open-weight models serve it), joined by a blank line.
 */
const reasoningText = (item: Json): string => [...texts(item.summary, "summary_text"), ...texts(item.content, "reasoning_text")].join("\n\n")

/** A reasoning item as a ThinkingPart, or undefined when it carries nothing (no text, no encrypted content). */
const reasoningPart = (item: Json): ThinkingPart | undefined => {
  const content = reasoningText(item)
  const signature = typeof item.encrypted_content === "string" && item.encrypted_content !== "" ? item.encrypted_content : undefined
  if (content === "" && signature === undefined) return undefined
  return new ThinkingPart({
    content,
    ...(signature !== undefined ? { signature } : {}),
    ...(typeof item.id === "string" ? { id: item.id } : {}),
    providerName: PROVIDER
  }, true)
}

/** A function call's id: its `call_id`, else (servers that send none) its item id, else a generated one. */
const callId = (item: Json, generate: () => string): string =>
  typeof item.call_id === "string" && item.call_id !== "" ? item.call_id : typeof item.id === "string" && item.id !== "" ? item.id : generate()

/** The parts of a response's output items, in order. */
const outputParts = (output: ReadonlyArray<unknown>): Either.Either<Array<ModelResponsePart>, string> => {
  const parts: Array<ModelResponsePart> = []
  let ids: ToolCallIds | undefined
  for (const [i, item] of output.entries()) {
    if (!isRecord(item)) return Either.left(`output[${i}]`)
    switch (item.type) {
      case "message":
        for (const content of Array.isArray(item.content) ? item.content : []) {
          if (!isRecord(content)) continue
          if (content.type === "output_text" && typeof content.text === "string" && content.text !== "") parts.push(fromFields(TextPart, { content: content.text, _tag: "TextPart" }))
          if (content.type === "refusal" && typeof content.refusal === "string" && content.refusal !== "") parts.push(fromFields(TextPart, { content: content.refusal, _tag: "TextPart" }))
        }
        break
      case "function_call":
        if (typeof item.name !== "string" || !(item.call_id === undefined || item.call_id === null || typeof item.call_id === "string")) return Either.left(`output[${i}]`)
        parts.push(new ToolCallPart({ toolName: item.name, args: normaliseArgs(item.arguments), toolCallId: callId(item, () => (ids ??= new ToolCallIds()).next()) }, true))
        break
      case "reasoning": {
        const part = reasoningPart(item)
        if (part !== undefined) parts.push(part)
        break
      }
      default: {
        // built-in tools' items (web search, file search, code interpreter, MCP); others are left out
        const builtin = decodeBuiltinItem(item)
        if (builtin !== undefined) parts.push(...builtin)
        break
      }
    }
  }
  return Either.right(parts)
}

/**
 * A `response` object as a {@link ModelResponse}: text (refusals count as text), function calls
 * with parsed arguments, reasoning as thinking, finish reason, usage, id, model and timestamp.
 * Batch result lines on `/v1/responses` carry the same object. A failed response is a
 * ProviderUnavailableError with the provider's message; a body missing what we need is a
 * ResponseDecodeError naming the place.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResponse = (body: unknown, options: DecodeOptions): Either.Either<ModelResponse, ResponseDecodeError | ProviderUnavailableError> => {
  if (!isRecord(body)) return Either.left(decodeError("", "expected a response object", options.requestId))
  if (body.status === "failed") return Either.left(failedResponse(body, options.requestId))
  if (!Array.isArray(body.output)) return Either.left(decodeError("output", "the response has no output list", options.requestId))
  const parts = outputParts(body.output)
  if (Either.isLeft(parts)) return Either.left(decodeError(parts.left, "not an output item this library reads", options.requestId))
  const finishReason = decodeFinishReason(body.status, body.incomplete_details, parts.right.some((p) => p._tag === "ToolCallPart"))
  const created = typeof body.created_at === "number" ? new Date(body.created_at * 1000) : undefined
  return Either.right(fromFields(ModelResponse, {
    parts: parts.right,
    usage: decodeUsage(body.usage),
    modelName: (typeof body.model === "string" && body.model) || options.requestedModel,
    providerName: PROVIDER,
    ...(typeof body.id === "string" ? { providerResponseId: body.id } : {}),
    ...(finishReason !== undefined ? { finishReason } : {}),
    timestamp: created !== undefined && Number.isFinite(created.getTime()) ? created : new Date(),
    _tag: "ModelResponse"
  }))
}

// ---------------------------------------------------------------------------------------------
// decoding: streams
// ---------------------------------------------------------------------------------------------

/**
 * Folds Responses stream events into our part events through the shared EventBuilder, keyed by
 * output item (and content part for text): `response.output_text.delta` and
 * `response.refusal.delta` grow text parts, `response.function_call_arguments.delta` a tool call
 * (named when its item is added), `response.reasoning_summary_text.delta` and
 * `response.reasoning_text.delta` (raw reasoning) a thinking part (its encrypted content arrives
 * with `response.output_item.done`). A built-in tool's item (web search, file search, code
 * interpreter, MCP) is read whole from its `response.output_item.done`: its call part starts,
 * its arguments arrive as one delta, and its result part follows whole. `response.completed` and
 * `response.incomplete` carry usage and status; the metadata event comes last. A
 * `response.failed` event is a ProviderUnavailableError; an `error` event the SDK raises itself.
 * One decoder per streamed response.
 *
 * @since 0.1.0
 * @category codecs
 */
export class ResponsesStreamDecoder {
  private readonly builder: EventBuilder
  private id: string | undefined
  private model: string | undefined
  private final: Json | undefined
  private calledTools = false
  private ids: ToolCallIds | undefined
  /** Per output item: its type, id, the keys of its parts, and (for reasoning) the summary index last seen. */
  private readonly items = new Map<number, { readonly type: string; readonly id: string | undefined; keys: Set<string>; summary: number; args: number }>()

  constructor(parameters: ModelRequestParameters, private readonly options: DecodeOptions) {
    this.builder = new EventBuilder(parameters)
  }

  private item(index: number) {
    let entry = this.items.get(index)
    if (entry === undefined) {
      entry = { type: "unknown", id: undefined, keys: new Set(), summary: 0, args: 0 }
      this.items.set(index, entry)
    }
    return entry
  }

  /** The events of one stream event (often none). */
  event(input: unknown): Either.Either<Array<ModelResponseStreamEvent>, ResponseDecodeError | ProviderUnavailableError> {
    if (!isRecord(input) || typeof input.type !== "string") {
      return Either.left(decodeError("stream event", "expected an event object with a type", this.options.requestId))
    }
    const index = typeof input.output_index === "number" ? input.output_index : 0
    switch (input.type) {
      case "response.created":
      case "response.in_progress":
        if (isRecord(input.response)) {
          if (typeof input.response.id === "string") this.id ??= input.response.id
          if (typeof input.response.model === "string") this.model ??= input.response.model
        }
        return Either.right([])
      case "response.output_item.added": {
        const item = isRecord(input.item) ? input.item : {}
        const type = typeof item.type === "string" ? item.type : "unknown"
        const entry = { type, id: typeof item.id === "string" ? item.id : undefined, keys: new Set<string>(), summary: 0, args: 0 }
        this.items.set(index, entry)
        if (type === "function_call") {
          this.calledTools = true
          const key = `item:${index}`
          entry.keys.add(key)
          const args = typeof item.arguments === "string" ? item.arguments : ""
          entry.args += args.length
          return Either.right(this.builder.toolCall(key, {
            toolName: typeof item.name === "string" ? item.name : "",
            toolCallId: callId(item, () => (this.ids ??= new ToolCallIds()).next()),
            args
          }))
        }
        return Either.right([])
      }
      case "response.output_text.delta":
      case "response.refusal.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const key = `${input.type === "response.refusal.delta" ? "refusal" : "text"}:${index}:${typeof input.content_index === "number" ? input.content_index : 0}`
        this.item(index).keys.add(key)
        return Either.right(this.builder.text(key, input.delta))
      }
      case "response.function_call_arguments.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const entry = this.item(index)
        entry.args += input.delta.length
        return Either.right(this.builder.toolCall(`item:${index}`, { args: input.delta }))
      }
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const entry = this.item(index)
        const key = `item:${index}`
        // summaries (then raw reasoning texts) of one item join with a blank line, as the
        // non-streamed decoder joins them; raw texts are numbered after every summary
        const summaryIndex = input.type === "response.reasoning_text.delta"
          ? 1_000_000 + (typeof input.content_index === "number" ? input.content_index : 0)
          : typeof input.summary_index === "number" ? input.summary_index : 0
        const separator = entry.keys.has(key) && summaryIndex !== entry.summary ? "\n\n" : ""
        entry.summary = summaryIndex
        entry.keys.add(key)
        return Either.right(this.builder.thinking(key, separator + input.delta, undefined, { id: entry.id, providerName: PROVIDER }))
      }
      case "response.output_item.done": {
        const item = isRecord(input.item) ? input.item : {}
        const entry = this.item(index)
        const key = `item:${index}`
        const events: Array<ModelResponseStreamEvent> = []
        if (item.type === "reasoning") {
          const encrypted = typeof item.encrypted_content === "string" ? item.encrypted_content : ""
          const id = typeof item.id === "string" ? item.id : entry.id
          // a reasoning item without streamed summary: its summary (if any) and encrypted content now
          if (!entry.keys.has(key)) {
            const content = reasoningText(item)
            events.push(...this.builder.thinking(key, content, encrypted === "" ? undefined : encrypted, { id, providerName: PROVIDER }))
          } else if (encrypted !== "") {
            events.push(...this.builder.thinking(key, "", encrypted))
          }
          entry.keys.add(key)
        } else if (isBuiltinItemType(item.type)) {
          // a built-in tool's item, whole: its call (arguments as one fragment), then its result
          const parts = decodeBuiltinItem(item)
          if (parts !== undefined) {
            const [call, result] = parts
            const first = new BuiltinToolCallPart({ toolName: call.toolName, args: "", toolCallId: call.toolCallId, providerName: call.providerName, ...(call.providerDetails !== undefined ? { providerDetails: call.providerDetails } : {}) }, true)
            events.push(...this.builder.builtinToolCall(key, first, ""))
            events.push(...this.builder.builtinToolCall(key, undefined, typeof call.args === "string" ? call.args : JSON.stringify(call.args ?? {})))
            events.push(...this.builder.end(key))
            events.push(...this.builder.whole(`result:${index}`, result))
            events.push(...this.builder.end(`result:${index}`))
          }
        } else if (item.type === "function_call" && entry.args === 0 && typeof item.arguments === "string" && item.arguments !== "") {
          // arguments that came whole, without deltas
          events.push(...this.builder.toolCall(key, { args: item.arguments }))
        }
        for (const k of entry.keys) events.push(...this.builder.end(k))
        return Either.right(events)
      }
      case "response.completed":
      case "response.incomplete":
        if (isRecord(input.response)) this.final = input.response
        return Either.right([])
      case "response.failed":
        return Either.left(failedResponse(isRecord(input.response) ? input.response : {}, this.options.requestId))
      default:
        return Either.right([])
    }
  }

  /**
   * The stream ended: closes the open parts and emits the metadata. A stream that ends before
   * `response.completed` (or `.incomplete`) was cut off, which is a ConnectionError.
   */
  end(): Either.Either<Array<ModelResponseStreamEvent>, ConnectionError> {
    const final = this.final
    if (final === undefined) {
      return Either.left(new ConnectionError({
        provider: PROVIDER,
        detail: "the stream ended before the response completed (no response.completed event)",
        ...(this.options.requestId !== undefined ? { requestId: this.options.requestId } : {})
      }))
    }
    const finishReason = decodeFinishReason(final.status, final.incomplete_details, this.calledTools)
    const id = typeof final.id === "string" ? final.id : this.id
    const model = (typeof final.model === "string" && final.model) || this.model || this.options.requestedModel
    return Either.right(this.builder.finish(new ResponseMetadataEvent({
      modelName: model,
      providerName: PROVIDER,
      ...(id !== undefined ? { providerResponseId: id } : {}),
      ...(finishReason !== undefined ? { finishReason } : {}),
      usage: decodeUsage(final.usage)
    }, true)))
  }
}
