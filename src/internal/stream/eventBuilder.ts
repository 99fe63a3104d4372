/**
 * Turns a provider's incremental output (text, reasoning and tool-call fragments keyed by the
 * provider's own block or index) into our stream events, so both providers emit the same event
 * grammar: PartStart, PartDelta*, PartEnd per part, one FinalResultEvent, metadata last.
 *
 * @since 0.1.0
 */
import { fromFields } from "../codec/fromFields.js"
import { BuiltinToolCallPart, ModelResponsePart, TextPart, ThinkingPart, ToolCallPart } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import {
  FinalResultEvent,
  type ModelResponseStreamEvent,
  PartDeltaEvent,
  PartEndEvent,
  PartStartEvent,
  ResponseMetadataEvent,
  TextPartDelta,
  ThinkingPartDelta,
  ToolCallPartDelta
} from "../../StreamEvent.js"

// Every event and part here is built from values that are already typed (decoded wire chunks,
// parts of a ModelResponse), so the constructors skip Schema validation (the `true` argument):
// effect recomputes the type AST and recompiles the validator on each construction of a class
// whose fields hold other classes (PartDeltaEvent's delta union, the parts), which cost about
// 60 µs per text delta, twelve times the raw SDK's whole per-chunk cost (bench/README.md).
const trusted = true

// The delta events, one per streamed fragment, are built without their class constructors
// (./fromFields.ts): two constructions per delta (the event and its delta) would cost about
// 1.2 µs each. Same own keys in the same order, same prototype (test/event-builder.test.ts).
const textDelta = (index: number, contentDelta: string): PartDeltaEvent =>
  fromFields(PartDeltaEvent, { index, delta: fromFields(TextPartDelta, { contentDelta, _tag: "TextPartDelta" }), _tag: "PartDeltaEvent" })

const copyBuiltinCall = (part: BuiltinToolCallPart, args: string): BuiltinToolCallPart =>
  new BuiltinToolCallPart({
    toolName: part.toolName,
    args,
    toolCallId: part.toolCallId,
    providerName: part.providerName,
    ...(part.providerDetails !== undefined ? { providerDetails: part.providerDetails } : {})
  }, trusted)

interface Open {
  readonly index: number
  part: ModelResponsePart
  ended: boolean
  /** A text part's content so far, when it has grown since `part` was built (built at the end). */
  text?: string | undefined
}

/** Builds a text part's final content into its part, once, instead of on every delta. */
const settle = (entry: Open): ModelResponsePart => {
  if (entry.text !== undefined) {
    entry.part = new TextPart({ content: entry.text }, trusted)
    entry.text = undefined
  }
  return entry.part
}

/**
 * Builds stream events from keyed fragments; one instance per streamed response.
 *
 * @since 0.1.0
 * @category constructors
 */
export class EventBuilder {
  private readonly open = new Map<string, Open>()
  private readonly order: Array<Open> = []
  private finalSent = false

  constructor(private readonly parameters: ModelRequestParameters) {}

  private start(key: string, part: ModelResponsePart): Array<ModelResponseStreamEvent> {
    const entry: Open = { index: this.order.length, part, ended: false }
    this.open.set(key, entry)
    this.order.push(entry)
    const events: Array<ModelResponseStreamEvent> = [new PartStartEvent({ index: entry.index, part }, trusted)]
    if (!this.finalSent) {
      if (part._tag === "TextPart" && this.parameters.allowTextOutput) {
        this.finalSent = true
        events.push(new FinalResultEvent({}, trusted))
      } else if (part._tag === "ToolCallPart" && this.parameters.outputTools.some((t) => t.name === part.toolName)) {
        this.finalSent = true
        events.push(new FinalResultEvent({ toolName: part.toolName, toolCallId: part.toolCallId }, trusted))
      }
    }
    return events
  }

  /** Text arrived for the part the provider calls `key`. Empty text is ignored. */
  text(key: string, content: string): Array<ModelResponseStreamEvent> {
    if (content === "") return []
    const entry = this.open.get(key)
    if (entry === undefined || entry.ended || entry.part._tag !== "TextPart") return this.start(key, new TextPart({ content }, trusted))
    entry.text = (entry.text ?? entry.part.content) + content
    return [textDelta(entry.index, content)]
  }

  /**
   * Reasoning text (or a signature fragment) arrived for the part `key`; `origin` (the provider's
   * item id and name) is taken when the part starts.
   */
  thinking(
    key: string,
    content: string,
    signature?: string,
    origin?: { readonly id?: string | undefined; readonly providerName?: string | undefined }
  ): Array<ModelResponseStreamEvent> {
    if (content === "" && (signature === undefined || signature === "")) return []
    const entry = this.open.get(key)
    if (entry === undefined || entry.ended || entry.part._tag !== "ThinkingPart") {
      return this.start(key, new ThinkingPart({
        content,
        ...(signature ? { signature } : {}),
        ...(origin?.id !== undefined ? { id: origin.id } : {}),
        ...(origin?.providerName !== undefined ? { providerName: origin.providerName } : {})
      }, trusted))
    }
    const prev = entry.part
    entry.part = new ThinkingPart({
      content: prev.content + content,
      ...(prev.signature !== undefined || signature ? { signature: (prev.signature ?? "") + (signature ?? "") } : {}),
      ...(prev.id !== undefined ? { id: prev.id } : {}),
      ...(prev.providerName !== undefined ? { providerName: prev.providerName } : {})
    }, trusted)
    return [new PartDeltaEvent({
      index: entry.index,
      delta: new ThinkingPartDelta({ contentDelta: content, ...(signature ? { signatureDelta: signature } : {}) }, trusted)
    }, trusted)]
  }

  /**
   * A tool-call fragment arrived for the part `key`: its name and id come with the first one,
   * argument JSON with any of them.
   */
  toolCall(key: string, fragment: { readonly toolName?: string | undefined; readonly toolCallId?: string | undefined; readonly args?: string | undefined }): Array<ModelResponseStreamEvent> {
    const args = fragment.args ?? ""
    const entry = this.open.get(key)
    if (entry === undefined || entry.ended || entry.part._tag !== "ToolCallPart") {
      return this.start(key, new ToolCallPart({ toolName: fragment.toolName ?? "", args, toolCallId: fragment.toolCallId ?? "" }, trusted))
    }
    const prev = entry.part
    const nameDelta = fragment.toolName !== undefined && fragment.toolName !== prev.toolName ? fragment.toolName : undefined
    if (args === "" && nameDelta === undefined) return []
    entry.part = new ToolCallPart({
      toolName: prev.toolName + (nameDelta ?? ""),
      args: (typeof prev.args === "string" ? prev.args : "") + args,
      toolCallId: prev.toolCallId
    }, trusted)
    return [new PartDeltaEvent({
      index: entry.index,
      delta: new ToolCallPartDelta({ argsDelta: args, ...(nameDelta !== undefined ? { toolNameDelta: nameDelta } : {}) }, trusted)
    }, trusted)]
  }

  /**
   * A fragment of a provider's built-in tool call arrived for the part `key`: the part (its name,
   * id, provider) comes with the first one, argument JSON with any of them. Never a final result.
   */
  builtinToolCall(key: string, first: BuiltinToolCallPart | undefined, args: string): Array<ModelResponseStreamEvent> {
    const entry = this.open.get(key)
    if (entry === undefined || entry.ended || entry.part._tag !== "BuiltinToolCallPart") {
      if (first === undefined) return []
      return this.start(key, args === "" ? first : copyBuiltinCall(first, args))
    }
    if (args === "") return []
    const prev = entry.part
    entry.part = copyBuiltinCall(prev, (typeof prev.args === "string" ? prev.args : "") + args)
    return [new PartDeltaEvent({ index: entry.index, delta: new ToolCallPartDelta({ argsDelta: args }, trusted) }, trusted)]
  }

  /** A part that arrives whole (a built-in tool's result, redacted thinking) starts as the part `key`. */
  whole(key: string, part: ModelResponsePart): Array<ModelResponseStreamEvent> {
    return this.start(key, part)
  }

  /** The part `key` is complete. */
  end(key: string): Array<ModelResponseStreamEvent> {
    const entry = this.open.get(key)
    if (entry === undefined || entry.ended) return []
    entry.ended = true
    return [new PartEndEvent({ index: entry.index, part: settle(entry) }, trusted)]
  }

  /** The response is complete: ends every open part in order, then emits the metadata. */
  finish(metadata: ResponseMetadataEvent): Array<ModelResponseStreamEvent> {
    const events: Array<ModelResponseStreamEvent> = []
    for (const entry of this.order) {
      if (!entry.ended) {
        entry.ended = true
        events.push(new PartEndEvent({ index: entry.index, part: settle(entry) }, trusted))
      }
    }
    events.push(metadata)
    return events
  }

  /** Whether any part has started. */
  get hasParts(): boolean {
    return this.order.length > 0
  }
}

/**
 * The events a stream of `response` would emit, each text split into `chunks` deltas: what
 * TestModel and FunctionModel stream when they compute a whole response first.
 *
 * @since 0.1.0
 * @category streams
 */
export const responseToEvents = (
  response: import("../../Message.js").ModelResponse,
  parameters: ModelRequestParameters,
  chunks = 2
): Array<ModelResponseStreamEvent> => {
  const builder = new EventBuilder(parameters)
  const events: Array<ModelResponseStreamEvent> = []
  const pieces = (text: string): Array<string> => {
    if (text.length === 0) return []
    const size = Math.max(1, Math.ceil(text.length / Math.max(1, chunks)))
    const out: Array<string> = []
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
    return out
  }
  response.parts.forEach((part, i) => {
    const key = `part:${i}`
    switch (part._tag) {
      case "TextPart":
        for (const piece of pieces(part.content)) events.push(...builder.text(key, piece))
        break
      case "ThinkingPart":
        if (part.redacted === true) events.push(...builder.whole(key, part))
        else pieces(part.content).forEach((piece, j) => events.push(...builder.thinking(key, piece, j === 0 ? part.signature : undefined, part)))
        break
      case "BuiltinToolCallPart": {
        const args = typeof part.args === "string" ? part.args : JSON.stringify(part.args ?? {})
        const [head = "", ...tail] = pieces(args)
        events.push(...builder.builtinToolCall(key, copyBuiltinCall(part, ""), head))
        for (const piece of tail) events.push(...builder.builtinToolCall(key, undefined, piece))
        break
      }
      case "BuiltinToolReturnPart":
        events.push(...builder.whole(key, part))
        break
      case "ToolCallPart": {
        const args = typeof part.args === "string" ? part.args : JSON.stringify(part.args ?? {})
        pieces(args).forEach((piece, j) =>
          events.push(...builder.toolCall(key, j === 0 ? { toolName: part.toolName, toolCallId: part.toolCallId, args: piece } : { args: piece }))
        )
        if (args === "") events.push(...builder.toolCall(key, { toolName: part.toolName, toolCallId: part.toolCallId }))
        break
      }
    }
    events.push(...builder.end(key))
  })
  events.push(
    ...builder.finish(
      // the fields of a typed ModelResponse: no constructor validation (fields in the schema's
      // order, the key order a validating constructor gives)
      new ResponseMetadataEvent({
        modelName: response.modelName,
        providerName: response.providerName,
        ...(response.providerResponseId !== undefined ? { providerResponseId: response.providerResponseId } : {}),
        ...(response.finishReason !== undefined ? { finishReason: response.finishReason } : {}),
        usage: response.usage
      }, trusted)
    )
  )
  return events
}
