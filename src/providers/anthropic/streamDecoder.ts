/**
 * Anthropic stream events → our stream events. Pure and incremental: feed it each parsed SSE
 * event in order ({@link StreamDecoder.push}), then {@link StreamDecoder.end}. Content blocks
 * are keyed by their `index`, and the shared EventBuilder turns fragments into PartStart /
 * PartDelta / PartEnd events, so both providers emit the same grammar; the metadata event
 * comes last, at `message_stop`. Server tool calls (`server_tool_use`, `mcp_tool_use`) stream
 * as built-in tool call parts whose arguments grow by `input_json_delta`, their results and
 * redacted thinking arrive whole; blocks of kinds we do not model are left out, deltas included,
 * so none becomes a tool call.
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import type { ResponseDecodeError } from "../../AiError.js"
import { EventBuilder } from "../../internal/stream/eventBuilder.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import { isNullishString, isOptionalString, isRecord, type Obj } from "../../internal/codec/wireChecks.js"
import {
  builtinCallPart,
  builtinReturnPart,
  decodeAt,
  decodeUsage,
  finishReason,
  isBuiltinCallType,
  isBuiltinResultType,
  isWireUsage,
  providerName,
  redactedPart,
  WireUsage
} from "./decode.js"

const EventType = Schema.Struct({ type: Schema.String })
const MessageStart = Schema.Struct({
  message: Schema.Struct({ id: Schema.String, model: Schema.String, usage: Schema.optional(WireUsage) })
})
const BlockStart = Schema.Struct({ index: Schema.Number, content_block: Schema.Struct({ type: Schema.String }) })
const TextStart = Schema.Struct({ content_block: Schema.Struct({ text: Schema.optional(Schema.String) }) })
const ThinkingStart = Schema.Struct({
  content_block: Schema.Struct({ thinking: Schema.optional(Schema.String), signature: Schema.optional(Schema.NullOr(Schema.String)) })
})
const RedactedStart = Schema.Struct({ content_block: Schema.Struct({ data: Schema.String }) })
const ToolUseStart = Schema.Struct({ content_block: Schema.Struct({ id: Schema.String, name: Schema.String, input: Schema.optional(Schema.Unknown) }) })
const BlockDelta = Schema.Struct({ index: Schema.Number, delta: Schema.Struct({ type: Schema.String }) })
const TextDelta = Schema.Struct({ delta: Schema.Struct({ text: Schema.String }) })
const InputJsonDelta = Schema.Struct({ delta: Schema.Struct({ partial_json: Schema.String }) })
const ThinkingDelta = Schema.Struct({ delta: Schema.Struct({ thinking: Schema.String }) })
const SignatureDelta = Schema.Struct({ delta: Schema.Struct({ signature: Schema.String }) })
const BlockStop = Schema.Struct({ index: Schema.Number })
const BuiltinCallStart = Schema.Struct({ content_block: Schema.Struct({ id: Schema.String, name: Schema.String, input: Schema.optional(Schema.Unknown) }) })
const BuiltinResultStart = Schema.Struct({ content_block: Schema.Struct({ tool_use_id: Schema.String }) })
const MessageDelta = Schema.Struct({
  delta: Schema.optional(Schema.Struct({ stop_reason: Schema.optional(Schema.NullOr(Schema.String)) })),
  usage: Schema.optional(WireUsage)
})

type Events = Either.Either<Array<ModelResponseStreamEvent>, ResponseDecodeError>

// the fields of WireUsage, which a message_delta's usage may update
const usageKeys = Object.keys(WireUsage.fields) as ReadonlyArray<keyof WireUsage>

const nonEmptyInput = (input: unknown): string =>
  input === undefined || input === null || (typeof input === "object" && Object.keys(input).length === 0) ? "" : JSON.stringify(input)

/**
 * Decodes one streamed response; one instance per response.
 *
 * @since 0.1.0
 * @category models
 */
export class StreamDecoder {
  private readonly builder: EventBuilder
  private id: string | undefined
  private model: string
  private usage: WireUsage = {}
  private stopReason: string | null | undefined
  private stopped = false
  /** The blocks argument JSON may grow (function and server tool calls), and the kinds left out. */
  private readonly kinds = new Map<number, "tool" | "builtin" | "ignored">()
  /** Server tool calls' names by id, for the names of their results. */
  private readonly names = new Map<string, string>()

  constructor(parameters: ModelRequestParameters, requestedModel: string) {
    this.builder = new EventBuilder(parameters)
    this.model = requestedModel
  }

  /** Whether `message_stop` arrived: a stream that ends before it was cut short. */
  get complete(): boolean {
    return this.stopped
  }

  /** Takes one parsed SSE event; unknown event and block kinds are ignored (the API adds them over time). */
  push(event: unknown): Events {
    // the common events checked by hand (a Schema decode is the bulk of the per-event cost), each
    // accepted only in a shape its schema above accepts; any other shape, or one these checks
    // refuse, takes the Schema path, which decodes it or names the bad field
    if (typeof event === "object" && event !== null) {
      const e = event as Obj
      switch (e.type) {
        case "content_block_delta": {
          const delta = e.delta
          if (typeof e.index !== "number" || !isRecord(delta)) break
          const kind = this.kinds.get(e.index)
          if (kind === "ignored" && typeof delta.type === "string") return Either.right([])
          switch (delta.type) {
            case "text_delta":
              if (typeof delta.text === "string") return Either.right(this.builder.text(String(e.index), delta.text))
              break
            case "input_json_delta":
              if (typeof delta.partial_json === "string") return Either.right(this.jsonDelta(e.index, delta.partial_json))
              break
            case "thinking_delta":
              if (typeof delta.thinking === "string") return Either.right(this.builder.thinking(String(e.index), delta.thinking))
              break
            case "signature_delta":
              if (typeof delta.signature === "string") return Either.right(this.builder.thinking(String(e.index), "", delta.signature))
              break
            default:
              // BlockDelta takes any string type; citations_delta and future kinds carry nothing our parts hold
              if (typeof delta.type === "string") return Either.right([])
          }
          break
        }
        case "content_block_stop":
          if (typeof e.index === "number") return Either.right(this.builder.end(String(e.index)))
          break
        case "ping":
          return Either.right([])
        case "content_block_start": {
          const block = e.content_block
          if (typeof e.index !== "number" || !isRecord(block)) break
          const events = this.blockStartChecked(e.index, block)
          if (events !== undefined) return Either.right(events)
          break
        }
        case "message_start": {
          const message = e.message
          // MessageStart: id and model strings, usage absent or a WireUsage
          if (isRecord(message) && typeof message.id === "string" && typeof message.model === "string" &&
            (message.usage === undefined || isWireUsage(message.usage))) {
            return Either.right(this.messageStart(message.id, message.model, message.usage))
          }
          break
        }
        case "message_delta": {
          const delta = e.delta
          // MessageDelta: delta absent or an object whose stop_reason is nullish or a string; usage absent or a WireUsage
          if ((delta === undefined || (isRecord(delta) && isNullishString(delta.stop_reason))) &&
            (e.usage === undefined || isWireUsage(e.usage))) {
            return Either.right(this.messageDelta(delta?.stop_reason as string | null | undefined, e.usage))
          }
          break
        }
        case "message_stop":
          return Either.right(this.messageStop())
      }
    }
    return this.decodeWithSchema(event)
  }

  /**
   * The Schema path alone: decodes `event` or fails naming the bad field. `push` takes it for
   * whatever its hand checks refuse (tests compare the two).
   */
  decodeWithSchema(event: unknown): Events {
    // plain code rather than Either.gen: cheap, and on the path of every event the checks refuse
    const typed = decodeAt(EventType, event, "event")
    if (Either.isLeft(typed)) return Either.left(typed.left)
    switch (typed.right.type) {
      case "message_start":
        return Either.map(decodeAt(MessageStart, event, "message_start"), ({ message }) => this.messageStart(message.id, message.model, message.usage))
      case "content_block_start":
        return this.blockStart(event)
      case "content_block_delta":
        return this.blockDelta(event)
      case "content_block_stop":
        return Either.map(decodeAt(BlockStop, event, "content_block_stop"), ({ index }) => this.builder.end(String(index)))
      case "message_delta":
        return Either.map(decodeAt(MessageDelta, event, "message_delta"), ({ delta, usage }) => this.messageDelta(delta?.stop_reason, usage))
      case "message_stop":
        return Either.right(this.messageStop())
      default:
        return Either.right([])
    }
  }

  // argument JSON of the block at `index`: only a started tool call takes it, so JSON of any
  // other block (one left out, or never started) can never become a tool call with no name
  private jsonDelta(index: number, json: string): Array<ModelResponseStreamEvent> {
    switch (this.kinds.get(index)) {
      case "tool":
        return this.builder.toolCall(String(index), { args: json })
      case "builtin":
        return this.builder.builtinToolCall(String(index), undefined, json)
      default:
        return []
    }
  }

  private toolUseStart(index: number, name: string, id: string, input: unknown): Array<ModelResponseStreamEvent> {
    this.kinds.set(index, "tool")
    return this.builder.toolCall(String(index), { toolName: name, toolCallId: id, args: nonEmptyInput(input) })
  }

  /** A server tool's call or result block starts, its fields checked; any other kind is left out. */
  private otherStart(index: number, block: Obj & { readonly type: string }): Array<ModelResponseStreamEvent> {
    const key = String(index)
    if (isBuiltinCallType(block.type)) {
      const call = block as Obj & { readonly type: string; readonly id: string; readonly name: string }
      this.kinds.set(index, "builtin")
      this.names.set(call.id, call.name)
      return this.builder.builtinToolCall(key, builtinCallPart(call, ""), nonEmptyInput(call.input))
    }
    if (isBuiltinResultType(block.type)) {
      return this.builder.whole(key, builtinReturnPart(block as Obj & { readonly type: string; readonly tool_use_id: string }, this.names))
    }
    this.kinds.set(index, "ignored")
    return []
  }

  private messageStart(id: string, model: string, usage: WireUsage | undefined): Array<ModelResponseStreamEvent> {
    this.id = id
    this.model = model
    this.usage = usage ?? {}
    return []
  }

  private messageDelta(stopReason: string | null | undefined, usage: WireUsage | undefined): Array<ModelResponseStreamEvent> {
    if (stopReason !== undefined && stopReason !== null) this.stopReason = stopReason
    // message_delta usage is cumulative; fields it leaves null keep message_start's value
    if (usage !== undefined) {
      for (const key of usageKeys) {
        const value = usage[key]
        if (value !== null && value !== undefined) this.usage = { ...this.usage, [key]: value }
      }
    }
    return []
  }

  private messageStop(): Array<ModelResponseStreamEvent> {
    if (this.stopped) return []
    this.stopped = true
    return this.builder.finish(this.metadata())
  }

  /** What to emit when the SSE stream ends: nothing if complete, else an error saying it was cut. */
  end(): Either.Either<void, string> {
    return this.stopped ? Either.void : Either.left("the stream ended before message_stop")
  }

  private metadata(): ResponseMetadataEvent {
    const reason = finishReason(this.stopReason)
    // typed fields: no constructor validation; in the schema's order, as a validating constructor puts them
    return new ResponseMetadataEvent({
      modelName: this.model,
      providerName,
      ...(this.id !== undefined ? { providerResponseId: this.id } : {}),
      ...(reason !== undefined ? { finishReason: reason } : {}),
      usage: decodeUsage(this.usage)
    }, true)
  }

  /** A content_block_start's block, checked by hand as its schema takes it; `undefined` when the check refuses it. */
  private blockStartChecked(index: number, block: Obj): Array<ModelResponseStreamEvent> | undefined {
    const key = String(index)
    switch (block.type) {
      case "text":
        // TextStart
        return isOptionalString(block.text) ? this.builder.text(key, (block.text as string | undefined) ?? "") : undefined
      case "thinking":
        // ThinkingStart
        return isOptionalString(block.thinking) && isNullishString(block.signature)
          ? this.builder.thinking(key, (block.thinking as string | undefined) ?? "", (block.signature as string | null | undefined) ?? undefined)
          : undefined
      case "redacted_thinking":
        // RedactedStart
        return typeof block.data === "string" ? this.builder.whole(key, redactedPart(block.data)) : undefined
      case "tool_use":
        // ToolUseStart
        return typeof block.id === "string" && typeof block.name === "string" ? this.toolUseStart(index, block.name, block.id, block.input) : undefined
      default: {
        // BlockStart takes any string type; server tool blocks are checked as BuiltinCallStart /
        // BuiltinResultStart take them; kinds we do not model carry nothing
        const type = block.type
        if (typeof type !== "string") return undefined
        if (isBuiltinCallType(type) && !(typeof block.id === "string" && typeof block.name === "string")) return undefined
        if (isBuiltinResultType(type) && typeof block.tool_use_id !== "string") return undefined
        return this.otherStart(index, { ...block, type })
      }
    }
  }

  private blockStart(event: unknown): Events {
    const started = decodeAt(BlockStart, event, "content_block_start")
    if (Either.isLeft(started)) return Either.left(started.left)
    const { content_block, index } = started.right
    const key = String(index)
    const path = "content_block_start"
    const builder = this.builder
    switch (content_block.type) {
      case "text":
        return Either.map(decodeAt(TextStart, event, path), ({ content_block: b }) => builder.text(key, b.text ?? ""))
      case "thinking":
        return Either.map(decodeAt(ThinkingStart, event, path), ({ content_block: b }) => builder.thinking(key, b.thinking ?? "", b.signature ?? undefined))
      case "redacted_thinking":
        return Either.map(decodeAt(RedactedStart, event, path), ({ content_block: b }) => builder.whole(key, redactedPart(b.data)))
      case "tool_use":
        return Either.map(
          decodeAt(ToolUseStart, event, path),
          ({ content_block: b }) => this.toolUseStart(index, b.name, b.id, b.input)
        )
      default: {
        const type = content_block.type
        const raw = (event as { readonly content_block: Obj }).content_block
        if (isBuiltinCallType(type)) {
          const checked = decodeAt(BuiltinCallStart, event, path)
          if (Either.isLeft(checked)) return Either.left(checked.left)
        } else if (isBuiltinResultType(type)) {
          const checked = decodeAt(BuiltinResultStart, event, path)
          if (Either.isLeft(checked)) return Either.left(checked.left)
        }
        return Either.right(this.otherStart(index, { ...raw, type }))
      }
    }
  }

  private blockDelta(event: unknown): Events {
    const decoded = decodeAt(BlockDelta, event, "content_block_delta")
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    const { delta, index } = decoded.right
    const key = String(index)
    const path = "content_block_delta"
    const builder = this.builder
    if (this.kinds.get(index) === "ignored") return Either.right([])
    switch (delta.type) {
      case "text_delta":
        return Either.map(decodeAt(TextDelta, event, path), ({ delta: d }) => builder.text(key, d.text))
      case "input_json_delta":
        return Either.map(decodeAt(InputJsonDelta, event, path), ({ delta: d }) => this.jsonDelta(index, d.partial_json))
      case "thinking_delta":
        return Either.map(decodeAt(ThinkingDelta, event, path), ({ delta: d }) => builder.thinking(key, d.thinking))
      case "signature_delta":
        return Either.map(decodeAt(SignatureDelta, event, path), ({ delta: d }) => builder.thinking(key, "", d.signature))
      default:
        // citations_delta and future kinds carry nothing our parts hold
        return Either.right([])
    }
  }
}
