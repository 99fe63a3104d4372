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
 * cannot be sent and is left out with a warning.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type OpenAI from "openai"
import { ConnectionError, type InvalidInputError, ProviderUnavailableError, ResponseDecodeError, UnsupportedError } from "../../AiError.js"
import { EventBuilder } from "../../internal/stream/eventBuilder.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { encodeOutputWith, forcedOutputTool } from "../../internal/codec/structuredOutput.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import {
  type BinaryContent,
  type FinishReason,
  type ModelMessage,
  type ModelRequest,
  ModelResponse,
  type ModelResponsePart,
  normaliseArgs,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  type UserPromptPart
} from "../../Message.js"
import type { ModelRequestParameters, ModelSettings, OutputObjectDefinition, ToolChoice } from "../../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../../StreamEvent.js"
import type { ToolDefinition } from "../../Tool.js"
import { RequestUsage } from "../../Usage.js"
import { PROVIDER } from "./codec.js"
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

const unsupported = (feature: string, detail: string) => new UnsupportedError({ provider: PROVIDER, feature, detail })

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

const extensionOf = (mediaType: string): string => {
  const sub = mediaType.split("/")[1]?.split(/[;+]/)[0] ?? "bin"
  return sub === "plain" ? "txt" : sub
}

const encodeBinary = (item: BinaryContent): Either.Either<OpenAI.Responses.ResponseInputContent, UnsupportedError> => {
  if (item.mediaType.startsWith("image/")) return Either.right({ type: "input_image", image_url: item.dataUrl, detail: "auto" })
  if (item.mediaType.startsWith("audio/")) {
    return Either.left(unsupported(`${item.mediaType} in a user prompt`, "the Responses API takes no audio input; use the Chat Completions model (OpenAi.languageModel) for audio."))
  }
  return Either.right({ type: "input_file", file_data: item.dataUrl, filename: `file.${extensionOf(item.mediaType)}` })
}

const encodeUserPrompt = (part: UserPromptPart): Either.Either<InputItem, UnsupportedError> => {
  if (typeof part.content === "string") return Either.right({ role: "user", content: part.content })
  return Either.map(
    Either.all(part.content.map((item): Either.Either<OpenAI.Responses.ResponseInputContent, UnsupportedError> =>
      typeof item === "string"
        ? Either.right({ type: "input_text", text: item })
        : item._tag === "ImageUrl"
          ? item.mediaType !== undefined && !item.mediaType.startsWith("image/")
            ? Either.right({ type: "input_file", file_url: item.url })
            : Either.right({ type: "input_image", image_url: item.url, detail: "auto" })
          : encodeBinary(item)
    )),
    (content): InputItem => ({ role: "user", content })
  )
}

const encodeRequestParts = (request: ModelRequest, systemRole: "system" | "developer"): Either.Either<Array<InputItem>, UnsupportedError> =>
  Either.all(request.parts.map((part): Either.Either<InputItem, UnsupportedError> => {
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
  const flushText = () => {
    if (text.length > 0) items.push({ role: "assistant", content: text.join("\n\n") })
    text = []
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
): Either.Either<{ readonly input: Array<InputItem>; readonly instructions: string | undefined; readonly warnings: Array<string> }, UnsupportedError> => {
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
  "extraHeaders",
  "extraBody"
]

/**
 * A whole non-streaming request: input items and instructions, tools, tool choice, settings
 * (extraBody merged last), reasoning, and the SDK options. The "native" output mode sends a
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
): Either.Either<EncodedResponsesRequest, UnsupportedError | InvalidInputError> => {
  const output = encodeOutputWith(messages, parameters, PROVIDER, textFormat)
  if (Either.isLeft(output)) return Either.left(output.left)
  const format = output.right.format
  return Either.map(encodeInput(output.right.messages, options), ({ input, instructions, warnings: inputWarnings }) => {
    const warnings = [...inputWarnings, ...output.right.warnings]
    const tools = parameters.allTools.map((tool) => encodeTool(tool, warnings))
    const hasTools = tools.length > 0
    const toolChoice = toolChoiceFor(parameters, settings.toolChoice)
    if (!hasTools && settings.toolChoice !== undefined) warnings.push(`${PROVIDER} cannot send the setting toolChoice without tools; ignored.`)
    if (!hasTools && settings.parallelToolCalls !== undefined) warnings.push(`${PROVIDER} cannot send the setting parallelToolCalls without tools; ignored.`)
    const reasoning = options?.reasoning
    const encrypted = options?.encryptedReasoning ?? (reasoning !== undefined || isReasoningModel(model))
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
      ...(encrypted ? { include: ["reasoning.encrypted_content"] } : {}),
      ...(options?.store !== undefined ? { store: options.store } : {}),
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

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/**
 * Options of the decoders.
 *
 * @since 0.1.0
 * @category options
 */
export interface DecodeOptions {
  /** The model asked for: the response's model name when the provider reports none. */
  readonly requestedModel: string
  /** The provider's request id, for errors. */
  readonly requestId?: string | undefined
}

type Json = Record<string, unknown>

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

/**
 * Responses usage as ours: input tokens (cached included) are input, cached tokens are cache
 * reads, reasoning tokens (part of the output) land in `details.reasoning_tokens`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUsage = (usage: unknown): RequestUsage => {
  if (!isRecord(usage)) return RequestUsage.empty
  const input = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {}
  const output = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : {}
  const details: Record<string, number> = {}
  for (const [key, value] of Object.entries(output)) if (typeof value === "number") details[key] = value
  return fromFields(RequestUsage, {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(input.cached_tokens),
    cacheWriteTokens: 0,
    details
  })
}

/**
 * The finish reason of a response: its status and incomplete reason, and whether it called a
 * function (a completed response with function calls finished for them).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeFinishReason = (status: unknown, incomplete: unknown, calledTools: boolean): FinishReason | undefined => {
  if (status === "incomplete") {
    const reason = isRecord(incomplete) ? incomplete.reason : undefined
    return reason === "max_output_tokens" ? "length" : reason === "content_filter" ? "content_filter" : undefined
  }
  if (status === "failed") return "error"
  if (status === "completed") return calledTools ? "tool_call" : "stop"
  return undefined
}

const decodeError = (path: string, detail: string, requestId: string | undefined) =>
  new ResponseDecodeError({ provider: PROVIDER, path, detail, ...(requestId !== undefined ? { requestId } : {}) })

const failedResponse = (response: Json, requestId: string | undefined): ProviderUnavailableError => {
  const error = isRecord(response.error) ? response.error : {}
  const message = typeof error.message === "string" ? error.message : "the response failed"
  const code = typeof error.code === "string" ? ` (${error.code})` : ""
  return new ProviderUnavailableError({ provider: PROVIDER, status: 500, detail: `${message}${code}`, ...(requestId !== undefined ? { requestId } : {}) })
}

const summaryText = (item: Json): string =>
  (Array.isArray(item.summary) ? item.summary : [])
    .flatMap((s) => (isRecord(s) && typeof s.text === "string" ? [s.text] : []))
    .join("\n\n")

/** A reasoning item as a ThinkingPart, or undefined when it carries nothing (no summary, no encrypted content). */
const reasoningPart = (item: Json): ThinkingPart | undefined => {
  const content = summaryText(item)
  const signature = typeof item.encrypted_content === "string" && item.encrypted_content !== "" ? item.encrypted_content : undefined
  if (content === "" && signature === undefined) return undefined
  return new ThinkingPart({
    content,
    ...(signature !== undefined ? { signature } : {}),
    ...(typeof item.id === "string" ? { id: item.id } : {}),
    providerName: PROVIDER
  }, true)
}

/** The parts of a response's output items, in order. */
const outputParts = (output: ReadonlyArray<unknown>): Either.Either<Array<ModelResponsePart>, string> => {
  const parts: Array<ModelResponsePart> = []
  for (const [i, item] of output.entries()) {
    if (!isRecord(item)) return Either.left(`output[${i}]`)
    switch (item.type) {
      case "message":
        for (const content of Array.isArray(item.content) ? item.content : []) {
          if (!isRecord(content)) continue
          if (content.type === "output_text" && typeof content.text === "string" && content.text !== "") parts.push(fromFields(TextPart, { content: content.text, _tag: "TextPart" }))
          if (content.type === "refusal" && typeof content.refusal === "string" && content.refusal !== "") parts.push(fromFields(TextPart, { content: content.refusal, _tag: "TextPart" }))
        }
        break
      case "function_call":
        if (typeof item.name !== "string" || typeof item.call_id !== "string") return Either.left(`output[${i}]`)
        parts.push(new ToolCallPart({ toolName: item.name, args: normaliseArgs(item.arguments), toolCallId: item.call_id }, true))
        break
      case "reasoning": {
        const part = reasoningPart(item)
        if (part !== undefined) parts.push(part)
        break
      }
      default:
        // built-in tools' items (web search, file search, ...) are not requested by this library
        break
    }
  }
  return Either.right(parts)
}

/**
 * A `response` object as a {@link ModelResponse}: text (refusals count as text), function calls
 * with parsed arguments, reasoning as thinking, finish reason, usage, id, model and timestamp.
 * Batch result lines on `/v1/responses` carry the same object. A failed response is a
 * ProviderUnavailableError with the provider's message; a body missing what we need is a
 * ResponseDecodeError naming the place.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResponse = (body: unknown, options: DecodeOptions): Either.Either<ModelResponse, ResponseDecodeError | ProviderUnavailableError> => {
  if (!isRecord(body)) return Either.left(decodeError("", "expected a response object", options.requestId))
  if (body.status === "failed") return Either.left(failedResponse(body, options.requestId))
  if (!Array.isArray(body.output)) return Either.left(decodeError("output", "the response has no output list", options.requestId))
  const parts = outputParts(body.output)
  if (Either.isLeft(parts)) return Either.left(decodeError(parts.left, "not an output item this library reads", options.requestId))
  const finishReason = decodeFinishReason(body.status, body.incomplete_details, parts.right.some((p) => p._tag === "ToolCallPart"))
  const created = typeof body.created_at === "number" ? new Date(body.created_at * 1000) : undefined
  return Either.right(fromFields(ModelResponse, {
    parts: parts.right,
    usage: decodeUsage(body.usage),
    modelName: (typeof body.model === "string" && body.model) || options.requestedModel,
    providerName: PROVIDER,
    ...(typeof body.id === "string" ? { providerResponseId: body.id } : {}),
    ...(finishReason !== undefined ? { finishReason } : {}),
    timestamp: created !== undefined && Number.isFinite(created.getTime()) ? created : new Date(),
    _tag: "ModelResponse"
  }))
}

// ---------------------------------------------------------------------------------------------
// decoding: streams
// ---------------------------------------------------------------------------------------------

/**
 * Folds Responses stream events into our part events through the shared EventBuilder, keyed by
 * output item (and content part for text): `response.output_text.delta` and
 * `response.refusal.delta` grow text parts, `response.function_call_arguments.delta` a tool call
 * (named when its item is added), `response.reasoning_summary_text.delta` a thinking part (its
 * encrypted content arrives with `response.output_item.done`). `response.completed` and
 * `response.incomplete` carry usage and status; the metadata event comes last. A
 * `response.failed` event is a ProviderUnavailableError; an `error` event the SDK raises itself.
 * One decoder per streamed response.
 *
 * @since 0.1.0
 * @category codecs
 */
export class ResponsesStreamDecoder {
  private readonly builder: EventBuilder
  private id: string | undefined
  private model: string | undefined
  private final: Json | undefined
  private calledTools = false
  /** Per output item: its type, id, the keys of its parts, and (for reasoning) the summary index last seen. */
  private readonly items = new Map<number, { readonly type: string; readonly id: string | undefined; keys: Set<string>; summary: number; args: number }>()

  constructor(parameters: ModelRequestParameters, private readonly options: DecodeOptions) {
    this.builder = new EventBuilder(parameters)
  }

  private item(index: number) {
    let entry = this.items.get(index)
    if (entry === undefined) {
      entry = { type: "unknown", id: undefined, keys: new Set(), summary: 0, args: 0 }
      this.items.set(index, entry)
    }
    return entry
  }

  /** The events of one stream event (often none). */
  event(input: unknown): Either.Either<Array<ModelResponseStreamEvent>, ResponseDecodeError | ProviderUnavailableError> {
    if (!isRecord(input) || typeof input.type !== "string") {
      return Either.left(decodeError("stream event", "expected an event object with a type", this.options.requestId))
    }
    const index = typeof input.output_index === "number" ? input.output_index : 0
    switch (input.type) {
      case "response.created":
      case "response.in_progress":
        if (isRecord(input.response)) {
          if (typeof input.response.id === "string") this.id ??= input.response.id
          if (typeof input.response.model === "string") this.model ??= input.response.model
        }
        return Either.right([])
      case "response.output_item.added": {
        const item = isRecord(input.item) ? input.item : {}
        const type = typeof item.type === "string" ? item.type : "unknown"
        const entry = { type, id: typeof item.id === "string" ? item.id : undefined, keys: new Set<string>(), summary: 0, args: 0 }
        this.items.set(index, entry)
        if (type === "function_call") {
          this.calledTools = true
          const key = `item:${index}`
          entry.keys.add(key)
          const args = typeof item.arguments === "string" ? item.arguments : ""
          entry.args += args.length
          return Either.right(this.builder.toolCall(key, {
            toolName: typeof item.name === "string" ? item.name : "",
            toolCallId: typeof item.call_id === "string" ? item.call_id : "",
            args
          }))
        }
        return Either.right([])
      }
      case "response.output_text.delta":
      case "response.refusal.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const key = `${input.type === "response.refusal.delta" ? "refusal" : "text"}:${index}:${typeof input.content_index === "number" ? input.content_index : 0}`
        this.item(index).keys.add(key)
        return Either.right(this.builder.text(key, input.delta))
      }
      case "response.function_call_arguments.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const entry = this.item(index)
        entry.args += input.delta.length
        return Either.right(this.builder.toolCall(`item:${index}`, { args: input.delta }))
      }
      case "response.reasoning_summary_text.delta": {
        if (typeof input.delta !== "string") return Either.right([])
        const entry = this.item(index)
        const key = `item:${index}`
        const summaryIndex = typeof input.summary_index === "number" ? input.summary_index : 0
        // summaries of one item join with a blank line, as the non-streamed decoder joins them
        const separator = entry.keys.has(key) && summaryIndex !== entry.summary ? "\n\n" : ""
        entry.summary = summaryIndex
        entry.keys.add(key)
        return Either.right(this.builder.thinking(key, separator + input.delta, undefined, { id: entry.id, providerName: PROVIDER }))
      }
      case "response.output_item.done": {
        const item = isRecord(input.item) ? input.item : {}
        const entry = this.item(index)
        const key = `item:${index}`
        const events: Array<ModelResponseStreamEvent> = []
        if (item.type === "reasoning") {
          const encrypted = typeof item.encrypted_content === "string" ? item.encrypted_content : ""
          const id = typeof item.id === "string" ? item.id : entry.id
          // a reasoning item without streamed summary: its summary (if any) and encrypted content now
          if (!entry.keys.has(key)) {
            const content = summaryText(item)
            events.push(...this.builder.thinking(key, content, encrypted === "" ? undefined : encrypted, { id, providerName: PROVIDER }))
          } else if (encrypted !== "") {
            events.push(...this.builder.thinking(key, "", encrypted))
          }
          entry.keys.add(key)
        } else if (item.type === "function_call" && entry.args === 0 && typeof item.arguments === "string" && item.arguments !== "") {
          // arguments that came whole, without deltas
          events.push(...this.builder.toolCall(key, { args: item.arguments }))
        }
        for (const k of entry.keys) events.push(...this.builder.end(k))
        return Either.right(events)
      }
      case "response.completed":
      case "response.incomplete":
        if (isRecord(input.response)) this.final = input.response
        return Either.right([])
      case "response.failed":
        return Either.left(failedResponse(isRecord(input.response) ? input.response : {}, this.options.requestId))
      default:
        return Either.right([])
    }
  }

  /**
   * The stream ended: closes the open parts and emits the metadata. A stream that ends before
   * `response.completed` (or `.incomplete`) was cut off, which is a ConnectionError.
   */
  end(): Either.Either<Array<ModelResponseStreamEvent>, ConnectionError> {
    const final = this.final
    if (final === undefined) {
      return Either.left(new ConnectionError({
        provider: PROVIDER,
        detail: "the stream ended before the response completed (no response.completed event)",
        ...(this.options.requestId !== undefined ? { requestId: this.options.requestId } : {})
      }))
    }
    const finishReason = decodeFinishReason(final.status, final.incomplete_details, this.calledTools)
    const id = typeof final.id === "string" ? final.id : this.id
    const model = (typeof final.model === "string" && final.model) || this.model || this.options.requestedModel
    return Either.right(this.builder.finish(new ResponseMetadataEvent({
      modelName: model,
      providerName: PROVIDER,
      ...(id !== undefined ? { providerResponseId: id } : {}),
      ...(finishReason !== undefined ? { finishReason } : {}),
      usage: decodeUsage(final.usage)
    }, true)))
  }
}
