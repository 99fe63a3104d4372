/**
 * The provider-neutral message schema: what goes to a model ({@link ModelRequest}) and what
 * comes back ({@link ModelResponse}). Every class is an Effect `Schema`, so a conversation
 * history encodes to JSON and decodes back unchanged.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { blank } from "./internal/codec/fromFields.js"
import { isRecord } from "./internal/codec/wireChecks.js"
import { RequestUsage } from "./Usage.js"

// ---------------------------------------------------------------------------------------------
// user content
// ---------------------------------------------------------------------------------------------

/**
 * An image (or other file) the provider fetches from a URL.
 *
 * @since 0.1.0
 * @category models
 */
export class ImageUrl extends Schema.TaggedClass<ImageUrl>()("ImageUrl", {
  url: Schema.String,
  mediaType: Schema.optional(Schema.String)
}) {}

/**
 * Inline bytes (an image, a PDF) sent with the prompt; encodes to base64 in JSON.
 *
 * @since 0.1.0
 * @category models
 */
export class BinaryContent extends Schema.TaggedClass<BinaryContent>()("BinaryContent", {
  data: Schema.Uint8ArrayFromBase64,
  mediaType: Schema.String
}) {
  /** The bytes as base64, as the providers' wire formats want them. */
  get base64(): string {
    return Buffer.from(this.data).toString("base64")
  }
  /** A `data:` URL of the bytes. */
  get dataUrl(): string {
    return `data:${this.mediaType};base64,${this.base64}`
  }
}

/**
 * One item of a multi-part user prompt: text, an image URL, or inline bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const UserContent = Schema.Union(Schema.String, ImageUrl, BinaryContent)
/**
 * One item of a multi-part user prompt.
 *
 * @since 0.1.0
 * @category models
 */
export type UserContent = typeof UserContent.Type

// ---------------------------------------------------------------------------------------------
// request parts
// ---------------------------------------------------------------------------------------------

/**
 * A system prompt.
 *
 * @since 0.1.0
 * @category models
 */
export class SystemPromptPart extends Schema.TaggedClass<SystemPromptPart>()("SystemPromptPart", {
  content: Schema.String
}) {}

/**
 * A user prompt: a string, or a list of text / image / binary items.
 *
 * @since 0.1.0
 * @category models
 */
export class UserPromptPart extends Schema.TaggedClass<UserPromptPart>()("UserPromptPart", {
  content: Schema.Union(Schema.String, Schema.Array(UserContent))
}) {}

/**
 * The result of a tool the model called, sent back to it.
 *
 * @since 0.1.0
 * @category models
 */
export class ToolReturnPart extends Schema.TaggedClass<ToolReturnPart>()("ToolReturnPart", {
  toolName: Schema.String,
  content: Schema.Unknown,
  toolCallId: Schema.String
}) {
  /** The content as the text the providers receive (JSON unless already a string). */
  get contentText(): string {
    return typeof this.content === "string" ? this.content : JSON.stringify(this.content)
  }
}

/**
 * Asks the model to try again: after a tool call failed validation (with `toolName` and
 * `toolCallId`) or after a text answer was not acceptable (without them).
 *
 * @since 0.1.0
 * @category models
 */
export class RetryPromptPart extends Schema.TaggedClass<RetryPromptPart>()("RetryPromptPart", {
  content: Schema.String,
  toolName: Schema.optional(Schema.String),
  toolCallId: Schema.optional(Schema.String)
}) {
  /** The text the model receives. */
  get modelText(): string {
    return `${this.content}\n\nFix the errors and try again.`
  }
}

/**
 * Any part of a {@link ModelRequest}.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelRequestPart = Schema.Union(SystemPromptPart, UserPromptPart, ToolReturnPart, RetryPromptPart)
/**
 * Any part of a {@link ModelRequest}.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelRequestPart = typeof ModelRequestPart.Type

/**
 * A message to the model: prompts and tool results, with optional `instructions` (a system
 * prompt that belongs to this request only).
 *
 * @example
 * ModelRequest.userTextPrompt("What is the capital of France?")
 *
 * @since 0.1.0
 * @category models
 */
export class ModelRequest extends Schema.TaggedClass<ModelRequest>()("ModelRequest", {
  parts: Schema.Array(ModelRequestPart),
  instructions: Schema.optional(Schema.String)
}) {
  /** A request with one user text prompt. */
  static userTextPrompt(prompt: string, options?: { readonly instructions?: string | undefined }): ModelRequest {
    // the fields are typed strings: skip the constructor (its validation costs ~100 µs, and even
    // unvalidated about 1 µs a class), which shows when building tens of thousands of batch
    // requests; the fields are set as the constructor would, in its order (internal/codec/fromFields.ts)
    const part = blank(UserPromptPart)
    part.content = prompt
    part._tag = "UserPromptPart"
    const request = blank(ModelRequest)
    request.parts = [part]
    if (options?.instructions !== undefined) request.instructions = options.instructions
    request._tag = "ModelRequest"
    return request
  }
}

// ---------------------------------------------------------------------------------------------
// response parts
// ---------------------------------------------------------------------------------------------

/**
 * Text the model produced.
 *
 * @since 0.1.0
 * @category models
 */
export class TextPart extends Schema.TaggedClass<TextPart>()("TextPart", {
  content: Schema.String
}) {}

/**
 * A tool call the model made. `args` is the parsed JSON object when the model sent a valid JSON
 * object, otherwise the raw string it sent (so nothing is lost); see {@link ToolCallPart.argsAsObject}.
 *
 * @since 0.1.0
 * @category models
 */
export class ToolCallPart extends Schema.TaggedClass<ToolCallPart>()("ToolCallPart", {
  toolName: Schema.String,
  args: Schema.Unknown,
  toolCallId: Schema.String
}) {
  /** The arguments as an object: parses a JSON string; `{}` for an empty one. */
  get argsAsObject(): Record<string, unknown> {
    return argsToObject(this.args)
  }
  /** The arguments as a JSON string. */
  get argsAsJson(): string {
    return typeof this.args === "string" ? (this.args === "" ? "{}" : this.args) : JSON.stringify(this.args ?? {})
  }
}

/**
 * Reasoning the model exposed; `signature` lets the provider verify it when sent back (Anthropic's
 * signature, the Responses API's encrypted reasoning content). `id` and `providerName` say which
 * provider item it came from (a Responses reasoning item), so only that provider is sent it back.
 *
 * @since 0.1.0
 * @category models
 */
export class ThinkingPart extends Schema.TaggedClass<ThinkingPart>()("ThinkingPart", {
  content: Schema.String,
  signature: Schema.optional(Schema.String),
  id: Schema.optional(Schema.String),
  providerName: Schema.optional(Schema.String)
}) {}

/**
 * Any part of a {@link ModelResponse}.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelResponsePart = Schema.Union(TextPart, ToolCallPart, ThinkingPart)
/**
 * Any part of a {@link ModelResponse}.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelResponsePart = typeof ModelResponsePart.Type

/**
 * Why the model stopped, normalised across providers.
 *
 * @since 0.1.0
 * @category models
 */
export const FinishReason = Schema.Literal("stop", "length", "content_filter", "tool_call", "error")
/**
 * Why the model stopped.
 *
 * @since 0.1.0
 * @category models
 */
export type FinishReason = typeof FinishReason.Type

/**
 * What the model answered: its parts, token usage, and where it came from.
 *
 * @since 0.1.0
 * @category models
 */
export class ModelResponse extends Schema.TaggedClass<ModelResponse>()("ModelResponse", {
  parts: Schema.Array(ModelResponsePart),
  usage: Schema.optionalWith(RequestUsage, { default: () => RequestUsage.empty }),
  modelName: Schema.String,
  providerName: Schema.String,
  providerResponseId: Schema.optional(Schema.String),
  finishReason: Schema.optional(FinishReason),
  timestamp: Schema.optionalWith(Schema.DateFromString, { default: () => new Date() })
}) {
  /** The text parts concatenated. */
  get text(): string {
    return this.parts.flatMap((p) => (p._tag === "TextPart" ? [p.content] : [])).join("")
  }
  /** The tool calls, in order. */
  get toolCalls(): ReadonlyArray<ToolCallPart> {
    return this.parts.filter((p): p is ToolCallPart => p._tag === "ToolCallPart")
  }
  /** The thinking text concatenated. */
  get thinking(): string {
    return this.parts.flatMap((p) => (p._tag === "ThinkingPart" ? [p.content] : [])).join("")
  }
}

/**
 * A message of a conversation history: a request or a response.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelMessage = Schema.Union(ModelRequest, ModelResponse)
/**
 * A message of a conversation history.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelMessage = typeof ModelMessage.Type

/**
 * A conversation history as a Schema: `Schema.encodeSync(ModelMessages)(history)` gives JSON-safe data.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelMessages = Schema.Array(ModelMessage)

/**
 * Tool-call arguments as responses carry them: a JSON object text becomes the object (an empty
 * text becomes `{}`); anything else stays as it came, so invalid JSON from the model is kept.
 *
 * @since 0.1.0
 * @category utils
 */
export const normaliseArgs = (args: unknown): unknown => {
  if (typeof args !== "string") return args ?? {}
  if (args.trim() === "") return {}
  try {
    const parsed: unknown = JSON.parse(args)
    return isRecord(parsed) ? parsed : args
  } catch {
    return args
  }
}

/**
 * Parses tool-call arguments into an object; a non-JSON string lands in `{ _raw: string }`.
 *
 * @since 0.1.0
 * @category utils
 */
export const argsToObject = (args: unknown): Record<string, unknown> => {
  if (typeof args === "string") {
    if (args.trim() === "") return {}
    try {
      const parsed: unknown = JSON.parse(args)
      return isRecord(parsed) ? parsed : { _value: parsed }
    } catch {
      return { _raw: args }
    }
  }
  if (args === undefined || args === null) return {}
  return isRecord(args) ? args : { _value: args }
}
