/**
 * The Messages API's responses → ours: a `Message` (a response body, or the `message` of a
 * batch result line) to a {@link ModelResponse}, its usage and stop reason. Server tool blocks
 * (`server_tool_use`, `mcp_tool_use` and every `*_tool_result`) become `BuiltinToolCallPart` /
 * `BuiltinToolReturnPart` (never function tool calls), `redacted_thinking` a redacted
 * `ThinkingPart`; block kinds we do not model are left out. The stream side is in
 * `streamDecoder.ts`, which shares these functions.
 *
 * @since 0.2.0
 */
import { Either, ParseResult, Schema } from "effect"
import { ResponseDecodeError } from "../../AiError.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { isNullishNumber, isNullishRecord, isNullishString, isRecord, type Obj } from "../../internal/codec/wireChecks.js"
import {
  BuiltinToolCallPart,
  BuiltinToolReturnPart,
  type FinishReason,
  ModelResponse,
  type ModelResponsePart,
  TextPart,
  ThinkingPart,
  ToolCallPart
} from "../../Message.js"
import { RequestUsage } from "../../Usage.js"

/**
 * The provider name on responses and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const providerName = "anthropic"

/**
 * The prefix of a redacted thinking part's signature as this library wrote it before
 * `ThinkingPart.redacted` existed (prefix + the block's encrypted `data`). Such parts in stored
 * histories are still sent back as `redacted_thinking` blocks.
 *
 * @since 0.1.0
 * @category constants
 * @deprecated Redacted thinking is a `ThinkingPart` with `redacted: true` and the data in `signature`.
 */
export const redactedThinkingPrefix = "anthropic-redacted-thinking:"

/**
 * Runs a wire schema; a failure names the JSON path of the first problem under `prefix`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeAt = <A, I>(schema: Schema.Schema<A, I>, value: unknown, prefix: string): Either.Either<A, ResponseDecodeError> =>
  Schema.decodeUnknownEither(schema)(value).pipe(Either.mapLeft((error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    const path = [prefix, ...(issue?.path ?? []).map(String)].filter((s) => s !== "").join(".")
    return new ResponseDecodeError({ provider: providerName, path: path === "" ? "$" : path, detail: issue?.message ?? error.message })
  }))

const OptionalCount = Schema.optional(Schema.NullOr(Schema.Number))

/**
 * Usage as the wire carries it (`message.usage`, or message_start merged with message_delta).
 *
 * @since 0.1.0
 * @category constants
 */
export const WireUsage = Schema.Struct({
  input_tokens: OptionalCount,
  output_tokens: OptionalCount,
  cache_creation_input_tokens: OptionalCount,
  cache_read_input_tokens: OptionalCount,
  cache_creation: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  server_tool_use: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})
/**
 * Usage as the wire carries it.
 *
 * @since 0.1.0
 * @category models
 */
export type WireUsage = typeof WireUsage.Type

/**
 * What {@link WireUsage} accepts, checked by hand (the codec's and the stream decoder's fast path).
 *
 * @since 0.1.0
 * @category guards
 */
export const isWireUsage = (u: unknown): u is WireUsage =>
  isRecord(u) && isNullishNumber(u.input_tokens) && isNullishNumber(u.output_tokens) && isNullishNumber(u.cache_creation_input_tokens) &&
  isNullishNumber(u.cache_read_input_tokens) && isNullishRecord(u.cache_creation) && isNullishRecord(u.server_tool_use)

const WireMessage = Schema.Struct({
  id: Schema.String,
  model: Schema.String,
  content: Schema.Array(Schema.Unknown),
  stop_reason: Schema.optional(Schema.NullOr(Schema.String)),
  usage: WireUsage
})

const BlockType = Schema.Struct({ type: Schema.String })
const TextBlock = Schema.Struct({ text: Schema.String })
const ThinkingBlock = Schema.Struct({ thinking: Schema.String, signature: Schema.optional(Schema.NullOr(Schema.String)) })
const RedactedThinkingBlock = Schema.Struct({ data: Schema.String })
const ToolUseBlock = Schema.Struct({ id: Schema.String, name: Schema.String, input: Schema.Unknown })

/**
 * Anthropic's stop reason → ours; unknown reasons map to none rather than a guess.
 *
 * @since 0.1.0
 * @category utils
 */
export const finishReason = (stopReason: string | null | undefined): FinishReason | undefined => {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool_call"
    case "refusal":
      return "content_filter"
    default:
      return undefined
  }
}

const count = (n: number | null | undefined): number => (typeof n === "number" && Number.isFinite(n) ? n : 0)

/**
 * Wire usage → ours: `inputTokens` counts all input, cache reads and writes included.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUsage = (usage: WireUsage): RequestUsage => {
  const cacheRead = count(usage.cache_read_input_tokens)
  const cacheWrite = count(usage.cache_creation_input_tokens)
  const details: Record<string, number> = {}
  for (const source of [usage.cache_creation, usage.server_tool_use]) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (typeof value === "number" && value !== 0) details[key] = value
    }
  }
  // typed fields, every one, in the schema's order (internal/codec/fromFields.ts)
  return fromFields(RequestUsage, {
    inputTokens: count(usage.input_tokens) + cacheRead + cacheWrite,
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    details
  })
}

// Hand-written checks of the common shapes (../../internal/codec/wireChecks.ts), far cheaper than Schema
// decodes: what they accept the schemas accept; whatever they refuse takes the Schema path, which
// names the bad field.
const isWireMessage = (u: unknown): u is typeof WireMessage.Type =>
  isRecord(u) && typeof u.id === "string" && typeof u.model === "string" && Array.isArray(u.content) &&
  isNullishString(u.stop_reason) && isWireUsage(u.usage)

/** One content block → our part; `undefined` for empty text and block kinds we do not model. */
const decodeBlock = (block: unknown, path: string, names: Map<string, string>): Either.Either<ModelResponsePart | undefined, ResponseDecodeError> => {
  // the common blocks checked by hand, each as its schema below takes it. Parts built from checked
  // fields skip constructor validation; their fields go in the schema's order, the key order a
  // validating constructor gives (an unvalidated one keeps the order it is given)
  if (isRecord(block) && typeof block.type === "string") {
    switch (block.type) {
      case "text":
        if (typeof block.text === "string") return Either.right(block.text === "" ? undefined : fromFields(TextPart, { content: block.text, _tag: "TextPart" }))
        break
      case "thinking":
        if (typeof block.thinking === "string" && isNullishString(block.signature)) {
          return Either.right(thinkingPart(block.thinking, block.signature as string | null | undefined))
        }
        break
      case "redacted_thinking":
        if (typeof block.data === "string") return Either.right(redactedPart(block.data))
        break
      case "tool_use":
        if (typeof block.id === "string" && typeof block.name === "string") {
          return Either.right(new ToolCallPart({ toolName: block.name, args: block.input ?? {}, toolCallId: block.id }, true))
        }
        break
      default:
        return builtinBlockPart(block, block.type, path, names, block.input ?? {})
    }
  }
  return decodeBlockSchema(block, path, names)
}

/**
 * Whether a block type is a server tool's call: `server_tool_use`, `mcp_tool_use`, any other
 * `*_tool_use` but the function tools' `tool_use`.
 *
 * @since 0.2.0
 * @category guards
 */
export const isBuiltinCallType = (type: string): boolean => type !== "tool_use" && type.endsWith("_tool_use")

/**
 * Whether a block type is a server tool's result: `web_search_tool_result`, `mcp_tool_result`,
 * any other `*_tool_result` but the function tools' `tool_result`.
 *
 * @since 0.2.0
 * @category guards
 */
export const isBuiltinResultType = (type: string): boolean => type !== "tool_result" && type.endsWith("_tool_result")

const BuiltinCallBlock = Schema.Struct({ id: Schema.String, name: Schema.String })
const BuiltinResultBlock = Schema.Struct({ tool_use_id: Schema.String })

const details = (block: Obj, modelled: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(block)) if (!modelled.includes(key)) out[key] = value
  return out
}

/**
 * A server tool call block → a {@link BuiltinToolCallPart} (`args` as given: the block's `input`,
 * or the JSON text streamed so far); the block's type and other fields go in `providerDetails`.
 *
 * @since 0.2.0
 * @category codecs
 */
export const builtinCallPart = (block: Obj & { readonly id: string; readonly name: string }, args: unknown): BuiltinToolCallPart =>
  new BuiltinToolCallPart({
    toolName: block.name,
    args,
    toolCallId: block.id,
    providerName,
    providerDetails: details(block, ["id", "name", "input"])
  }, true)

/**
 * A server tool result block → a {@link BuiltinToolReturnPart}, named after the call of the same
 * id in `names` (else after its block type: `web_search_tool_result` → `web_search`).
 *
 * @since 0.2.0
 * @category codecs
 */
export const builtinReturnPart = (block: Obj & { readonly tool_use_id: string; readonly type: string }, names: ReadonlyMap<string, string>): BuiltinToolReturnPart =>
  new BuiltinToolReturnPart({
    toolName: names.get(block.tool_use_id) ?? block.type.slice(0, -"_tool_result".length),
    content: block.content,
    toolCallId: block.tool_use_id,
    providerName,
    providerDetails: details(block, ["tool_use_id", "content"])
  }, true)

// a server tool block (checked, or failed with the path of the bad field), or undefined for kinds we do not model
const builtinBlockPart = (
  block: Obj,
  type: string,
  path: string,
  names: Map<string, string>,
  args: unknown
): Either.Either<ModelResponsePart | undefined, ResponseDecodeError> => {
  if (isBuiltinCallType(type)) {
    if (!(typeof block.id === "string" && typeof block.name === "string")) {
      const checked = decodeAt(BuiltinCallBlock, block, path)
      if (Either.isLeft(checked)) return Either.left(checked.left)
    }
    const call = block as Obj & { readonly id: string; readonly name: string }
    names.set(call.id, call.name)
    return Either.right(builtinCallPart(call, args))
  }
  if (isBuiltinResultType(type)) {
    if (typeof block.tool_use_id !== "string") {
      const checked = decodeAt(BuiltinResultBlock, block, path)
      if (Either.isLeft(checked)) return Either.left(checked.left)
    }
    return Either.right(builtinReturnPart(block as Obj & { readonly tool_use_id: string; readonly type: string }, names))
  }
  return Either.right(undefined)
}

const thinkingPart = (thinking: string, signature: string | null | undefined): ThinkingPart | undefined =>
  thinking === "" && (signature === undefined || signature === null || signature === "")
    ? undefined
    : new ThinkingPart({ content: thinking, ...(signature ? { signature } : {}) }, true)

/**
 * A `redacted_thinking` block's data → a redacted {@link ThinkingPart} (the data in `signature`).
 *
 * @since 0.2.0
 * @category codecs
 */
export const redactedPart = (data: string): ThinkingPart =>
  new ThinkingPart({ content: "", signature: data, providerName, redacted: true }, true)

// the Schema path: what the hand checks refuse, decoded or failed with the path of the bad field
const decodeBlockSchema = (block: unknown, path: string, names: Map<string, string>): Either.Either<ModelResponsePart | undefined, ResponseDecodeError> => {
  const typed = decodeAt(BlockType, block, path)
  if (Either.isLeft(typed)) return Either.left(typed.left)
  switch (typed.right.type) {
    case "text":
      return Either.map(decodeAt(TextBlock, block, path), ({ text }) => (text === "" ? undefined : fromFields(TextPart, { content: text, _tag: "TextPart" })))
    case "thinking":
      return Either.map(decodeAt(ThinkingBlock, block, path), ({ signature, thinking }) => thinkingPart(thinking, signature))
    case "redacted_thinking":
      return Either.map(decodeAt(RedactedThinkingBlock, block, path), ({ data }) => redactedPart(data))
    case "tool_use":
      return Either.map(
        decodeAt(ToolUseBlock, block, path),
        ({ id, input, name }) => new ToolCallPart({ toolName: name, args: input ?? {}, toolCallId: id }, true)
      )
    default:
      return isRecord(block) ? builtinBlockPart(block, typed.right.type, path, names, block.input ?? {}) : Either.right(undefined)
  }
}

/**
 * A Messages API `Message` (a response body, or the `message` of a batch result line) → our
 * {@link ModelResponse}. Fails with a {@link ResponseDecodeError} naming the path it could not read.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeMessage = (
  message: unknown,
  options?: { readonly timestamp?: Date | undefined }
): Either.Either<ModelResponse, ResponseDecodeError> => {
  // plain code, not Either.gen: this runs on every response (and every batch result line)
  let wire: typeof WireMessage.Type
  if (isWireMessage(message)) {
    wire = message
  } else {
    const decoded = decodeAt(WireMessage, message, "")
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    wire = decoded.right
  }
  const parts: Array<ModelResponsePart> = []
  // server tool calls' names by id, for the names of their results
  const names = new Map<string, string>()
  for (let i = 0; i < wire.content.length; i++) {
    const part = decodeBlock(wire.content[i], `content.${i}`, names)
    if (Either.isLeft(part)) return Either.left(part.left)
    if (part.right !== undefined) parts.push(part.right)
  }
  const reason = finishReason(wire.stop_reason)
  // built from decoded fields, every one in the schema's order, without the constructor
  // (internal/codec/fromFields.ts)
  return Either.right(fromFields(ModelResponse, {
    parts,
    usage: decodeUsage(wire.usage),
    modelName: wire.model,
    providerName,
    providerResponseId: wire.id,
    ...(reason !== undefined ? { finishReason: reason } : {}),
    timestamp: options?.timestamp ?? new Date(),
    _tag: "ModelResponse"
  }))
}
