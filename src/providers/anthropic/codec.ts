/**
 * Pure functions between our messages and the Anthropic Messages API wire JSON: requests out
 * ({@link encodeRequest}), messages in ({@link decodeMessage}, from `decode.ts`, reused by the
 * batch code: batch result lines carry the same message). No I/O, no logging: encoding returns
 * its warnings and the caller logs them. User content and cache breakpoints are in
 * `content.ts`, server tools in `serverTools.ts`, the stream side in `streamDecoder.ts`.
 *
 * Anthropic quirks handled here: system prompts live outside `messages`; consecutive turns of
 * one role are merged and tool results lead their user turn; `max_tokens` is required (default
 * 4096); thinking must be sent back with its signature; tools cannot be forced while thinking.
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Either } from "effect"
import { InvalidInputError, type UnsupportedError } from "../../AiError.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { CallContext } from "../../LanguageModel.js"
import type { ModelMessage, ModelRequest, ModelResponsePart } from "../../Message.js"
import type { ModelSettings, ToolChoice } from "../../Parameters.js"
import { maxCacheBreakpoints, settingCacheControl, userBlocks } from "./content.js"
import { providerName, redactedThinkingPrefix } from "./decode.js"
import { encodeOutput, forcedToolChoice, outputConfig } from "./output.js"
import { builtinBlock, encodeBuiltinTools, isMcpBlock, mcpBetaHeader, type McpServerDefinition } from "./serverTools.js"

export {
  /**
   * @since 0.1.0
   * @category codecs
   */
  decodeAt,
  /**
   * @since 0.1.0
   * @category codecs
   */
  decodeMessage,
  /**
   * @since 0.1.0
   * @category codecs
   */
  decodeUsage,
  /**
   * @since 0.1.0
   * @category utils
   */
  finishReason,
  /**
   * @since 0.1.0
   * @category guards
   */
  isWireUsage,
  /**
   * @since 0.1.0
   * @category constants
   */
  providerName,
  /**
   * @since 0.1.0
   * @category constants
   * @deprecated Redacted thinking is a `ThinkingPart` with `redacted: true` and the data in `signature`.
   */
  redactedThinkingPrefix,
  /**
   * @since 0.1.0
   * @category constants
   */
  WireUsage
} from "./decode.js"

/**
 * `max_tokens` when the settings leave it unset: the API requires one.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxTokens = 4096

/**
 * The settings Anthropic maps. seed, presencePenalty, frequencyPenalty, promptCacheKey and
 * promptCacheRetention have no Anthropic equivalent, so `LanguageModel.make` warns when they are set.
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
  "cacheInstructions",
  "cacheTools",
  "extraHeaders",
  "extraBody"
]

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

interface State {
  readonly warnings: Array<string>
  /** cache breakpoints put so far */
  breakpoints: number
  /** whether an MCP block was sent (it needs the MCP beta header) */
  mcp: boolean
}

const requestTurn = (request: ModelRequest, system: Array<string>, turns: ReadonlyArray<Turn>, state: State): Either.Either<Turn, InvalidInputError> => {
  const content: Array<Block> = []
  const previous = () => turns[turns.length - 1]?.content.at(-1)
  for (const part of request.parts) {
    switch (part._tag) {
      case "SystemPromptPart":
        system.push(part.content)
        break
      case "UserPromptPart": {
        const error = userBlocks(part.content, content, previous, state)
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

const responseBlock = (part: ModelResponsePart, state: State): Array<Block> => {
  const warnings = state.warnings
  switch (part._tag) {
    case "BuiltinToolCallPart":
    case "BuiltinToolReturnPart": {
      const block = builtinBlock(part)
      if (block === undefined) {
        warnings.push(`a ${part._tag} of ${part.providerName} was left out of the request: Anthropic cannot take another provider's built-in tool calls.`)
        return []
      }
      if (isMcpBlock(block)) state.mcp = true
      return [block]
    }
    case "TextPart":
      // the API rejects empty text blocks; an empty text carries nothing
      return part.content === "" ? [] : [{ type: "text", text: part.content }]
    case "ToolCallPart":
      return [{ type: "tool_use", id: part.toolCallId, name: part.toolName, input: part.argsAsObject }]
    case "ThinkingPart": {
      // another provider's signature (the Responses API's encrypted reasoning) means nothing here
      const signature = part.providerName === undefined || part.providerName === providerName ? part.signature : undefined
      if (part.redacted === true) {
        if (signature !== undefined && signature !== "") return [{ type: "redacted_thinking", data: signature }]
        warnings.push("a redacted thinking part of another provider was left out of the request: only its provider can read it.")
        return []
      }
      // a redacted thinking part as stored before `redacted` existed
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
 * instructions. Cache points become `cache_control` on the block before them; Anthropic's own
 * built-in tool parts and redacted thinking go back as the blocks they came from.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeMessages = (
  messages: ReadonlyArray<ModelMessage>,
  warnings: Array<string> = []
): Either.Either<EncodedMessages, InvalidInputError> => {
  const system: Array<string> = []
  const turns: Array<Turn> = []
  const state: State = { warnings, breakpoints: 0, mcp: false }
  let instructions: string | undefined
  for (const message of messages) {
    let turn: Turn
    if (message._tag === "ModelRequest") {
      instructions = message.instructions
      const encoded = requestTurn(message, system, turns, state)
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      turn = encoded.right
    } else {
      turn = { role: "assistant", content: message.parts.flatMap((p) => responseBlock(p, state)) }
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
  return Either.right({
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages: wire,
    cacheBreakpoints: state.breakpoints,
    mcpBlocks: state.mcp
  })
}

/**
 * What {@link encodeMessages} gives: the system prompt, the turns, and what the request needs
 * besides (the cache breakpoints the history put, whether it holds MCP blocks).
 *
 * @since 0.2.0
 * @category models
 */
export interface EncodedMessages {
  readonly system: string | undefined
  readonly messages: Array<Anthropic.MessageParam>
  readonly cacheBreakpoints: number
  readonly mcpBlocks: boolean
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
  let breakpoints = encoded.cacheBreakpoints
  // no tool list is built for the usual request without tools (allTools copies two arrays)
  let tools: Array<Anthropic.ToolUnion> | undefined =
    parameters.functionTools.length + parameters.outputTools.length === 0 ? undefined : parameters.allTools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parametersJsonSchema as Anthropic.Tool.InputSchema,
      ...(t.strict === true ? { strict: true } : {})
    }))
  const hasFunctionTools = tools !== undefined
  let mcpServers: ReadonlyArray<McpServerDefinition> = []
  if (parameters.builtinTools !== undefined && parameters.builtinTools.length > 0) {
    const server = encodeBuiltinTools(parameters.builtinTools, warnings)
    if (Either.isLeft(server)) return Either.left(server.left)
    if (server.right.tools.length > 0) tools = [...(tools ?? []), ...server.right.tools]
    mcpServers = server.right.mcpServers
  }
  const toolsCache = settingCacheControl(settings.cacheTools)
  if (toolsCache !== undefined) {
    if (tools === undefined) warnings.push("cacheTools was ignored: the request offers no tools.")
    else {
      // the last tool carries the breakpoint; a copy, so the tool list of the parameters is left as it is
      tools[tools.length - 1] = { ...tools[tools.length - 1]!, cache_control: toolsCache } as Anthropic.ToolUnion
      breakpoints++
    }
  }
  const systemCache = settingCacheControl(settings.cacheInstructions)
  let system: WireBody["system"] = encoded.system
  if (systemCache !== undefined) {
    if (encoded.system === undefined) warnings.push("cacheInstructions was ignored: the request has no instructions or system prompt.")
    else {
      system = [{ type: "text", text: encoded.system, cache_control: systemCache }]
      breakpoints++
    }
  }
  if (breakpoints > maxCacheBreakpoints) {
    return Either.left(new InvalidInputError({
      provider: providerName,
      reason: `the request has ${breakpoints} cache breakpoints (cache points, cacheInstructions, cacheTools); Anthropic allows at most ${maxCacheBreakpoints}.`
    }))
  }
  if (breakpoints > 1) longerTtlsFirst(tools, system, encoded.messages, warnings)
  const toolChoice = encodeToolChoice(context, hasFunctionTools, warnings)
  // fields set one by one in the wire order, not spread from `{}` literals: a batch encodes tens
  // of thousands of bodies, and each spread allocated an object
  const body: WireBody = {
    model,
    max_tokens: settings.maxTokens ?? defaultMaxTokens,
    messages: encoded.messages
  }
  if (system !== undefined) body.system = system
  if (tools !== undefined) body.tools = tools
  if (mcpServers.length > 0) body.mcp_servers = [...mcpServers]
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
  const headers = mcpServers.length > 0 || encoded.mcpBlocks ? withBeta(settings.extraHeaders, mcpBetaHeader) : settings.extraHeaders
  return Either.right({
    body: withExtra,
    options: settings.timeout === undefined && headers === undefined ? noOptions : {
      ...(settings.timeout !== undefined ? { timeout: Math.round(settings.timeout * 1000) } : {}),
      ...(headers !== undefined ? { headers: { ...headers } } : {})
    },
    warnings
  })
}

type CacheControl = Anthropic.CacheControlEphemeral
const controlOf = (block: unknown): CacheControl | undefined => {
  const control = (block as { readonly cache_control?: CacheControl | null } | undefined)?.cache_control
  return control ?? undefined
}

// Anthropic reads breakpoints in the order tools, system, messages, and refuses a 1-hour one
// after a 5-minute one: an earlier breakpoint is raised to the 1-hour lifetime of a later one
const longerTtlsFirst = (
  tools: ReadonlyArray<Anthropic.ToolUnion> | undefined,
  system: WireBody["system"],
  messages: ReadonlyArray<Anthropic.MessageParam>,
  warnings: Array<string>
): void => {
  const controls: Array<CacheControl> = []
  const add = (block: unknown) => {
    const control = controlOf(block)
    if (control !== undefined) controls.push(control)
  }
  add(tools?.at(-1))
  if (Array.isArray(system)) system.forEach(add)
  for (const message of messages) if (Array.isArray(message.content)) message.content.forEach(add)
  let lastLong = -1
  for (let i = 0; i < controls.length; i++) if (controls[i]!.ttl === "1h") lastLong = i
  let raised = 0
  for (let i = 0; i < lastLong; i++) {
    if (controls[i]!.ttl !== "1h") {
      controls[i]!.ttl = "1h"
      raised++
    }
  }
  if (raised > 0) {
    warnings.push(`${raised} cache breakpoint${raised > 1 ? "s" : ""} before a 1-hour one ${raised > 1 ? "were" : "was"} raised to 1 hour: Anthropic takes no 5-minute breakpoint before a 1-hour one.`)
  }
}

// adds a beta to the `anthropic-beta` header (comma-separated), keeping the caller's
const withBeta = (headers: Readonly<Record<string, string>> | undefined, beta: string): Record<string, string> => {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === "anthropic-beta") ?? "anthropic-beta"
  const existing = headers?.[key]
  const betas = existing === undefined || existing === "" ? [] : existing.split(",").map((b) => b.trim())
  return { ...headers, [key]: betas.includes(beta) ? existing! : [...betas, beta].join(",") }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
/** The body as built: the SDK's type no longer lists the sampling fields, which the API still takes. */
type WireBody = Mutable<Anthropic.MessageCreateParamsNonStreaming> & {
  temperature?: number
  top_p?: number
  /** MCP servers (a beta field the SDK types only on `beta.messages`) */
  mcp_servers?: Array<McpServerDefinition>
}

/** The request options of a request that sets neither a timeout nor headers (shared: never mutated). */
const noOptions: EncodedRequest["options"] = Object.freeze({})

