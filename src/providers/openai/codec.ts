/**
 * The OpenAI Chat Completions codec: pure functions from our messages, parameters and settings
 * to the wire request, and from the wire response (JSON or stream chunks) back to ours. Every
 * OpenAI quirk lives here; the services only call the SDK and these functions.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type OpenAI from "openai"
import { InvalidInputError } from "../../AiError.js"
import { forcedOutputTool } from "../../internal/codec/structuredOutput.js"
import { type ModelMessage, type ModelRequest, ModelResponse, TextPart, ToolCallPart, type UserPromptPart } from "../../Message.js"
import { type BuiltinTool, type ModelRequestParameters, type ModelSettings, type ToolChoice, unsupportedBuiltinTool, type WebSearchTool } from "../../Parameters.js"
import type { ToolDefinition } from "../../Tool.js"
import { chatContent } from "./content.js"
import { encodeOutput } from "./output.js"
import { PROVIDER } from "./decode.js"

/**
 * A chat request body, non-streaming (what a batch input line carries as `body`).
 *
 * @since 0.1.0
 * @category models
 */
export type ChatRequestBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming
/**
 * A streaming chat request body.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatStreamRequestBody = OpenAI.Chat.ChatCompletionCreateParamsStreaming
/**
 * A wire message.
 *
 * @since 0.1.0
 * @category models
 */
export type WireMessage = OpenAI.Chat.ChatCompletionMessageParam

/**
 * Options of the encoder.
 *
 * @since 0.1.0
 * @category options
 */
export interface EncodeOptions {
  /**
   * The role of system prompts and instructions: "system" (default) or "developer", which
   * OpenAI's reasoning models prefer.
   */
  readonly systemRole?: "system" | "developer" | undefined
}

/**
 * An encoded request: the body, the SDK request options, and warnings to log.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRequest {
  readonly body: ChatRequestBody
  /** SDK per-request options: extra headers and the timeout in milliseconds. */
  readonly requestOptions: { readonly headers?: Record<string, string>; readonly timeout?: number }
  /** What could not be sent and was left out (each names what); log them. */
  readonly warnings: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// encoding: messages
// ---------------------------------------------------------------------------------------------

const encodeUserPrompt = (part: UserPromptPart): Either.Either<WireMessage, InvalidInputError> => {
  if (typeof part.content === "string") return Either.right({ role: "user", content: part.content })
  const content = chatContent(part.content)
  return content instanceof InvalidInputError ? Either.left(content) : Either.right({ role: "user", content })
}

const encodeRequestParts = (
  request: ModelRequest,
  systemRole: "system" | "developer"
): Either.Either<Array<WireMessage>, InvalidInputError> =>
  Either.all(request.parts.map((part): Either.Either<WireMessage, InvalidInputError> => {
    switch (part._tag) {
      case "SystemPromptPart":
        return Either.right({ role: systemRole, content: part.content })
      case "UserPromptPart":
        return encodeUserPrompt(part)
      case "ToolReturnPart":
        return Either.right({ role: "tool", tool_call_id: part.toolCallId, content: part.contentText })
      case "RetryPromptPart":
        // a retry about a tool call answers that call; any other retry is a new user turn
        return Either.right(
          part.toolCallId !== undefined
            ? { role: "tool", tool_call_id: part.toolCallId, content: part.modelText }
            : { role: "user", content: part.modelText }
        )
    }
  }))

const encodeResponse = (response: ModelResponse, warnings: Array<string>): Array<WireMessage> => {
  const texts: Array<string> = []
  const toolCalls: Array<OpenAI.Chat.ChatCompletionMessageFunctionToolCall> = []
  let droppedThinking = 0
  let droppedBuiltin = 0
  for (const part of response.parts) {
    switch (part._tag) {
      case "TextPart":
        texts.push(part.content)
        break
      case "ToolCallPart":
        toolCalls.push({ id: part.toolCallId, type: "function", function: { name: part.toolName, arguments: part.argsAsJson } })
        break
      case "ThinkingPart":
        droppedThinking++
        break
      case "BuiltinToolCallPart":
      case "BuiltinToolReturnPart":
        droppedBuiltin++
        break
    }
  }
  if (droppedBuiltin > 0) {
    warnings.push(`${PROVIDER}: ${droppedBuiltin} built-in tool part${droppedBuiltin > 1 ? "s" : ""} in the message history ${droppedBuiltin > 1 ? "were" : "was"} not sent: Chat Completions takes back no built-in tool calls or results.`)
  }
  if (droppedThinking > 0) {
    warnings.push(
      `${PROVIDER}: ${droppedThinking} ThinkingPart${droppedThinking > 1 ? "s" : ""} in the message history ${droppedThinking > 1 ? "were" : "was"} not sent: Chat Completions accepts no reasoning content in assistant messages.`
    )
  }
  if (texts.length === 0 && toolCalls.length === 0) return []
  return [{
    role: "assistant",
    content: texts.length > 0 ? texts.join("\n\n") : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {})
  }]
}

/**
 * Our conversation history as Chat Completions messages. The instructions of the most recent
 * request go first, as a system (or developer) message; thinking parts cannot be sent and are
 * left out with a warning.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeMessages = (
  messages: ReadonlyArray<ModelMessage>,
  options?: EncodeOptions
): Either.Either<{ readonly messages: Array<WireMessage>; readonly warnings: Array<string> }, InvalidInputError> => {
  const systemRole = options?.systemRole ?? "system"
  const warnings: Array<string> = []
  const out: Array<WireMessage> = []
  let instructions: string | undefined
  for (const message of messages) {
    if (message._tag === "ModelRequest") {
      const encoded = encodeRequestParts(message, systemRole)
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      out.push(...encoded.right)
      instructions = message.instructions
    } else {
      out.push(...encodeResponse(message, warnings))
    }
  }
  if (instructions !== undefined && instructions !== "") out.unshift({ role: systemRole, content: instructions })
  return Either.right({ messages: out, warnings })
}

// ---------------------------------------------------------------------------------------------
// encoding: tools, settings, the body
// ---------------------------------------------------------------------------------------------

/**
 * A tool definition as a Chat Completions function tool (`strict` passed when set).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeTool = (tool: ToolDefinition): OpenAI.Chat.ChatCompletionFunctionTool => ({
  type: "function",
  function: {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    parameters: tool.parametersJsonSchema,
    ...(tool.strict !== undefined ? { strict: tool.strict } : {})
  }
})

const encodeToolChoice = (choice: ToolChoice): OpenAI.Chat.ChatCompletionToolChoiceOption =>
  typeof choice === "string" ? choice : { type: "function", function: { name: choice.toolName } }

/**
 * The `tool_choice` to send: the setting's, except that when an output tool must be called
 * (output tools and no text allowed) "auto" (or nothing) becomes "required" — or, in the "tool"
 * output mode with one output tool and no function tools, that tool by name.
 *
 * @since 0.1.0
 * @category codecs
 */
export const toolChoiceFor = (
  parameters: ModelRequestParameters,
  setting: ToolChoice | undefined
): OpenAI.Chat.ChatCompletionToolChoiceOption | undefined => {
  const mustCallTool = parameters.outputTools.length > 0 && !parameters.allowTextOutput
  if (mustCallTool && (setting === undefined || setting === "auto")) {
    const forced = forcedOutputTool(parameters)
    return forced !== undefined ? { type: "function", function: { name: forced } } : "required"
  }
  return setting === undefined ? undefined : encodeToolChoice(setting)
}

/**
 * A whole non-streaming request: messages, tools, tool choice, settings (extraBody merged last),
 * and the SDK options (extraHeaders, timeout). The prompt cache settings become
 * `prompt_cache_key` / `prompt_cache_retention`, a `WebSearchTool` `web_search_options` (other
 * built-in tools are an InvalidInputError). The "native" output mode adds a json_schema
 * `response_format`, the "prompted" mode its instructions to the system prompt (see ./output.ts).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeRequest = (
  model: string,
  messages: ReadonlyArray<ModelMessage>,
  parameters: ModelRequestParameters,
  settings: ModelSettings,
  options?: EncodeOptions
): Either.Either<EncodedRequest, InvalidInputError> => {
  const builtin = unsupportedBuiltinTool(parameters.builtinTools, PROVIDER, ["WebSearchTool"])
  if (builtin !== undefined) return Either.left(builtin)
  const output = encodeOutput(messages, parameters)
  if (Either.isLeft(output)) return Either.left(output.left)
  const responseFormat = output.right.format
  return Either.map(encodeMessages(output.right.messages, options), ({ messages: wireMessages, warnings: messageWarnings }) => {
    const warnings = output.right.warnings.length === 0 ? messageWarnings : [...messageWarnings, ...output.right.warnings]
    const webSearch = webSearchOptions(parameters.builtinTools, warnings)
    // no tool list is built for the usual request without tools (allTools copies two arrays)
    const hasTools = parameters.functionTools.length + parameters.outputTools.length > 0
    const toolChoice = toolChoiceFor(parameters, settings.toolChoice)
    // the API rejects these without tools (400); say so instead of failing the request
    if (!hasTools && settings.toolChoice !== undefined) warnings.push(`${PROVIDER} cannot send the setting toolChoice without tools; ignored.`)
    if (!hasTools && settings.parallelToolCalls !== undefined) warnings.push(`${PROVIDER} cannot send the setting parallelToolCalls without tools; ignored.`)
    // fields set one by one in the wire order, not spread from `{}` literals: a batch encodes tens
    // of thousands of bodies, and each spread allocated an object
    const body: Mutable<ChatRequestBody> = { model, messages: wireMessages }
    if (hasTools) {
      body.tools = parameters.allTools.map(encodeTool)
      if (toolChoice !== undefined) body.tool_choice = toolChoice
      if (settings.parallelToolCalls !== undefined) body.parallel_tool_calls = settings.parallelToolCalls
    }
    if (settings.maxTokens !== undefined) body.max_completion_tokens = settings.maxTokens
    if (settings.temperature !== undefined) body.temperature = settings.temperature
    if (settings.topP !== undefined) body.top_p = settings.topP
    if (settings.seed !== undefined) body.seed = settings.seed
    if (settings.stopSequences !== undefined) body.stop = [...settings.stopSequences]
    if (settings.presencePenalty !== undefined) body.presence_penalty = settings.presencePenalty
    if (settings.frequencyPenalty !== undefined) body.frequency_penalty = settings.frequencyPenalty
    if (responseFormat !== undefined) body.response_format = responseFormat
    if (settings.promptCacheKey !== undefined) body.prompt_cache_key = settings.promptCacheKey
    if (settings.promptCacheRetention !== undefined) body.prompt_cache_retention = settings.promptCacheRetention
    if (webSearch !== undefined) body.web_search_options = webSearch
    return {
      // extraBody may override the fields above (in their place) and name any key, "__proto__"
      // included: spread, as before
      body: settings.extraBody !== undefined ? { ...body, ...(settings.extraBody as Partial<ChatRequestBody>) } : body,
      requestOptions: settings.extraHeaders === undefined && settings.timeout === undefined ? noRequestOptions : {
        ...(settings.extraHeaders !== undefined ? { headers: { ...settings.extraHeaders } } : {}),
        ...(settings.timeout !== undefined ? { timeout: Math.max(1, Math.round(settings.timeout * 1000)) } : {})
      },
      warnings
    }
  })
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * The request's `WebSearchTool` as Chat Completions' `web_search_options` (served by the search
 * models, such as gpt-4o-search-preview): `searchContextSize` and `userLocation`; its other
 * options have no Chat Completions field and are ignored with a warning. `undefined` without one.
 *
 * @since 0.2.0
 * @category codecs
 */
export const webSearchOptions = (
  builtinTools: ReadonlyArray<BuiltinTool> | undefined,
  warnings: Array<string>
): OpenAI.Chat.ChatCompletionCreateParams.WebSearchOptions | undefined => {
  const tool = builtinTools?.find((t): t is WebSearchTool => t._tag === "WebSearchTool")
  if (tool === undefined) return undefined
  for (const field of ["maxUses", "allowedDomains", "blockedDomains"] as const) {
    if (tool[field] !== undefined) warnings.push(`WebSearchTool.${field} was ignored: Chat Completions' web_search_options has no such option (the Responses model has allowedDomains).`)
  }
  const options: Mutable<OpenAI.Chat.ChatCompletionCreateParams.WebSearchOptions> = {}
  if (tool.searchContextSize !== undefined) options.search_context_size = tool.searchContextSize
  if (tool.userLocation !== undefined) options.user_location = { type: "approximate", approximate: { ...tool.userLocation } }
  return options
}

/** The request options of a request that sets neither headers nor a timeout (shared: never mutated). */
const noRequestOptions: EncodedRequest["requestOptions"] = Object.freeze({})

/**
 * The streaming form of a body: `stream: true` and usage in a final chunk.
 *
 * @since 0.1.0
 * @category codecs
 */
export const streamingBody = (body: ChatRequestBody): ChatStreamRequestBody => ({
  ...body,
  stream: true,
  stream_options: { ...body.stream_options, include_usage: true }
})

/**
 * The decoding half, from `decode.ts`.
 *
 * @since 0.1.0
 * @category codecs
 */
export {
  PROVIDER,
  decodeFinishReason,
  decodeUsage,
  type DecodeOptions,
  decodeChatCompletion,
  StreamDecoder
} from "./decode.js"
