/**
 * Anthropic stream events → our stream events. Pure and incremental: feed it each parsed SSE
 * event in order ({@link StreamDecoder.push}), then {@link StreamDecoder.end}. Content blocks
 * are keyed by their `index`, and the shared EventBuilder turns fragments into PartStart /
 * PartDelta / PartEnd events, so both providers emit the same grammar; the metadata event
 * comes last, at `message_stop`.
 */
import { Either, Schema } from "effect"
import type { ResponseDecodeError } from "../../AiError.js"
import { EventBuilder } from "../../internal/eventBuilder.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import { decodeAt, decodeUsage, finishReason, providerName, redactedThinkingPrefix, WireUsage } from "./codec.js"

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
const MessageDelta = Schema.Struct({
  delta: Schema.optional(Schema.Struct({ stop_reason: Schema.optional(Schema.NullOr(Schema.String)) })),
  usage: Schema.optional(WireUsage)
})

type Events = Either.Either<Array<ModelResponseStreamEvent>, ResponseDecodeError>

const nonEmptyInput = (input: unknown): string =>
  input === undefined || input === null || (typeof input === "object" && Object.keys(input).length === 0) ? "" : JSON.stringify(input)

/** Decodes one streamed response; one instance per response. */
export class StreamDecoder {
  private readonly builder: EventBuilder
  private id: string | undefined
  private model: string
  private usage: WireUsage = {}
  private stopReason: string | null | undefined
  private stopped = false

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
    // the common events checked by hand (a Schema decode is the bulk of the per-event cost); any
    // other shape, or one these checks refuse, takes the Schema path, which names a bad field
    if (typeof event === "object" && event !== null) {
      const e = event as { readonly type?: unknown; readonly index?: unknown; readonly delta?: unknown }
      if (e.type === "content_block_delta" && typeof e.index === "number" && typeof e.delta === "object" && e.delta !== null) {
        const delta = e.delta as { readonly type?: unknown; readonly text?: unknown; readonly partial_json?: unknown; readonly thinking?: unknown }
        if (delta.type === "text_delta" && typeof delta.text === "string") return Either.right(this.builder.text(String(e.index), delta.text))
        if (delta.type === "input_json_delta" && typeof delta.partial_json === "string") {
          return Either.right(this.builder.toolCall(String(e.index), { args: delta.partial_json }))
        }
        if (delta.type === "thinking_delta" && typeof delta.thinking === "string") {
          return Either.right(this.builder.thinking(String(e.index), delta.thinking))
        }
      } else if (e.type === "content_block_stop" && typeof e.index === "number") {
        return Either.right(this.builder.end(String(e.index)))
      } else if (e.type === "ping") {
        return Either.right([])
      }
    }
    return this.decode(event)
  }

  private decode(event: unknown): Events {
    const self = this
    return Either.gen(function*() {
      const { type } = yield* decodeAt(EventType, event, "event")
      switch (type) {
        case "message_start": {
          const { message } = yield* decodeAt(MessageStart, event, "message_start")
          self.id = message.id
          self.model = message.model
          self.usage = message.usage ?? {}
          return []
        }
        case "content_block_start":
          return yield* self.blockStart(event)
        case "content_block_delta":
          return yield* self.blockDelta(event)
        case "content_block_stop": {
          const { index } = yield* decodeAt(BlockStop, event, "content_block_stop")
          return self.builder.end(String(index))
        }
        case "message_delta": {
          const { delta, usage } = yield* decodeAt(MessageDelta, event, "message_delta")
          if (delta?.stop_reason !== undefined && delta.stop_reason !== null) self.stopReason = delta.stop_reason
          // message_delta usage is cumulative; fields it leaves null keep message_start's value
          for (const [key, value] of Object.entries(usage ?? {})) {
            if (value !== null && value !== undefined) self.usage = { ...self.usage, [key]: value }
          }
          return []
        }
        case "message_stop": {
          if (self.stopped) return []
          self.stopped = true
          return self.builder.finish(self.metadata())
        }
        default:
          return []
      }
    })
  }

  /** What to emit when the SSE stream ends: nothing if complete, else an error saying it was cut. */
  end(): Either.Either<void, string> {
    return this.stopped ? Either.void : Either.left("the stream ended before message_stop")
  }

  private metadata(): ResponseMetadataEvent {
    const reason = finishReason(this.stopReason)
    return new ResponseMetadataEvent({
      modelName: this.model,
      providerName,
      usage: decodeUsage(this.usage),
      ...(this.id !== undefined ? { providerResponseId: this.id } : {}),
      ...(reason !== undefined ? { finishReason: reason } : {})
    }, true)
  }

  private blockStart(event: unknown): Events {
    const builder = this.builder
    return Either.gen(function*() {
      const { content_block, index } = yield* decodeAt(BlockStart, event, "content_block_start")
      const key = String(index)
      const path = "content_block_start"
      switch (content_block.type) {
        case "text": {
          const { content_block: b } = yield* decodeAt(TextStart, event, path)
          return builder.text(key, b.text ?? "")
        }
        case "thinking": {
          const { content_block: b } = yield* decodeAt(ThinkingStart, event, path)
          return builder.thinking(key, b.thinking ?? "", b.signature ?? undefined)
        }
        case "redacted_thinking": {
          const { content_block: b } = yield* decodeAt(RedactedStart, event, path)
          return builder.thinking(key, "", redactedThinkingPrefix + b.data)
        }
        case "tool_use": {
          const { content_block: b } = yield* decodeAt(ToolUseStart, event, path)
          return builder.toolCall(key, { toolName: b.name, toolCallId: b.id, args: nonEmptyInput(b.input) })
        }
        default:
          return []
      }
    })
  }

  private blockDelta(event: unknown): Events {
    const builder = this.builder
    return Either.gen(function*() {
      const { delta, index } = yield* decodeAt(BlockDelta, event, "content_block_delta")
      const key = String(index)
      const path = "content_block_delta"
      switch (delta.type) {
        case "text_delta":
          return builder.text(key, (yield* decodeAt(TextDelta, event, path)).delta.text)
        case "input_json_delta":
          return builder.toolCall(key, { args: (yield* decodeAt(InputJsonDelta, event, path)).delta.partial_json })
        case "thinking_delta":
          return builder.thinking(key, (yield* decodeAt(ThinkingDelta, event, path)).delta.thinking)
        case "signature_delta":
          return builder.thinking(key, "", (yield* decodeAt(SignatureDelta, event, path)).delta.signature)
        default:
          // citations_delta and future kinds carry nothing our parts hold
          return []
      }
    })
  }
}
