/**
 * Events of a streamed response, and {@link accumulate}, which adds them up to the same
 * {@link ModelResponse} a non-streamed request returns.
 *
 * A stream emits, per part: a {@link PartStartEvent}, any number of {@link PartDeltaEvent}s, a
 * {@link PartEndEvent}; a provider's built-in tool calls grow by {@link ToolCallPartDelta}s like
 * function tool calls, their results and redacted thinking arrive whole in their start event; one {@link FinalResultEvent} when the first text part (if text is
 * allowed) or output-tool call starts; and, last, one {@link ResponseMetadataEvent} with the
 * model name, response id, finish reason and usage.
 *
 * @since 0.1.0
 */
import { Effect, Schema, Stream } from "effect"
import {
  BuiltinToolCallPart,
  normaliseArgs,
  FinishReason,
  ModelResponse,
  ModelResponsePart,
  TextPart,
  ThinkingPart,
  ToolCallPart
} from "./Message.js"
import { RequestUsage } from "./Usage.js"

/**
 * More text for a {@link TextPart}.
 *
 * @since 0.1.0
 * @category models
 */
export class TextPartDelta extends Schema.TaggedClass<TextPartDelta>()("TextPartDelta", {
  contentDelta: Schema.String
}) {}

/**
 * More JSON for a {@link ToolCallPart}'s or a `BuiltinToolCallPart`'s arguments (and, rarely,
 * more of its name or its id).
 *
 * @since 0.1.0
 * @category models
 */
export class ToolCallPartDelta extends Schema.TaggedClass<ToolCallPartDelta>()("ToolCallPartDelta", {
  argsDelta: Schema.String,
  toolCallId: Schema.optional(Schema.String),
  toolNameDelta: Schema.optional(Schema.String)
}) {}

/**
 * More reasoning text (or signature) for a {@link ThinkingPart}.
 *
 * @since 0.1.0
 * @category models
 */
export class ThinkingPartDelta extends Schema.TaggedClass<ThinkingPartDelta>()("ThinkingPartDelta", {
  contentDelta: Schema.String,
  signatureDelta: Schema.optional(Schema.String)
}) {}

/**
 * Any delta.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelResponsePartDelta = Schema.Union(TextPartDelta, ToolCallPartDelta, ThinkingPartDelta)
/**
 * Any delta.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelResponsePartDelta = typeof ModelResponsePartDelta.Type

/**
 * A new part starts at `index`, with its first content.
 *
 * @since 0.1.0
 * @category models
 */
export class PartStartEvent extends Schema.TaggedClass<PartStartEvent>()("PartStartEvent", {
  index: Schema.Number,
  part: ModelResponsePart
}) {}

/**
 * The part at `index` grows by `delta`.
 *
 * @since 0.1.0
 * @category models
 */
export class PartDeltaEvent extends Schema.TaggedClass<PartDeltaEvent>()("PartDeltaEvent", {
  index: Schema.Number,
  delta: ModelResponsePartDelta
}) {}

/**
 * The part at `index` is complete; `part` is its final content.
 *
 * @since 0.1.0
 * @category models
 */
export class PartEndEvent extends Schema.TaggedClass<PartEndEvent>()("PartEndEvent", {
  index: Schema.Number,
  part: ModelResponsePart
}) {}

/**
 * The answer has started: the first text part (when text output is allowed) or the first
 * output-tool call (with its name and id). Emitted once.
 *
 * @since 0.1.0
 * @category models
 */
export class FinalResultEvent extends Schema.TaggedClass<FinalResultEvent>()("FinalResultEvent", {
  toolName: Schema.optional(Schema.String),
  toolCallId: Schema.optional(Schema.String)
}) {}

/**
 * The response's metadata, emitted last: what a non-streamed response carries besides its parts.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseMetadataEvent extends Schema.TaggedClass<ResponseMetadataEvent>()("ResponseMetadataEvent", {
  modelName: Schema.String,
  providerName: Schema.String,
  providerResponseId: Schema.optional(Schema.String),
  finishReason: Schema.optional(FinishReason),
  usage: RequestUsage
}) {}

/**
 * Any event of a streamed response.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelResponseStreamEvent = Schema.Union(
  PartStartEvent,
  PartDeltaEvent,
  PartEndEvent,
  FinalResultEvent,
  ResponseMetadataEvent
)
/**
 * Any event of a streamed response.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelResponseStreamEvent = typeof ModelResponseStreamEvent.Type

// Parts built here come from typed parts and deltas, so their constructors skip Schema validation
// (the `true` argument; see internal/stream/eventBuilder.ts for what validation costs per delta).
const applyDelta = (part: ModelResponsePart, delta: ModelResponsePartDelta): ModelResponsePart => {
  switch (delta._tag) {
    case "TextPartDelta":
      return part._tag === "TextPart" ? new TextPart({ content: part.content + delta.contentDelta }, true) : part
    case "ThinkingPartDelta":
      if (part._tag !== "ThinkingPart") return part
      return new ThinkingPart({
        content: part.content + delta.contentDelta,
        ...(part.signature !== undefined || delta.signatureDelta !== undefined
          ? { signature: (part.signature ?? "") + (delta.signatureDelta ?? "") }
          : {}),
        ...(part.id !== undefined ? { id: part.id } : {}),
        ...(part.providerName !== undefined ? { providerName: part.providerName } : {}),
        ...(part.redacted !== undefined ? { redacted: part.redacted } : {})
      }, true)
    case "ToolCallPartDelta":
      if (part._tag === "BuiltinToolCallPart") {
        return new BuiltinToolCallPart({
          toolName: part.toolName + (delta.toolNameDelta ?? ""),
          args: argsText(part.args) + delta.argsDelta,
          toolCallId: delta.toolCallId ?? part.toolCallId,
          providerName: part.providerName,
          ...(part.providerDetails !== undefined ? { providerDetails: part.providerDetails } : {})
        }, true)
      }
      if (part._tag !== "ToolCallPart") return part
      return new ToolCallPart({
        toolName: part.toolName + (delta.toolNameDelta ?? ""),
        args: argsText(part.args) + delta.argsDelta,
        toolCallId: delta.toolCallId ?? part.toolCallId
      }, true)
  }
}

// Arguments accumulate as JSON text; an empty object at start (Anthropic's `input: {}`) is no text yet.
const argsText = (args: unknown): string =>
  typeof args === "string" ? args : args === undefined || args === null || (typeof args === "object" && Object.keys(args).length === 0) ? "" : JSON.stringify(args)

const normalise = (part: ModelResponsePart): ModelResponsePart =>
  part._tag === "ToolCallPart"
    ? new ToolCallPart({ toolName: part.toolName, args: normaliseArgs(part.args), toolCallId: part.toolCallId }, true)
    : part._tag === "BuiltinToolCallPart"
    ? new BuiltinToolCallPart({
      toolName: part.toolName,
      args: normaliseArgs(part.args),
      toolCallId: part.toolCallId,
      providerName: part.providerName,
      ...(part.providerDetails !== undefined ? { providerDetails: part.providerDetails } : {})
    }, true)
    : part

/**
 * Adds events up as they arrive; {@link Accumulator.response} is the response so far.
 * Tool-call arguments are parsed into objects in the response, as non-streamed responses have them.
 *
 * @since 0.1.0
 * @category utils
 */
export class Accumulator {
  private readonly parts: Array<ModelResponsePart | undefined> = []
  /** A text part's content so far when deltas grew it: its part is built when the response is read. */
  private readonly texts: Array<string | undefined> = []
  private metadata: ResponseMetadataEvent | undefined
  /** When the first event arrived. */
  timestamp: Date = new Date()
  private started = false

  constructor(private readonly defaults: { readonly modelName: string; readonly providerName: string } = { modelName: "", providerName: "" }) {}

  /** Takes one event into account. */
  add(event: ModelResponseStreamEvent): void {
    if (!this.started) {
      this.started = true
      this.timestamp = new Date()
    }
    switch (event._tag) {
      case "PartStartEvent":
      case "PartEndEvent":
        this.parts[event.index] = event.part
        this.texts[event.index] = undefined
        break
      case "PartDeltaEvent": {
        const current = this.parts[event.index]
        if (current === undefined) break
        if (current._tag === "TextPart") {
          // text grows as a string: no part built per delta
          if (event.delta._tag === "TextPartDelta") this.texts[event.index] = (this.texts[event.index] ?? current.content) + event.delta.contentDelta
        } else {
          this.parts[event.index] = applyDelta(current, event.delta)
        }
        break
      }
      case "ResponseMetadataEvent":
        this.metadata = event
        break
      case "FinalResultEvent":
        break
    }
  }

  /** The usage reported so far (empty until the provider reports it, usually at the end). */
  get usage(): RequestUsage {
    return this.metadata?.usage ?? RequestUsage.empty
  }

  /** The model name the provider reported, else the requested one. */
  get modelName(): string {
    return this.metadata?.modelName ?? this.defaults.modelName
  }

  /** The response so far. */
  get response(): ModelResponse {
    const m = this.metadata
    const parts: Array<ModelResponsePart> = []
    this.parts.forEach((p, i) => {
      if (p === undefined) return
      const text = this.texts[i]
      parts.push(text !== undefined ? new TextPart({ content: text }, true) : normalise(p))
    })
    // built from typed parts and metadata: no constructor validation. Fields go in the schema's
    // order, the key order a validating constructor gives (an unvalidated one keeps the given order)
    return new ModelResponse({
      parts,
      usage: this.usage,
      modelName: this.modelName,
      providerName: m?.providerName ?? this.defaults.providerName,
      ...(m?.providerResponseId !== undefined ? { providerResponseId: m.providerResponseId } : {}),
      ...(m?.finishReason !== undefined ? { finishReason: m.finishReason } : {}),
      timestamp: this.timestamp
    }, true)
  }
}

/**
 * Adds events up to a {@link ModelResponse}: equal to the non-streamed response for the same
 * provider output, the timestamp aside.
 *
 * @since 0.1.0
 * @category utils
 */
export const accumulate = (events: Iterable<ModelResponseStreamEvent>): ModelResponse => {
  const acc = new Accumulator()
  for (const event of events) acc.add(event)
  return acc.response
}

/**
 * Runs a stream of events and adds them up to a {@link ModelResponse}.
 *
 * @since 0.1.0
 * @category streams
 */
export const accumulateStream = <E, R>(stream: Stream.Stream<ModelResponseStreamEvent, E, R>): Effect.Effect<ModelResponse, E, R> =>
  Effect.suspend(() => {
    const acc = new Accumulator()
    return Stream.runForEach(stream, (event) => Effect.sync(() => acc.add(event))).pipe(Effect.map(() => acc.response))
  })
