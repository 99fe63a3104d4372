/**
 * Messages and responses in the GenAI semantic conventions' message formats, for the `chat`
 * spans' content attributes (recorded only when content capture is on).
 *
 * @since 0.2.0
 * @internal
 */
import type { ModelMessage, ModelResponsePart, UserContent } from "../../Message.js"

/**
 * One part of a message in the conventions' format.
 *
 * @since 0.2.0
 * @category models
 */
export type JsonPart = Readonly<Record<string, unknown>>

const modality = (mediaType: string | undefined): string => {
  const kind = mediaType?.split("/")[0]
  return kind === "image" || kind === "audio" || kind === "video" ? kind : "document"
}

const userContentPart = (item: UserContent): JsonPart => {
  if (typeof item === "string") return { type: "text", content: item }
  switch (item._tag) {
    case "ImageUrl":
    case "DocumentUrl":
    case "AudioUrl":
    case "VideoUrl": {
      const kind = item._tag === "ImageUrl" ? "image" : item._tag === "AudioUrl" ? "audio" : item._tag === "VideoUrl" ? "video" : "document"
      return { type: "uri", modality: item.mediaType === undefined ? kind : modality(item.mediaType), uri: item.url, ...(item.mediaType !== undefined ? { mime_type: item.mediaType } : {}) }
    }
    case "CachePoint":
      return { type: "cache_point", ...(item.ttl !== undefined ? { ttl: item.ttl } : {}) }
    case "BinaryContent":
      return { type: "blob", modality: modality(item.mediaType), mime_type: item.mediaType, content: item.base64 }
  }
}

const responsePart = (part: ModelResponsePart): JsonPart => {
  switch (part._tag) {
    case "TextPart":
      return { type: "text", content: part.content }
    case "ToolCallPart":
      return { type: "tool_call", id: part.toolCallId, name: part.toolName, arguments: part.args }
    case "ThinkingPart":
      return { type: "reasoning", content: part.content }
    case "BuiltinToolCallPart":
      return { type: "tool_call", id: part.toolCallId, name: part.toolName, arguments: part.args, provider: part.providerName }
    case "BuiltinToolReturnPart":
      return { type: "tool_call_response", id: part.toolCallId, response: part.content, provider: part.providerName }
  }
}

/**
 * The messages in the conventions' formats: instructions (`gen_ai.system_instructions`) and
 * the chat history (`gen_ai.input.messages`), one message per role change.
 *
 * @since 0.1.0
 * @category codecs
 */
export const inputContent = (messages: ReadonlyArray<ModelMessage>): { readonly instructions: ReadonlyArray<JsonPart>; readonly messages: ReadonlyArray<JsonPart> } => {
  const instructions: Array<JsonPart> = []
  const out: Array<{ role: string; parts: Array<JsonPart> }> = []
  const push = (role: string, part: JsonPart) => {
    const last = out.at(-1)
    if (last !== undefined && last.role === role) last.parts.push(part)
    else out.push({ role, parts: [part] })
  }
  for (const message of messages) {
    if (message._tag === "ModelResponse") {
      for (const part of message.parts) push("assistant", responsePart(part))
      continue
    }
    // the providers send only the last request's instructions
    if (message.instructions !== undefined) instructions.splice(0, instructions.length, { type: "text", content: message.instructions })
    for (const part of message.parts) {
      switch (part._tag) {
        case "SystemPromptPart":
          push("system", { type: "text", content: part.content })
          break
        case "UserPromptPart":
          if (typeof part.content === "string") push("user", { type: "text", content: part.content })
          else for (const item of part.content) push("user", userContentPart(item))
          break
        case "ToolReturnPart":
          push("tool", { type: "tool_call_response", id: part.toolCallId, response: part.content })
          break
        case "RetryPromptPart":
          if (part.toolCallId !== undefined) push("tool", { type: "tool_call_response", id: part.toolCallId, response: part.modelText })
          else push("user", { type: "text", content: part.modelText })
          break
      }
    }
  }
  return { instructions, messages: out }
}

/**
 * The response in the conventions' `gen_ai.output.messages` format: one assistant message.
 *
 * @since 0.1.0
 * @category codecs
 */
export const outputContent = (response: {
  readonly parts: ReadonlyArray<ModelResponsePart>
  readonly finishReason?: string | undefined
}): ReadonlyArray<JsonPart> => [{
  role: "assistant",
  parts: response.parts.map(responsePart),
  ...(response.finishReason !== undefined ? { finish_reason: response.finishReason } : {})
}]
