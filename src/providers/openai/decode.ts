/**
 * The decoding half of the Chat Completions codec: the wire shapes of a completion and of its
 * stream chunks that we rely on, and the pure functions from them back to our `ModelResponse`
 * and stream events. `Codec` re-exports everything here.
 *
 * @since 0.2.0
 */
import { Either, ParseResult, Schema } from "effect"
import type OpenAI from "openai"
import { ConnectionError, ResponseDecodeError } from "../../AiError.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { EventBuilder } from "../../internal/stream/eventBuilder.js"
import { isNullishRecord, isNullishString, isOptionalString, isRecord } from "../../internal/codec/wireChecks.js"
import { type FinishReason, ModelResponse, type ModelResponsePart, normaliseArgs, TextPart, ToolCallPart } from "../../Message.js"
import type { ModelRequestParameters } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import { RequestUsage } from "../../Usage.js"

/**
 * The provider name on responses and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROVIDER = "openai"

// ---------------------------------------------------------------------------------------------
// decoding: the wire shapes we rely on (other fields are ignored)
// ---------------------------------------------------------------------------------------------

const Nullish = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))
const Counters = Nullish(Schema.Record({ key: Schema.String, value: Schema.Unknown }))

const WireUsage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  prompt_tokens_details: Counters,
  completion_tokens_details: Counters
})
type WireUsage = typeof WireUsage.Type

const WireToolCall = Schema.Struct({
  id: Nullish(Schema.String),
  type: Schema.optional(Schema.String),
  function: Schema.optional(Schema.Struct({ name: Schema.String, arguments: Schema.String })),
  custom: Schema.optional(Schema.Struct({ name: Schema.String, input: Schema.String }))
})

const WireCompletion = Schema.Struct({
  id: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  created: Schema.optional(Schema.Number),
  choices: Schema.Array(Schema.Struct({
    finish_reason: Nullish(Schema.String),
    message: Schema.Struct({
      content: Nullish(Schema.String),
      refusal: Nullish(Schema.String),
      tool_calls: Nullish(Schema.Array(WireToolCall))
    })
  })),
  usage: Nullish(WireUsage)
})

const WireChunk = Schema.Struct({
  id: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  choices: Nullish(Schema.Array(Schema.Struct({
    index: Schema.optional(Schema.Number),
    finish_reason: Nullish(Schema.String),
    delta: Nullish(Schema.Struct({
      content: Nullish(Schema.String),
      refusal: Nullish(Schema.String),
      tool_calls: Nullish(Schema.Array(Schema.Struct({
        index: Schema.Number,
        id: Nullish(Schema.String),
        function: Nullish(Schema.Struct({ name: Nullish(Schema.String), arguments: Nullish(Schema.String) }))
      })))
    }))
  }))),
  usage: Nullish(WireUsage)
})
type WireChunk = typeof WireChunk.Type

// Hand-written checks of the common shapes, about ten times cheaper than a Schema decode: a value
// they accept is one the schema accepts (they only ever say no more often), and anything they
// refuse goes through the schema, which accepts it or produces the error naming the bad field.
const isUsage = (u: unknown): boolean =>
  u === undefined || u === null ||
  (isRecord(u) && typeof u.prompt_tokens === "number" && typeof u.completion_tokens === "number" &&
    isNullishRecord(u.prompt_tokens_details) && isNullishRecord(u.completion_tokens_details))
const isChunkToolCall = (u: unknown): boolean =>
  isRecord(u) && typeof u.index === "number" && isNullishString(u.id) &&
  (u.function === undefined || u.function === null || (isRecord(u.function) && isNullishString(u.function.name) && isNullishString(u.function.arguments)))
const isChunkChoice = (u: unknown): boolean => {
  if (!isRecord(u) || !(u.index === undefined || typeof u.index === "number") || !isNullishString(u.finish_reason)) return false
  const delta = u.delta
  if (delta === undefined || delta === null) return true
  if (!isRecord(delta) || !isNullishString(delta.content) || !isNullishString(delta.refusal)) return false
  const calls = delta.tool_calls
  return calls === undefined || calls === null || (Array.isArray(calls) && calls.every(isChunkToolCall))
}
const isToolCall = (u: unknown): boolean =>
  isRecord(u) && isNullishString(u.id) && isOptionalString(u.type) &&
  (u.function === undefined || (isRecord(u.function) && typeof u.function.name === "string" && typeof u.function.arguments === "string")) &&
  (u.custom === undefined || (isRecord(u.custom) && typeof u.custom.name === "string" && typeof u.custom.input === "string"))
const isChoice = (u: unknown): boolean => {
  if (!isRecord(u) || !isNullishString(u.finish_reason) || !isRecord(u.message)) return false
  const { content, refusal, tool_calls } = u.message
  return isNullishString(content) && isNullishString(refusal) &&
    (tool_calls === undefined || tool_calls === null || (Array.isArray(tool_calls) && tool_calls.every(isToolCall)))
}
const isWireCompletion = (u: unknown): u is typeof WireCompletion.Type =>
  isRecord(u) && isOptionalString(u.id) && isOptionalString(u.model) && (u.created === undefined || typeof u.created === "number") &&
  Array.isArray(u.choices) && u.choices.every(isChoice) && isUsage(u.usage)
const isWireChunk = (u: unknown): u is WireChunk =>
  isRecord(u) && (u.id === undefined || typeof u.id === "string") && (u.model === undefined || typeof u.model === "string") &&
  (u.choices === undefined || u.choices === null || (Array.isArray(u.choices) && u.choices.every(isChunkChoice))) &&
  isUsage(u.usage)

const pathText = (path: ReadonlyArray<PropertyKey>, root: string): string =>
  path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`), root)

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, input: unknown, root: string, requestId?: string): Either.Either<A, ResponseDecodeError> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(input, { errors: "first" }), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    return new ResponseDecodeError({
      provider: PROVIDER,
      path: pathText(issue?.path ?? [], root) || "(the whole body)",
      detail: issue?.message ?? "unexpected shape",
      ...(requestId !== undefined ? { requestId } : {})
    })
  })

/**
 * OpenAI's finish reason as ours; an unknown one is left out.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeFinishReason = (reason: string | null | undefined): FinishReason | undefined => {
  switch (reason) {
    case "stop":
    case "length":
    case "content_filter":
      return reason
    case "tool_calls":
    case "function_call":
      return "tool_call"
    default:
      return undefined
  }
}

/**
 * OpenAI's usage as ours: prompt tokens (cached included) are input, cached tokens are cache
 * reads; the detail counters (reasoning, audio, predictions) land in `details`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUsage = (usage: WireUsage | null | undefined): RequestUsage => {
  if (usage === null || usage === undefined) return RequestUsage.empty
  const prompt = usage.prompt_tokens_details ?? {}
  const completion = usage.completion_tokens_details ?? {}
  const count = (value: unknown): number => (typeof value === "number" ? value : 0)
  const details: Record<string, number> = {}
  for (const [key, value] of Object.entries(completion)) {
    if (typeof value === "number") details[key === "audio_tokens" ? "output_audio_tokens" : key] = value
  }
  if (typeof prompt.audio_tokens === "number") details.input_audio_tokens = prompt.audio_tokens
  // every field, in the schema's order (internal/codec/fromFields.ts)
  return fromFields(RequestUsage, {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cacheReadTokens: count(prompt.cached_tokens),
    cacheWriteTokens: count(prompt.cache_write_tokens),
    details
  })
}

/**
 * Options of the decoders.
 *
 * @since 0.1.0
 * @category options
 */
export interface DecodeOptions {
  /** The model asked for: the response's model name when the provider reports none. */
  readonly requestedModel: string
  /** The provider's request id, for the error of an undecodable body. */
  readonly requestId?: string | undefined
}

/**
 * A `chat.completion` body as a {@link ModelResponse}: text (a refusal counts as text), tool
 * calls with parsed arguments, finish reason, usage, id and model. Batch result lines carry the
 * same body, so the batch code decodes them with this too. A body missing what we need is a
 * ResponseDecodeError whose `path` names the place (for example `choices[0].message`).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeChatCompletion = (body: unknown, options: DecodeOptions): Either.Either<ModelResponse, ResponseDecodeError> =>
  Either.flatMap(isWireCompletion(body) ? Either.right(body) : decodeWith(WireCompletion, body, "", options.requestId), (completion) => {
    const choice = completion.choices[0]
    if (choice === undefined) {
      return Either.left(new ResponseDecodeError({
        provider: PROVIDER,
        path: "choices",
        detail: "the response has no choices",
        ...(options.requestId !== undefined ? { requestId: options.requestId } : {})
      }))
    }
    const parts: Array<ModelResponsePart> = []
    const { content, refusal, tool_calls } = choice.message
    // built from decoded fields, without constructors (internal/codec/fromFields.ts)
    if (content) parts.push(fromFields(TextPart, { content, _tag: "TextPart" }))
    if (refusal) parts.push(fromFields(TextPart, { content: refusal, _tag: "TextPart" }))
    let ids: ToolCallIds | undefined
    for (const call of tool_calls ?? []) {
      const fn = call.function ?? (call.custom ? { name: call.custom.name, arguments: call.custom.input } : undefined)
      if (fn === undefined) continue
      const toolCallId = call.id ? call.id : (ids ??= new ToolCallIds()).next()
      parts.push(new ToolCallPart({ toolName: fn.name, args: normaliseArgs(fn.arguments), toolCallId }, true))
    }
    const finishReason = decodeFinishReason(choice.finish_reason)
    const created = completion.created !== undefined ? new Date(completion.created * 1000) : undefined
    return Either.right(fromFields(ModelResponse, {
      parts,
      usage: decodeUsage(completion.usage),
      modelName: completion.model || options.requestedModel,
      providerName: PROVIDER,
      ...(completion.id !== undefined ? { providerResponseId: completion.id } : {}),
      ...(finishReason !== undefined ? { finishReason } : {}),
      // without a `created` in Date's range, now (the schema's default), not an Invalid Date
      timestamp: created !== undefined && Number.isFinite(created.getTime()) ? created : new Date(),
      _tag: "ModelResponse"
    }))
  })

/**
 * Tool-call ids for calls that came without one (OpenAI-compatible servers may send none):
 * `call_` and a random part drawn once per response, then the call's number, so every id is
 * non-empty and unique across responses.
 *
 * @since 0.2.0
 * @category utils
 */
export class ToolCallIds {
  private readonly prefix = `call_${Math.random().toString(36).slice(2, 12).padEnd(10, "0")}_`
  private n = 0
  /** The next generated id. */
  next(): string {
    return `${this.prefix}${this.n++}`
  }
}

// ---------------------------------------------------------------------------------------------
// decoding: streams
// ---------------------------------------------------------------------------------------------

/**
 * Turns `chat.completion.chunk`s into our stream events, through the shared EventBuilder (keys
 * "content", "refusal", "tool:<index>"). Usage comes from the usage-only chunk (`choices: []`)
 * that `include_usage` adds; the metadata event comes last, from {@link StreamDecoder.end}.
 * One decoder per streamed response.
 *
 * @since 0.1.0
 * @category codecs
 */
export class StreamDecoder {
  private readonly builder: EventBuilder
  private id: string | undefined
  private model: string | undefined
  private finishReason: string | undefined
  private usage: WireUsage | undefined
  /** The tool calls (by index) already started, and the ids generated for those that came without one. */
  private readonly startedCalls = new Set<number>()
  private ids: ToolCallIds | undefined

  constructor(parameters: ModelRequestParameters, private readonly options: DecodeOptions) {
    this.builder = new EventBuilder(parameters)
  }

  /** The events of one chunk (often none: role-only and usage chunks). */
  chunk(input: unknown): Either.Either<Array<ModelResponseStreamEvent>, ResponseDecodeError> {
    if (isWireChunk(input)) return Either.right(this.apply(input))
    return Either.map(decodeWith(WireChunk, input, "stream chunk", this.options.requestId), (chunk) => this.apply(chunk))
  }

  private apply(chunk: WireChunk): Array<ModelResponseStreamEvent> {
    if (chunk.id) this.id ??= chunk.id
    if (chunk.model) this.model ??= chunk.model
    if (chunk.usage) this.usage = chunk.usage
    const events: Array<ModelResponseStreamEvent> = []
    for (const choice of chunk.choices ?? []) {
      // we ask for one choice; others (an `n` in extraBody) are not ours to merge
      if ((choice.index ?? 0) !== 0) continue
      const delta = choice.delta
      if (delta?.content) events.push(...this.builder.text("content", delta.content))
      if (delta?.refusal) events.push(...this.builder.text("refusal", delta.refusal))
      for (const call of delta?.tool_calls ?? []) {
        let toolCallId = call.id ? call.id : undefined
        if (!this.startedCalls.has(call.index)) {
          this.startedCalls.add(call.index)
          toolCallId ??= (this.ids ??= new ToolCallIds()).next()
        }
        events.push(...this.builder.toolCall(`tool:${call.index}`, {
          toolName: call.function?.name ?? undefined,
          toolCallId,
          args: call.function?.arguments ?? undefined
        }))
      }
      if (choice.finish_reason) this.finishReason = choice.finish_reason
    }
    return events
  }

  /**
   * The stream ended: closes the open parts and emits the metadata. A stream that ends before
   * any finish reason was cut off (the provider always sends one), which is a ConnectionError.
   */
  end(): Either.Either<Array<ModelResponseStreamEvent>, ConnectionError> {
    if (this.finishReason === undefined) {
      return Either.left(new ConnectionError({
        provider: PROVIDER,
        detail: "the stream ended before the model finished (no finish_reason)",
        ...(this.options.requestId !== undefined ? { requestId: this.options.requestId } : {})
      }))
    }
    const finishReason = decodeFinishReason(this.finishReason)
    // typed fields: no constructor validation; in the schema's order, as a validating constructor puts them
    return Either.right(this.builder.finish(new ResponseMetadataEvent({
      modelName: this.model || this.options.requestedModel,
      providerName: PROVIDER,
      ...(this.id !== undefined ? { providerResponseId: this.id } : {}),
      ...(finishReason !== undefined ? { finishReason } : {}),
      usage: decodeUsage(this.usage)
    }, true)))
  }
}
