/**
 * Pure functions between our messages and the Anthropic Messages API wire JSON: requests out
 * ({@link encodeRequest}), messages in ({@link decodeMessage}, reused by the batch code: batch
 * result lines carry the same message). No I/O, no logging: encoding returns its warnings and
 * the caller logs them. The stream side is in `streamDecoder.ts`.
 *
 * Anthropic quirks handled here: system prompts live outside `messages`; consecutive turns of
 * one role are merged and tool results lead their user turn; `max_tokens` is required (default
 * 4096); thinking must be sent back with its signature; tools cannot be forced while thinking.
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Either, ParseResult, Schema } from "effect"
import { InvalidInputError, ResponseDecodeError, UnsupportedError } from "../../AiError.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { isNullishNumber, isNullishRecord, isNullishString, isRecord } from "../../internal/codec/wireChecks.js"
import type { CallContext } from "../../LanguageModel.js"
import {
  type BinaryContent,
  type FinishReason,
  type ImageUrl,
  type ModelMessage,
  ModelResponse,
  type ModelResponsePart,
  type ModelRequest,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  type UserContent
} from "../../Message.js"
import type { ModelSettings, ToolChoice } from "../../Parameters.js"
import { RequestUsage } from "../../Usage.js"
import { encodeOutput, forcedToolChoice, outputConfig } from "./output.js"

/**
 * The provider name on responses and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const providerName = "anthropic"

/**
 * `max_tokens` when the settings leave it unset: the API requires one.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxTokens = 4096

/**
 * The settings Anthropic maps. seed, presencePenalty and frequencyPenalty have no Anthropic
 * equivalent, so `LanguageModel.make` warns when they are set.
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedSettings: ReadonlyArray<keyof ModelSettings> = [
  "maxTokens",
  "temperature",
  "topP",
  "stopSequences",
  "parallelToolCalls",
  "timeout",
  "toolChoice",
  "extraHeaders",
  "extraBody"
]

/**
 * A `redacted_thinking` block becomes a ThinkingPart with empty content whose signature is this
 * prefix + the block's encrypted `data`, so it can be sent back as the same block. The prefix
 * keeps it apart from a real thinking block with empty text (`display: "omitted"`), which also
 * has empty content and a signature.
 *
 * @since 0.1.0
 * @category constants
 */
export const redactedThinkingPrefix = "anthropic-redacted-thinking:"

// ---------------------------------------------------------------------------------------------
// encoding
// ---------------------------------------------------------------------------------------------

/**
 * A request ready for `sdk.messages.create(body, options)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRequest {
  readonly body: Anthropic.MessageCreateParamsNonStreaming
  /** SDK request options: `timeout` in milliseconds and extra `headers`. */
  readonly options: { readonly timeout?: number; readonly headers?: Record<string, string> }
  /** What the encoding changed or could not carry over; the caller logs them. */
  readonly warnings: ReadonlyArray<string>
}

type Block = Anthropic.ContentBlockParam
interface Turn {
  readonly role: "user" | "assistant"
  readonly content: Array<Block>
}

const imageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const
type ImageMediaType = typeof imageMediaTypes[number]
const isImageMediaType = (m: string): m is ImageMediaType => (imageMediaTypes as ReadonlyArray<string>).includes(m)

const imageUrlBlock = (item: ImageUrl): Block =>
  item.mediaType === "application/pdf" || (item.mediaType === undefined && /\.pdf(?:$|[?#])/i.test(item.url))
    ? { type: "document", source: { type: "url", url: item.url } }
    : { type: "image", source: { type: "url", url: item.url } }

const binaryBlock = (item: BinaryContent): Either.Either<Block, InvalidInputError> => {
  if (isImageMediaType(item.mediaType)) {
    return Either.right({ type: "image", source: { type: "base64", media_type: item.mediaType, data: item.base64 } })
  }
  if (item.mediaType === "application/pdf") {
    return Either.right({ type: "document", source: { type: "base64", media_type: "application/pdf", data: item.base64 } })
  }
  if (item.mediaType === "text/plain") {
    return Either.right({ type: "document", source: { type: "text", media_type: "text/plain", data: Buffer.from(item.data).toString("utf8") } })
  }
  return Either.left(new InvalidInputError({
    provider: providerName,
    reason: `Anthropic cannot take inline ${item.mediaType} content; send JPEG, PNG, GIF or WebP images, PDFs or plain text.`
  }))
}

// plain loops with early returns, not Either.all / Either.gen: the request path runs them per request
const userBlocks = (content: string | ReadonlyArray<UserContent>, into: Array<Block>): InvalidInputError | undefined => {
  if (typeof content === "string") {
    if (content !== "") into.push({ type: "text", text: content })
    return undefined
  }
  for (const item of content) {
    if (typeof item === "string") {
      if (item !== "") into.push({ type: "text", text: item })
    } else if (item._tag === "ImageUrl") {
      into.push(imageUrlBlock(item))
    } else {
      const block = binaryBlock(item)
      if (Either.isLeft(block)) return block.left
      into.push(block.right)
    }
  }
  return undefined
}

const requestTurn = (request: ModelRequest, system: Array<string>): Either.Either<Turn, InvalidInputError> => {
  const content: Array<Block> = []
  for (const part of request.parts) {
    switch (part._tag) {
      case "SystemPromptPart":
        system.push(part.content)
        break
      case "UserPromptPart": {
        const error = userBlocks(part.content, content)
        if (error !== undefined) return Either.left(error)
        break
      }
      case "ToolReturnPart":
        content.push({ type: "tool_result", tool_use_id: part.toolCallId, content: part.contentText, is_error: false })
        break
      case "RetryPromptPart":
        content.push(part.toolCallId !== undefined
          ? { type: "tool_result", tool_use_id: part.toolCallId, content: part.modelText, is_error: true }
          : { type: "text", text: part.modelText })
        break
    }
  }
  return Either.right({ role: "user", content })
}

const responseBlock = (part: ModelResponsePart, warnings: Array<string>): Array<Block> => {
  switch (part._tag) {
    case "TextPart":
      // the API rejects empty text blocks; an empty text carries nothing
      return part.content === "" ? [] : [{ type: "text", text: part.content }]
    case "ToolCallPart":
      return [{ type: "tool_use", id: part.toolCallId, name: part.toolName, input: part.argsAsObject }]
    case "ThinkingPart": {
      // another provider's signature (the Responses API's encrypted reasoning) means nothing here
      const signature = part.providerName === undefined || part.providerName === providerName ? part.signature : undefined
      if (signature !== undefined && signature.startsWith(redactedThinkingPrefix)) {
        return [{ type: "redacted_thinking", data: signature.slice(redactedThinkingPrefix.length) }]
      }
      if (signature !== undefined && signature !== "") return [{ type: "thinking", thinking: part.content, signature }]
      // Anthropic verifies thinking by its signature: unsigned thinking (from another provider, or
      // built by hand) can only go back as plain text, so the model still sees it.
      if (part.content === "") {
        warnings.push("an empty thinking part without a signature was left out of the request: Anthropic cannot take unsigned thinking.")
        return []
      }
      warnings.push("a thinking part without a signature was sent to Anthropic as text in <thinking> tags: Anthropic only accepts thinking blocks it signed.")
      return [{ type: "text", text: `<thinking>\n${part.content}\n</thinking>` }]
    }
  }
}

// tool results must come first in a user turn, right after the assistant's tool calls
const toolResultsFirst = (blocks: Array<Block>): Array<Block> =>
  // most user turns hold no tool result: nothing to move, and no copies
  blocks.some((b) => b.type === "tool_result")
    ? [...blocks.filter((b) => b.type === "tool_result"), ...blocks.filter((b) => b.type !== "tool_result")]
    : blocks

/**
 * Our history → `system` and `messages`, turns of one role merged as the API requires. System
 * prompts from anywhere in the history join the `system` field, after the newest request's
 * instructions.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeMessages = (
  messages: ReadonlyArray<ModelMessage>,
  warnings: Array<string> = []
): Either.Either<{ readonly system: string | undefined; readonly messages: Array<Anthropic.MessageParam> }, InvalidInputError> => {
  const system: Array<string> = []
  const turns: Array<Turn> = []
  let instructions: string | undefined
  for (const message of messages) {
    let turn: Turn
    if (message._tag === "ModelRequest") {
      instructions = message.instructions
      const encoded = requestTurn(message, system)
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      turn = encoded.right
    } else {
      turn = { role: "assistant", content: message.parts.flatMap((p) => responseBlock(p, warnings)) }
    }
    if (turn.content.length === 0) continue
    const previous = turns[turns.length - 1]
    // each turn's content is an array built above, so it can be kept and grown without a copy
    if (previous !== undefined && previous.role === turn.role) previous.content.push(...turn.content)
    else turns.push(turn)
  }
  // instructions belong to the newest request only, and lead the system prompt (as in pydantic-ai)
  if (instructions !== undefined && instructions !== "") system.unshift(instructions)
  // a turn is already a `{ role, content }` message: kept as it is unless its blocks move
  const wire: Array<Anthropic.MessageParam> = turns
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!
    const content = turn.role === "user" ? toolResultsFirst(turn.content) : turn.content
    if (content !== turn.content) wire[i] = { role: turn.role, content }
  }
  return Either.right({ system: system.length > 0 ? system.join("\n\n") : undefined, messages: wire })
}

const thinkingEnabled = (extraBody: ModelSettings["extraBody"]): boolean => {
  const thinking = extraBody?.thinking
  return isRecord(thinking) && thinking.type !== undefined && thinking.type !== "disabled"
}

const wireChoice = (choice: ToolChoice): Anthropic.ToolChoice =>
  typeof choice === "object"
    ? { type: "tool", name: choice.toolName }
    : choice === "required" ? { type: "any" } : { type: choice }

const encodeToolChoice = (context: CallContext, hasTools: boolean, warnings: Array<string>): Anthropic.ToolChoice | undefined => {
  const { parameters, settings } = context
  if (!hasTools) {
    if (settings.toolChoice !== undefined && settings.toolChoice !== "auto" && settings.toolChoice !== "none") {
      warnings.push("toolChoice was ignored: the request offers no tools.")
    }
    return undefined
  }
  let choice: Anthropic.ToolChoice | undefined = settings.toolChoice !== undefined
    ? wireChoice(settings.toolChoice)
    : parameters.outputTools.length > 0 && !parameters.allowTextOutput
    ? forcedToolChoice(parameters) ?? { type: "any" }
    : undefined
  if (choice !== undefined && (choice.type === "any" || choice.type === "tool") && thinkingEnabled(settings.extraBody)) {
    warnings.push("Anthropic cannot force a tool call while thinking is enabled; tool_choice \"auto\" was sent instead.")
    choice = { type: "auto" }
  }
  if (settings.parallelToolCalls === false && choice?.type !== "none") {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true }
  }
  return choice
}

/**
 * Our request → the Messages API body and SDK request options. The "native" output mode adds
 * `output_config.format` (json_schema), the "prompted" mode its instructions to the system prompt
 * (see ./output.ts).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeRequest = (
  model: string,
  messages: ReadonlyArray<ModelMessage>,
  context: CallContext
): Either.Either<EncodedRequest, UnsupportedError | InvalidInputError> => {
  // plain code, not Either.gen: this runs on every request
  const { parameters, settings } = context
  const encodedOutput = encodeOutput(messages, parameters)
  if (Either.isLeft(encodedOutput)) return Either.left(encodedOutput.left)
  const output = encodedOutput.right
  const warnings: Array<string> = [...output.warnings]
  const encodedMessages = encodeMessages(output.messages, warnings)
  if (Either.isLeft(encodedMessages)) return Either.left(encodedMessages.left)
  const encoded = encodedMessages.right
  // no tool list is built for the usual request without tools (allTools copies two arrays)
  const tools: Array<Anthropic.Tool> | undefined =
    parameters.functionTools.length + parameters.outputTools.length === 0 ? undefined : parameters.allTools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parametersJsonSchema as Anthropic.Tool.InputSchema,
      ...(t.strict === true ? { strict: true } : {})
    }))
  const toolChoice = encodeToolChoice(context, tools !== undefined, warnings)
  // fields set one by one in the wire order, not spread from `{}` literals: a batch encodes tens
  // of thousands of bodies, and each spread allocated an object
  const body: WireBody = {
    model,
    max_tokens: settings.maxTokens ?? defaultMaxTokens,
    messages: encoded.messages
  }
  if (encoded.system !== undefined) body.system = encoded.system
  if (tools !== undefined) body.tools = tools
  if (toolChoice !== undefined) body.tool_choice = toolChoice
  if (settings.temperature !== undefined) body.temperature = settings.temperature
  if (settings.topP !== undefined) body.top_p = settings.topP
  if (settings.stopSequences !== undefined) body.stop_sequences = [...settings.stopSequences]
  // extraBody is the escape hatch for fields we do not model (thinking, metadata, ...); spread, as
  // it may override the fields above (in their place) and name any key, "__proto__" included
  const withExtra: WireBody = settings.extraBody !== undefined
    ? { ...body, ...(settings.extraBody as Partial<Anthropic.MessageCreateParamsNonStreaming>) }
    : body
  if (output.format !== undefined) withExtra.output_config = outputConfig(output.format, settings.extraBody?.output_config)
  return Either.right({
    body: withExtra,
    options: settings.timeout === undefined && settings.extraHeaders === undefined ? noOptions : {
      ...(settings.timeout !== undefined ? { timeout: Math.round(settings.timeout * 1000) } : {}),
      ...(settings.extraHeaders !== undefined ? { headers: { ...settings.extraHeaders } } : {})
    },
    warnings
  })
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
/** The body as built: the SDK's type no longer lists the sampling fields, which the API still takes. */
type WireBody = Mutable<Anthropic.MessageCreateParamsNonStreaming> & { temperature?: number; top_p?: number }

/** The request options of a request that sets neither a timeout nor headers (shared: never mutated). */
const noOptions: EncodedRequest["options"] = Object.freeze({})

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

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

/** One content block → our part; `undefined` for empty text and block kinds we do not model (server tools). */
const decodeBlock = (block: unknown, path: string): Either.Either<ModelResponsePart | undefined, ResponseDecodeError> => {
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
        return Either.right(undefined)
    }
  }
  return decodeBlockSchema(block, path)
}

const thinkingPart = (thinking: string, signature: string | null | undefined): ThinkingPart | undefined =>
  thinking === "" && (signature === undefined || signature === null || signature === "")
    ? undefined
    : new ThinkingPart({ content: thinking, ...(signature ? { signature } : {}) }, true)

const redactedPart = (data: string): ThinkingPart => new ThinkingPart({ content: "", signature: redactedThinkingPrefix + data }, true)

// the Schema path: what the hand checks refuse, decoded or failed with the path of the bad field
const decodeBlockSchema = (block: unknown, path: string): Either.Either<ModelResponsePart | undefined, ResponseDecodeError> => {
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
      return Either.right(undefined)
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
  for (let i = 0; i < wire.content.length; i++) {
    const part = decodeBlock(wire.content[i], `content.${i}`)
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
