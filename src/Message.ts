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
 * An image the provider fetches from a URL. A `mediaType` other than `image/*` (or a URL ending
 * in `.pdf`) is read as a document, as before {@link DocumentUrl} existed.
 *
 * @since 0.1.0
 * @category models
 */
export class ImageUrl extends Schema.TaggedClass<ImageUrl>()("ImageUrl", {
  url: Schema.String,
  mediaType: Schema.optional(Schema.String)
}) {}

/**
 * A document (a PDF, a text file) the provider fetches from a URL. `mediaType` is optional: the
 * providers that need one infer it from the URL's extension when it is unset.
 *
 * @since 0.2.0
 * @category models
 */
export class DocumentUrl extends Schema.TaggedClass<DocumentUrl>()("DocumentUrl", {
  url: Schema.String,
  mediaType: Schema.optional(Schema.String)
}) {}

/**
 * An audio file the provider fetches from a URL (`mediaType` such as `audio/mpeg`, optional).
 *
 * @since 0.2.0
 * @category models
 */
export class AudioUrl extends Schema.TaggedClass<AudioUrl>()("AudioUrl", {
  url: Schema.String,
  mediaType: Schema.optional(Schema.String)
}) {}

/**
 * A video the provider fetches from a URL (`mediaType` such as `video/mp4`, optional).
 *
 * @since 0.2.0
 * @category models
 */
export class VideoUrl extends Schema.TaggedClass<VideoUrl>()("VideoUrl", {
  url: Schema.String,
  mediaType: Schema.optional(Schema.String)
}) {}

/**
 * Inline bytes sent with the prompt (an image, a PDF, a text file, audio, video), with their
 * media type; encodes to base64 in JSON. The `is*` getters tell the kind from the media type.
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
  /** Whether the media type is `image/*`. */
  get isImage(): boolean {
    return this.mediaType.startsWith("image/")
  }
  /** Whether the media type is `audio/*`. */
  get isAudio(): boolean {
    return this.mediaType.startsWith("audio/")
  }
  /** Whether the media type is `video/*`. */
  get isVideo(): boolean {
    return this.mediaType.startsWith("video/")
  }
  /** Whether the bytes are a document: anything that is not an image, audio or video (PDF, text, ...). */
  get isDocument(): boolean {
    return !this.isImage && !this.isAudio && !this.isVideo
  }
}

/**
 * How long a cached prompt prefix lives: five minutes (the providers' default) or one hour.
 *
 * @since 0.2.0
 * @category models
 */
export const CacheTtl = Schema.Literal("5m", "1h")
/**
 * How long a cached prompt prefix lives.
 *
 * @since 0.2.0
 * @category models
 */
export type CacheTtl = typeof CacheTtl.Type

/**
 * A prompt-cache breakpoint: everything before it in the conversation (tools, system prompt,
 * messages) is cached by providers with explicit caching (Anthropic puts `cache_control` on
 * the content block before it). `ttl` unset is the provider's default (five minutes). Providers
 * that cache automatically (OpenAI, Gemini's implicit caching) leave it out of the request.
 *
 * @example
 * new UserPromptPart({ content: [longDocument, new CachePoint({ ttl: "1h" }), "Summarise it."] })
 *
 * @since 0.2.0
 * @category models
 */
export class CachePoint extends Schema.TaggedClass<CachePoint>()("CachePoint", {
  ttl: Schema.optional(CacheTtl)
}) {}

/**
 * One item of a multi-part user prompt: text, a URL of an image, document, audio file or video,
 * inline bytes, or a cache breakpoint.
 *
 * @since 0.1.0
 * @category models
 */
export const UserContent = Schema.Union(Schema.String, ImageUrl, DocumentUrl, AudioUrl, VideoUrl, BinaryContent, CachePoint)
/**
 * One item of a multi-part user prompt.
 *
 * @since 0.1.0
 * @category models
 */
export type UserContent = typeof UserContent.Type

/**
 * The name of a user content item as error messages give it: `"DocumentUrl"`, `"BinaryContent (audio/wav)"`, ...
 *
 * @since 0.2.0
 * @category utils
 */
export const describeUserContent = (item: UserContent): string =>
  typeof item === "string"
    ? "text"
    : item._tag === "CachePoint"
    ? "CachePoint"
    : item.mediaType !== undefined
    ? `${item._tag} (${item.mediaType})`
    : item._tag

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
 * A user prompt: a string, or a list of {@link UserContent} items (text, URLs, bytes, cache points).
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
 * Redacted thinking (Anthropic's `redacted_thinking`: reasoning the provider encrypted) has
 * `redacted: true`, empty `content`, and the provider's opaque data in `signature`; it is sent
 * back to its provider as it came, and left out for any other provider.
 *
 * @since 0.1.0
 * @category models
 */
export class ThinkingPart extends Schema.TaggedClass<ThinkingPart>()("ThinkingPart", {
  content: Schema.String,
  signature: Schema.optional(Schema.String),
  id: Schema.optional(Schema.String),
  providerName: Schema.optional(Schema.String),
  redacted: Schema.optional(Schema.Boolean)
}) {}

/**
 * A call of a provider's built-in (server-side) tool: web search, web fetch, code execution, an
 * MCP server's tool. The provider runs it itself; it is never a function tool call for the
 * caller to run, and the response holds its result as a {@link BuiltinToolReturnPart} with the
 * same `toolCallId`. `toolName` is the provider's name for the tool (`"web_search"`,
 * `"code_execution"`, an MCP tool's name); `providerDetails` keeps the provider's extra wire
 * fields (for Anthropic: the block `type` and, for MCP, `server_name`), so the part goes back to
 * its provider exactly as it came. Other providers leave it out of their requests.
 *
 * @since 0.2.0
 * @category models
 */
export class BuiltinToolCallPart extends Schema.TaggedClass<BuiltinToolCallPart>()("BuiltinToolCallPart", {
  toolName: Schema.String,
  args: Schema.Unknown,
  toolCallId: Schema.String,
  providerName: Schema.String,
  providerDetails: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  /** The arguments as an object: parses a JSON string; `{}` for an empty one. */
  get argsAsObject(): Record<string, unknown> {
    return argsToObject(this.args)
  }
}

/**
 * The result of a provider's built-in tool call ({@link BuiltinToolCallPart} of the same
 * `toolCallId`): `content` is the provider's result JSON as it came (search results, code
 * output, an error object). `providerDetails` keeps the provider's extra wire fields (for
 * Anthropic: the block `type`, such as `"web_search_tool_result"`, and `is_error` of MCP results).
 *
 * @since 0.2.0
 * @category models
 */
export class BuiltinToolReturnPart extends Schema.TaggedClass<BuiltinToolReturnPart>()("BuiltinToolReturnPart", {
  toolName: Schema.String,
  content: Schema.Unknown,
  toolCallId: Schema.String,
  providerName: Schema.String,
  providerDetails: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {}

/**
 * Any part of a {@link ModelResponse}.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelResponsePart = Schema.Union(TextPart, ToolCallPart, ThinkingPart, BuiltinToolCallPart, BuiltinToolReturnPart)
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
  /** The provider's built-in tool calls (web search, code execution, ...), in order. */
  get builtinToolCalls(): ReadonlyArray<BuiltinToolCallPart> {
    return this.parts.filter((p): p is BuiltinToolCallPart => p._tag === "BuiltinToolCallPart")
  }
  /** The results of the provider's built-in tool calls, in order. */
  get builtinToolReturns(): ReadonlyArray<BuiltinToolReturnPart> {
    return this.parts.filter((p): p is BuiltinToolReturnPart => p._tag === "BuiltinToolReturnPart")
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
