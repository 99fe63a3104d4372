/**
 * `generateContentStream` chunks → our stream events. Each chunk is a `GenerateContentResponse`
 * holding the next parts of the first candidate: text and thought text grow the current text or
 * thinking part, a function call comes whole (a part started and ended at once), a thought
 * signature on a non-thought part becomes an empty ThinkingPart after it (as in `codec.ts`, so the
 * stream adds up to the non-streamed response). Usage is cumulative per chunk: the last one counts.
 * The final chunk carries the finish reason; a stream that ends without one was cut short. Code
 * execution parts come whole (a call starts and ends at once, its result arrives whole); the
 * candidate's grounding and URL context metadata (the last seen) become their call and return
 * pairs at the end, after every other part, as `codec.ts` puts them (builtinTools.ts).
 * @since 0.1.0
 */
import type { GenerateContentResponseUsageMetadata } from "@google/genai"
import { Either } from "effect"
import { EventBuilder } from "../../internal/stream/eventBuilder.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { FinishReason } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import { codeState, decodeCodePart, decodeGrounding } from "./builtinTools.js"
import { decodeUsage, finishReason, providerName, syntheticCallId } from "./codec.js"

type Kind = "text" | "thought"

/**
 * Decodes one streamed response; one instance per stream.
 *
 * @since 0.1.0
 * @category models
 */
export class StreamDecoder {
  private readonly builder: EventBuilder
  private key = 0
  private kind: Kind | undefined
  /** The key of the text or thinking part that grows, if one does. */
  private current = ""
  private calls = 0
  private readonly code = codeState()
  /** The candidate's grounding and URL context metadata, the last seen. */
  private readonly metadata: Record<string, unknown> = {}
  private responseId: string | undefined
  private modelVersion: string | undefined
  private usage: GenerateContentResponseUsageMetadata | undefined
  private reason: string | undefined
  private finished = false

  constructor(parameters: ModelRequestParameters, private readonly requestedModel: string) {
    this.builder = new EventBuilder(parameters)
  }

  private next(): string {
    this.key += 1
    return `p${this.key}`
  }

  private signature(signature: string, into: Array<ModelResponseStreamEvent>): void {
    const key = this.next()
    into.push(...this.builder.thinking(key, "", signature), ...this.builder.end(key))
  }

  /** One chunk's events. */
  push(chunk: unknown): Either.Either<Array<ModelResponseStreamEvent>, string> {
    if (!isRecord(chunk)) return Either.left("a stream chunk is not an object")
    if (typeof chunk.responseId === "string") this.responseId = chunk.responseId
    if (typeof chunk.modelVersion === "string" && chunk.modelVersion !== "") this.modelVersion = chunk.modelVersion
    if (isRecord(chunk.usageMetadata)) this.usage = chunk.usageMetadata as GenerateContentResponseUsageMetadata
    const events: Array<ModelResponseStreamEvent> = []
    const candidate = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined
    if (!isRecord(candidate)) {
      if (isRecord(chunk.promptFeedback) && chunk.promptFeedback.blockReason !== undefined) this.reason = "BLOCKED"
      return Either.right(events)
    }
    const parts = isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : []
    for (const part of parts) {
      if (!isRecord(part)) return Either.left("a streamed part is not an object")
      const signature = typeof part.thoughtSignature === "string" && part.thoughtSignature !== "" ? part.thoughtSignature : undefined
      if (part.thought === true) {
        if (this.kind !== "thought") {
          this.kind = "thought"
          this.current = this.next()
        }
        events.push(...this.builder.thinking(this.current, typeof part.text === "string" ? part.text : "", signature))
        continue
      }
      const builtin = decodeCodePart(part, this.responseId, this.code)
      if (builtin !== undefined) {
        this.kind = undefined
        const key = this.next()
        events.push(
          ...(builtin._tag === "BuiltinToolCallPart" ? this.builder.builtinToolCall(key, builtin, "") : this.builder.whole(key, builtin)),
          ...this.builder.end(key)
        )
        if (signature !== undefined) this.signature(signature, events)
        continue
      }
      if (isRecord(part.functionCall)) {
        const call = part.functionCall
        if (typeof call.name !== "string") return Either.left("a streamed function call has no name")
        const id = typeof call.id === "string" && call.id !== "" ? call.id : syntheticCallId(this.responseId, this.calls)
        this.calls += 1
        this.kind = undefined
        const key = this.next()
        events.push(
          ...this.builder.toolCall(key, { toolName: call.name, toolCallId: id, args: JSON.stringify(isRecord(call.args) ? call.args : {}) }),
          ...this.builder.end(key)
        )
        if (signature !== undefined) this.signature(signature, events)
        continue
      }
      if (typeof part.text === "string") {
        if (part.text !== "") {
          if (this.kind !== "text") {
            this.kind = "text"
            this.current = this.next()
          }
          events.push(...this.builder.text(this.current, part.text))
        }
        // the signature's part goes after the text it belongs to, which may still grow
        if (signature !== undefined) this.signature(signature, events)
      }
    }
    if (isRecord(candidate.groundingMetadata)) this.metadata.groundingMetadata = candidate.groundingMetadata
    if (isRecord(candidate.urlContextMetadata)) this.metadata.urlContextMetadata = candidate.urlContextMetadata
    if (typeof candidate.finishReason === "string") this.reason = candidate.finishReason
    return Either.right(events)
  }

  /** The closing events (open parts ended, then the metadata); a Left when the stream was cut short. */
  end(): Either.Either<Array<ModelResponseStreamEvent>, string> {
    if (this.finished) return Either.right([])
    this.finished = true
    if (this.reason === undefined) return Either.left("the stream ended before Gemini's final chunk (no finishReason)")
    const reason: FinishReason | undefined = this.reason === "BLOCKED" ? "content_filter" : finishReason(this.reason, this.calls > 0)
    const grounding: Array<ModelResponseStreamEvent> = []
    const pairs = decodeGrounding(this.metadata, this.responseId)
    // the part still growing ends before the grounding parts start
    if (pairs.length > 0 && this.kind !== undefined) grounding.push(...this.builder.end(this.current))
    for (const part of pairs) {
      const key = this.next()
      grounding.push(
        ...(part._tag === "BuiltinToolCallPart" ? this.builder.builtinToolCall(key, part, "") : this.builder.whole(key, part)),
        ...this.builder.end(key)
      )
    }
    return Either.right([...grounding, ...this.builder.finish(new ResponseMetadataEvent({
      modelName: this.modelVersion ?? this.requestedModel,
      providerName,
      ...(this.responseId !== undefined ? { providerResponseId: this.responseId } : {}),
      ...(reason !== undefined ? { finishReason: reason } : {}),
      usage: decodeUsage(this.usage)
    }, true))])
  }
}
