/**
 * The OpenAI Responses API codec: pure functions from our messages, parameters and settings to a
 * `POST /v1/responses` body, and from a `response` object (or the stream's events) back to ours.
 * The Chat Completions codec (./codec.ts) is its sibling; what the two APIs share (finish
 * reasons, strict schemas, output modes, tool choice) comes from there and ./output.ts.
 *
 * Reasoning: a `reasoning` output item becomes a {@link ThinkingPart} whose content is its
 * summaries (joined by a blank line), `signature` its encrypted content, `id` its item id and
 * `providerName` "openai". Such parts go back to the API as reasoning items, so a history keeps
 * the model's reasoning across turns without server-side storage; thinking from other providers
 * cannot be sent and is left out with a warning. Raw reasoning (`reasoning_text` content, as
 * open-weight models serve it) joins the summaries in the part's content.
 *
 * Built-in tools (./builtinItems.ts): web search, file search, code execution and MCP servers
 * become Responses tools; their output items come back as built-in call and result parts and go
 * back into `input` as the same items. User content is encoded by ./content.ts.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type OpenAI from "openai"
import { InvalidInputError } from "../../AiError.js"
import { encodeOutputWith, forcedOutputTool } from "../../internal/codec/structuredOutput.js"
import { type BuiltinToolReturnPart, type ModelMessage, type ModelRequest, ModelResponse, TextPart, ThinkingPart, ToolCallPart, type UserPromptPart } from "../../Message.js"
import { type ModelRequestParameters, type ModelSettings, type OutputObjectDefinition, type ToolChoice, unsupportedBuiltinTool } from "../../Parameters.js"
import type { ToolDefinition } from "../../Tool.js"
import { encodeBuiltinItem, encodeBuiltinTools } from "./builtinItems.js"
import { responsesContent } from "./content.js"
import { PROVIDER } from "./decode.js"
import { strictSchema } from "./output.js"

/**
 * A Responses request body, non-streaming (what a batch line on `/v1/responses` carries).
 *
 * @since 0.1.0
 * @category models
 */
export type ResponsesRequestBody = OpenAI.Responses.ResponseCreateParamsNonStreaming
/**
 * A streaming Responses request body.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponsesStreamRequestBody = OpenAI.Responses.ResponseCreateParamsStreaming
/**
 * One input item.
 *
 * @since 0.1.0
 * @category models
 */
export type InputItem = OpenAI.Responses.ResponseInputItem

/**
 * Reasoning options of a Responses model.
 *
 * @since 0.1.0
 * @category options
 */
export interface ReasoningOptions {
  /** How much the model reasons (`reasoning.effort`). */
  readonly effort?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | undefined
  /** Whether (and how) the model summarises its reasoning (`reasoning.summary`); summaries become ThinkingParts. */
  readonly summary?: "auto" | "concise" | "detailed" | undefined
}

/**
 * Options of the Responses encoder.
 *
 * @since 0.1.0
 * @category options
 */
export interface EncodeOptions {
  /** The role of system prompts inside the input ("system", default, or "developer"); instructions go in `instructions`. */
  readonly systemRole?: "system" | "developer" | undefined
  /** `reasoning` of every request (effort, summary). */
  readonly reasoning?: ReasoningOptions | undefined
  /**
   * Whether to ask for reasoning items' encrypted content (`include: ["reasoning.encrypted_content"]`),
   * so a history can be sent back without server-side storage. Default: on for reasoning
   * models (names starting o1, o3, o4, gpt-5, codex) and whenever `reasoning` is set; the API
   * rejects it for models that do not reason.
   */
  readonly encryptedReasoning?: boolean | undefined
  /** `store`: whether OpenAI keeps the response (the API's default is true). */
  readonly store?: boolean | undefined
}

/**
 * An encoded request: the body, SDK request options, warnings to log.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedResponsesRequest {
  readonly body: ResponsesRequestBody
  readonly requestOptions: { readonly headers?: Record<string, string>; readonly timeout?: number }
  readonly warnings: ReadonlyArray<string>
}

/**
 * Whether a model name is one of OpenAI's reasoning models.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReasoningModel = (model: string): boolean => /^(o\d|gpt-5|codex)/i.test(model)

// ---------------------------------------------------------------------------------------------
// encoding: input items
// ---------------------------------------------------------------------------------------------

const encodeUserPrompt = (part: UserPromptPart): Either.Either<InputItem, InvalidInputError> => {
  if (typeof part.content === "string") return Either.right({ role: "user", content: part.content })
  const content = responsesContent(part.content)
  return content instanceof InvalidInputError ? Either.left(content) : Either.right({ role: "user", content })
}

const encodeRequestParts = (request: ModelRequest, systemRole: "system" | "developer"): Either.Either<Array<InputItem>, InvalidInputError> =>
  Either.all(request.parts.map((part): Either.Either<InputItem, InvalidInputError> => {
    switch (part._tag) {
      case "SystemPromptPart":
        return Either.right({ role: systemRole, content: part.content })
      case "UserPromptPart":
        return encodeUserPrompt(part)
      case "ToolReturnPart":
        return Either.right({ type: "function_call_output", call_id: part.toolCallId, output: part.contentText })
      case "RetryPromptPart":
        return Either.right(
          part.toolCallId !== undefined
            ? { type: "function_call_output", call_id: part.toolCallId, output: part.modelText }
            : { role: "user", content: part.modelText }
        )
    }
  }))

/** Whether a thinking part came from a Responses reasoning item (and so can go back as one). */
const isOwnReasoning = (part: ThinkingPart): part is ThinkingPart & { readonly id: string } =>
  part.providerName === PROVIDER && part.id !== undefined

const encodeResponse = (response: ModelResponse, warnings: Array<string>): Array<InputItem> => {
  const items: Array<InputItem> = []
  let text: Array<string> = []
  let dropped = 0
  let droppedBuiltin = 0
  const flushText = () => {
    if (text.length > 0) items.push({ role: "assistant", content: text.join("\n\n") })
    text = []
  }
  // a built-in tool call and its result go back as one item (the call's)
  const calls = new Set<string>()
  const results = new Map<string, BuiltinToolReturnPart>()
  for (const part of response.parts) {
    if (part._tag === "BuiltinToolCallPart" && part.providerName === PROVIDER) calls.add(part.toolCallId)
    if (part._tag === "BuiltinToolReturnPart" && part.providerName === PROVIDER) results.set(part.toolCallId, part)
  }
  for (const part of response.parts) {
    switch (part._tag) {
      case "TextPart":
        text.push(part.content)
        break
      case "ToolCallPart":
        flushText()
        items.push({ type: "function_call", call_id: part.toolCallId, name: part.toolName, arguments: part.argsAsJson })
        break
      case "BuiltinToolCallPart":
      case "BuiltinToolReturnPart": {
        if (part._tag === "BuiltinToolReturnPart" && calls.has(part.toolCallId)) break
        const item = part._tag === "BuiltinToolCallPart"
          ? encodeBuiltinItem(part, results.get(part.toolCallId))
          : encodeBuiltinItem(undefined, part)
        if (item === undefined) {
          droppedBuiltin++
          break
        }
        flushText()
        items.push(item)
        break
      }
      case "ThinkingPart":
        if (!isOwnReasoning(part)) {
          dropped++
          break
        }
        flushText()
        items.push({
          type: "reasoning",
          id: part.id,
          summary: part.content === "" ? [] : [{ type: "summary_text", text: part.content }],
          ...(part.signature !== undefined && part.signature !== "" ? { encrypted_content: part.signature } : {})
        })
        break
    }
  }
  flushText()
  if (droppedBuiltin > 0) {
    warnings.push(`${PROVIDER}: ${droppedBuiltin} built-in tool part${droppedBuiltin > 1 ? "s" : ""} in the message history ${droppedBuiltin > 1 ? "were" : "was"} not sent: the Responses API takes back only its own built-in tool items.`)
  }
  if (dropped > 0) {
    warnings.push(
      `${PROVIDER}: ${dropped} ThinkingPart${dropped > 1 ? "s" : ""} from another provider ${dropped > 1 ? "were" : "was"} not sent: the Responses API takes back only its own reasoning items.`
    )
  }
  return items
}

/**
 * Our history as Responses input items, and the `instructions` (those of the newest request).
 * Text and tool calls of a response keep their order; reasoning items go back before what
 * followed them.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeInput = (
  messages: ReadonlyArray<ModelMessage>,
  options?: EncodeOptions
): Either.Either<{ readonly input: Array<InputItem>; readonly instructions: string | undefined; readonly warnings: Array<string> }, InvalidInputError> => {
  const systemRole = options?.systemRole ?? "system"
  const warnings: Array<string> = []
  const input: Array<InputItem> = []
  let instructions: string | undefined
  for (const message of messages) {
    if (message._tag === "ModelRequest") {
      const encoded = encodeRequestParts(message, systemRole)
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      input.push(...encoded.right)
      instructions = message.instructions
    } else {
      input.push(...encodeResponse(message, warnings))
    }
  }
  return Either.right({ input, instructions: instructions === "" ? undefined : instructions, warnings })
}

// ---------------------------------------------------------------------------------------------
// encoding: tools, output, the body
// ---------------------------------------------------------------------------------------------

/**
 * A tool as a Responses function tool. The API's `strict` defaults to on, so an unset `strict`
 * is sent as on exactly when the schema qualifies (the rule of ./output.ts), and `strict: true`
 * on a schema that cannot be strict falls back to off with a warning.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeTool = (tool: ToolDefinition, warnings: Array<string>): OpenAI.Responses.FunctionTool => {
  const { schema, strict, warning } = strictSchema({
    name: tool.name,
    jsonSchema: tool.parametersJsonSchema,
    ...(tool.strict !== undefined ? { strict: tool.strict } : {})
  })
  if (warning !== undefined) warnings.push(warning.replace("the output schema", "the parameters of tool"))
  return {
    type: "function",
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    parameters: schema,
    strict
  }
}

/** A name OpenAI accepts for a text format. */
const formatName = (name: string): string => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "final_result"

/**
 * The native mode's `text.format` (json_schema, strict where the schema allows it).
 *
 * @since 0.1.0
 * @category codecs
 */
export const textFormat = (output: OutputObjectDefinition): { readonly format: OpenAI.Responses.ResponseFormatTextJSONSchemaConfig; readonly warnings: ReadonlyArray<string> } => {
  const { schema, strict, warning } = strictSchema(output)
  return {
    format: {
      type: "json_schema",
      name: formatName(output.name),
      ...(output.description !== undefined ? { description: output.description } : {}),
      schema,
      strict
    },
    warnings: warning !== undefined ? [warning] : []
  }
}

const encodeToolChoice = (choice: ToolChoice): OpenAI.Responses.ResponseCreateParams["tool_choice"] =>
  typeof choice === "string" ? choice : { type: "function", name: choice.toolName }

/**
 * The `tool_choice` to send: as Chat Completions' (codec.ts `toolChoiceFor`), in the Responses shape.
 *
 * @since 0.1.0
 * @category codecs
 */
export const toolChoiceFor = (parameters: ModelRequestParameters, setting: ToolChoice | undefined): OpenAI.Responses.ResponseCreateParams["tool_choice"] | undefined => {
  const mustCallTool = parameters.outputTools.length > 0 && !parameters.allowTextOutput
  if (mustCallTool && (setting === undefined || setting === "auto")) {
    const forced = forcedOutputTool(parameters)
    return forced !== undefined ? { type: "function", name: forced } : "required"
  }
  return setting === undefined ? undefined : encodeToolChoice(setting)
}

/**
 * The settings the Responses API has a field for.
 *
 * @since 0.1.0
 * @category utils
 */
export const supportedSettings: ReadonlyArray<keyof ModelSettings> = [
  "maxTokens",
  "temperature",
  "topP",
  "parallelToolCalls",
  "timeout",
  "toolChoice",
  "cacheInstructions",
  "cacheTools",
  "promptCacheKey",
  "promptCacheRetention",
  "extraHeaders",
  "extraBody"
]

/**
 * A whole non-streaming request: input items and instructions, tools (function tools, then the
 * built-in tools of ./builtinItems.ts; `WebFetchTool` is an InvalidInputError), tool choice,
 * settings (the prompt cache key and retention among them; extraBody merged last), reasoning,
 * and the SDK options. The "native" output mode sends a
 * json_schema `text.format`, the "prompted" mode its instructions (see ./output.ts).
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
): Either.Either<EncodedResponsesRequest, InvalidInputError> => {
  const builtin = unsupportedBuiltinTool(parameters.builtinTools, PROVIDER, ["WebSearchTool", "FileSearchTool", "CodeExecutionTool", "McpServerTool"])
  if (builtin !== undefined) return Either.left(builtin)
  const output = encodeOutputWith(messages, parameters, PROVIDER, textFormat)
  if (Either.isLeft(output)) return Either.left(output.left)
  const format = output.right.format
  return Either.map(encodeInput(output.right.messages, options), ({ input, instructions, warnings: inputWarnings }) => {
    const warnings = [...inputWarnings, ...output.right.warnings]
    const tools: Array<OpenAI.Responses.Tool> = parameters.allTools.map((tool) => encodeTool(tool, warnings))
    const builtin = parameters.builtinTools !== undefined && parameters.builtinTools.length > 0
      ? encodeBuiltinTools(parameters.builtinTools, warnings)
      : undefined
    if (builtin !== undefined) tools.push(...builtin.tools)
    const hasTools = tools.length > 0
    const toolChoice = toolChoiceFor(parameters, settings.toolChoice)
    if (!hasTools && settings.toolChoice !== undefined) warnings.push(`${PROVIDER} cannot send the setting toolChoice without tools; ignored.`)
    if (!hasTools && settings.parallelToolCalls !== undefined) warnings.push(`${PROVIDER} cannot send the setting parallelToolCalls without tools; ignored.`)
    const reasoning = options?.reasoning
    const encrypted = options?.encryptedReasoning ?? (reasoning !== undefined || isReasoningModel(model))
    const include: Array<OpenAI.Responses.ResponseIncludable> = [...(encrypted ? ["reasoning.encrypted_content" as const] : []), ...(builtin?.include ?? [])]
    const body: ResponsesRequestBody = {
      model,
      input,
      ...(instructions !== undefined ? { instructions } : {}),
      ...(hasTools ? { tools } : {}),
      ...(hasTools && toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
      ...(hasTools && settings.parallelToolCalls !== undefined ? { parallel_tool_calls: settings.parallelToolCalls } : {}),
      ...(settings.maxTokens !== undefined ? { max_output_tokens: settings.maxTokens } : {}),
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
      ...(format !== undefined ? { text: { format } } : {}),
      ...(reasoning !== undefined
        ? { reasoning: { ...(reasoning.effort !== undefined ? { effort: reasoning.effort } : {}), ...(reasoning.summary !== undefined ? { summary: reasoning.summary } : {}) } }
        : {}),
      ...(include.length > 0 ? { include } : {}),
      ...(options?.store !== undefined ? { store: options.store } : {}),
      ...(settings.promptCacheKey !== undefined ? { prompt_cache_key: settings.promptCacheKey } : {}),
      ...(settings.promptCacheRetention !== undefined ? { prompt_cache_retention: settings.promptCacheRetention } : {}),
      ...(settings.extraBody as Partial<ResponsesRequestBody> | undefined)
    }
    return {
      body,
      requestOptions: {
        ...(settings.extraHeaders !== undefined ? { headers: { ...settings.extraHeaders } } : {}),
        ...(settings.timeout !== undefined ? { timeout: Math.max(1, Math.round(settings.timeout * 1000)) } : {})
      },
      warnings
    }
  })
}

/**
 * The streaming form of a body.
 *
 * @since 0.1.0
 * @category codecs
 */
export const streamingBody = (body: ResponsesRequestBody): ResponsesStreamRequestBody => ({ ...body, stream: true })

/**
 * The decoding half, from `responsesDecode.ts`.
 *
 * @since 0.1.0
 * @category codecs
 */
export {
  type DecodeOptions,
  decodeUsage,
  decodeFinishReason,
  decodeResponse,
  ResponsesStreamDecoder
} from "./responsesDecode.js"
