/**
 * Pure functions between our messages and the Gemini API (`models.generateContent`) as the
 * `@google/genai` SDK takes it: requests out ({@link encodeRequest}: `contents` and a
 * `GenerateContentConfig`), responses in ({@link decodeResponse}, reused by the batch code: batch
 * results carry the same response). No I/O, no logging: encoding returns its warnings and the
 * caller logs them. The stream side is in `streamDecoder.ts`, user content (inline and file
 * data) in `content.ts`.
 *
 * Gemini quirks handled here:
 * - system prompts live in `config.systemInstruction`; the model's turns have the role "model";
 * - tool results are `functionResponse` parts whose `response` must be an object (a non-object
 *   result is sent as `{ result }`);
 * - function calls may come without an id: they get `gemini_call_<responseId>_<n>`, which is not
 *   sent back (Gemini matches results to calls by name and order);
 * - thought signatures ride on the part they belong to (a function call, a text, a thought). A
 *   thought part becomes a {@link ThinkingPart} with its signature; a signature on any other part
 *   becomes an empty ThinkingPart right after that part, and is put back on the part before it
 *   when the history is sent again, so multi-turn tool use with thinking keeps its signatures;
 * - built-in tools (Google Search, code execution, URL context) and their parts are in
 *   `builtinTools.ts`.
 * @since 0.1.0
 */
import type {
  Content,
  FunctionCallingConfig,
  GenerateContentConfig,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  Part
} from "@google/genai"
import { Either } from "effect"
import { InvalidInputError, ResponseDecodeError } from "../../AiError.js"
import { fromFields } from "../../internal/codec/fromFields.js"
import { encodeOutputWith, forcedOutputTool } from "../../internal/codec/structuredOutput.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { CallContext } from "../../LanguageModel.js"
import {
  type FinishReason,
  type ModelMessage,
  ModelResponse,
  type ModelResponsePart,
  type ModelRequest,
  TextPart,
  ThinkingPart,
  ToolCallPart
} from "../../Message.js"
import type { ModelSettings, ToolChoice } from "../../Parameters.js"
import { RequestUsage } from "../../Usage.js"
import { type CodeState, codeState, decodeCodePart, decodeGrounding, encodeBuiltinPart, encodeBuiltinTools } from "./builtinTools.js"
import { userContentProblem, userParts } from "./content.js"

/**
 * The provider name on responses and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const providerName = "google"

/**
 * The settings Gemini maps. `parallelToolCalls`, `promptCacheKey` and `promptCacheRetention` have
 * no Gemini equivalent, so `LanguageModel.make` warns when they are set. `cacheInstructions` and
 * `cacheTools` are taken and left out, as cache points are: Gemini caches repeated prefixes by
 * itself, and explicitly through cached content (`Google.cachedContent`). `extraBody` is spread
 * into the `GenerateContentConfig` (thinkingConfig, safetySettings, topK, cachedContent, ...).
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedSettings: ReadonlyArray<keyof ModelSettings> = [
  "maxTokens",
  "temperature",
  "topP",
  "seed",
  "stopSequences",
  "presencePenalty",
  "frequencyPenalty",
  "timeout",
  "toolChoice",
  "cacheInstructions",
  "cacheTools",
  "extraHeaders",
  "extraBody"
]

/**
 * The prefix of the tool-call ids we make up for calls Gemini sent without one.
 *
 * @since 0.1.0
 * @category constants
 */
export const syntheticCallIdPrefix = "gemini_call_"

/**
 * The tool-call id of the `n`th call of a response that came without ids.
 *
 * @since 0.1.0
 * @category utils
 */
export const syntheticCallId = (responseId: string | undefined, n: number): string => `${syntheticCallIdPrefix}${responseId ?? "response"}_${n}`

// ---------------------------------------------------------------------------------------------
// encoding
// ---------------------------------------------------------------------------------------------

/**
 * A request ready for `sdk.models.generateContent({ model, contents, config })`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRequest {
  readonly model: string
  readonly contents: Array<Content>
  /** The config without `abortSignal` (added per call). */
  readonly config: GenerateContentConfig
  /** What the encoding changed or could not carry over; the caller logs them. */
  readonly warnings: ReadonlyArray<string>
}

const functionResponse = (name: string, id: string | undefined, response: Record<string, unknown>): Part => ({
  functionResponse: { name, response, ...(id !== undefined && !id.startsWith(syntheticCallIdPrefix) ? { id } : {}) }
})

const requestParts = (request: ModelRequest, system: Array<string>, warnings: Array<string>): Array<Part> => {
  const parts: Array<Part> = []
  for (const part of request.parts) {
    switch (part._tag) {
      case "SystemPromptPart":
        system.push(part.content)
        break
      case "UserPromptPart":
        userParts(part.content, parts, warnings)
        break
      case "ToolReturnPart":
        parts.push(functionResponse(part.toolName, part.toolCallId, isRecord(part.content) ? part.content : { result: part.content }))
        break
      case "RetryPromptPart":
        parts.push(part.toolName !== undefined
          ? functionResponse(part.toolName, part.toolCallId, { error: part.modelText })
          : { text: part.modelText })
        break
    }
  }
  return parts
}

const responseParts = (parts: ReadonlyArray<ModelResponsePart>): Array<Part> => {
  const out: Array<Part> = []
  for (const part of parts) {
    switch (part._tag) {
      case "TextPart":
        if (part.content !== "") out.push({ text: part.content })
        break
      case "ToolCallPart":
        out.push({
          functionCall: {
            name: part.toolName,
            args: part.argsAsObject,
            ...(part.toolCallId !== "" && !part.toolCallId.startsWith(syntheticCallIdPrefix) ? { id: part.toolCallId } : {})
          }
        })
        break
      case "ThinkingPart": {
        // another provider's encrypted reasoning means nothing to Gemini
        if (part.redacted === true) break
        const previous = out[out.length - 1]
        if (part.content === "" && part.signature !== undefined && part.signature !== "") {
          // a signature of the part before it (see the module notes)
          if (previous !== undefined && previous.thoughtSignature === undefined) previous.thoughtSignature = part.signature
          else out.push({ text: "", thoughtSignature: part.signature })
        } else if (part.content !== "") {
          out.push({ text: part.content, thought: true, ...(part.signature ? { thoughtSignature: part.signature } : {}) })
        }
        break
      }
      case "BuiltinToolCallPart":
      case "BuiltinToolReturnPart": {
        // code execution goes back as it came; grounding and other providers' tools have no Gemini part
        const wire = encodeBuiltinPart(part)
        if (wire !== undefined) out.push(wire)
        break
      }
    }
  }
  return out
}

/**
 * Our history → `contents` and the system instruction, turns of one role merged. System prompts
 * from anywhere in the history join the system instruction, after the newest request's
 * instructions.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeMessages = (
  messages: ReadonlyArray<ModelMessage>,
  warnings: Array<string> = []
): { readonly system: string | undefined; readonly contents: Array<Content> } => {
  const system: Array<string> = []
  const contents: Array<Content> = []
  let instructions: string | undefined
  for (const message of messages) {
    let role: "user" | "model"
    let parts: Array<Part>
    if (message._tag === "ModelRequest") {
      instructions = message.instructions
      role = "user"
      parts = requestParts(message, system, warnings)
    } else {
      role = "model"
      parts = responseParts(message.parts)
    }
    if (parts.length === 0) continue
    const previous = contents[contents.length - 1]
    if (previous !== undefined && previous.role === role) previous.parts!.push(...parts)
    else contents.push({ role, parts })
  }
  if (instructions !== undefined && instructions !== "") system.unshift(instructions)
  return { system: system.length > 0 ? system.join("\n\n") : undefined, contents }
}

const wireChoice = (choice: ToolChoice): FunctionCallingConfig =>
  typeof choice === "object"
    ? { mode: "ANY" as FunctionCallingConfig["mode"], allowedFunctionNames: [choice.toolName] }
    : { mode: (choice === "required" ? "ANY" : choice === "none" ? "NONE" : "AUTO") as FunctionCallingConfig["mode"] }

const encodeToolChoice = (context: CallContext, hasTools: boolean, warnings: Array<string>): FunctionCallingConfig | undefined => {
  const { parameters, settings } = context
  if (!hasTools) {
    if (settings.toolChoice !== undefined && settings.toolChoice !== "auto" && settings.toolChoice !== "none") {
      warnings.push("toolChoice was ignored: the request offers no tools.")
    }
    return undefined
  }
  if (settings.toolChoice !== undefined) return wireChoice(settings.toolChoice)
  if (parameters.outputTools.length > 0 && !parameters.allowTextOutput) {
    const forced = forcedOutputTool(parameters)
    return { mode: "ANY" as FunctionCallingConfig["mode"], ...(forced !== undefined ? { allowedFunctionNames: [forced] } : {}) }
  }
  return undefined
}

/**
 * Our request → `contents` and a `GenerateContentConfig`. The "native" output mode sets
 * `responseMimeType: "application/json"` and `responseJsonSchema` (Gemini takes a JSON Schema
 * there as it is); the "prompted" mode adds its instructions to the system instruction; the
 * "tool" mode offers output tools as functions.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeRequest = (
  model: string,
  messages: ReadonlyArray<ModelMessage>,
  context: CallContext
): Either.Either<EncodedRequest, InvalidInputError> => {
  const { parameters, settings } = context
  const builtinWarnings: Array<string> = []
  const builtin = encodeBuiltinTools(parameters.builtinTools, builtinWarnings)
  if (builtin instanceof InvalidInputError) return Either.left(builtin)
  const content = userContentProblem(messages)
  if (content !== undefined) return Either.left(content)
  const output = encodeOutputWith(messages, parameters, providerName, (object) => ({
    format: { responseMimeType: "application/json", responseJsonSchema: object.jsonSchema },
    warnings: []
  }))
  if (Either.isLeft(output)) return Either.left(output.left)
  const warnings: Array<string> = [...output.right.warnings, ...builtinWarnings]
  const encoded = encodeMessages(output.right.messages, warnings)
  if (encoded.contents.length === 0) {
    return Either.left(new InvalidInputError({
      provider: providerName,
      reason: "the request has no user or model content to send (Gemini needs at least one part); add a user prompt."
    }))
  }
  const declarations = parameters.allTools.map((t) => ({
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    parametersJsonSchema: t.parametersJsonSchema
  }))
  const calling = encodeToolChoice(context, declarations.length > 0, warnings)
  const tools = [...(declarations.length > 0 ? [{ functionDeclarations: declarations }] : []), ...builtin.tools]
  const config: GenerateContentConfig = {
    ...(encoded.system !== undefined ? { systemInstruction: encoded.system } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(calling !== undefined ? { toolConfig: { functionCallingConfig: calling } } : {}),
    ...(settings.maxTokens !== undefined ? { maxOutputTokens: settings.maxTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(settings.stopSequences !== undefined ? { stopSequences: [...settings.stopSequences] } : {}),
    ...(settings.presencePenalty !== undefined ? { presencePenalty: settings.presencePenalty } : {}),
    ...(settings.frequencyPenalty !== undefined ? { frequencyPenalty: settings.frequencyPenalty } : {}),
    ...(output.right.format ?? {}),
    // extraBody is the escape hatch for fields we do not model (thinkingConfig, safetySettings, ...)
    ...(settings.extraBody as Partial<GenerateContentConfig> | undefined),
    ...(settings.timeout !== undefined || settings.extraHeaders !== undefined
      ? {
          httpOptions: {
            ...(settings.timeout !== undefined ? { timeout: Math.round(settings.timeout * 1000) } : {}),
            ...(settings.extraHeaders !== undefined ? { headers: { ...settings.extraHeaders } } : {})
          }
        }
      : {})
  }
  withoutCachedFields(config, warnings)
  return Either.right({ model, contents: encoded.contents, config, warnings })
}

const cachedFields = { systemInstruction: "system instruction", tools: "tools", toolConfig: "tool config" } as const

// Gemini refuses a request that names cached content and sets any of these: they belong in the cache
const withoutCachedFields = (config: GenerateContentConfig, warnings: Array<string>): void => {
  if (typeof config.cachedContent !== "string" || config.cachedContent === "") return
  for (const key of Object.keys(cachedFields) as Array<keyof typeof cachedFields>) {
    if (config[key] === undefined) continue
    delete config[key]
    warnings.push(`the request's ${cachedFields[key]} was left out: with cachedContent, Gemini takes it only from the cached content (create the cache with it).`)
  }
}

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/**
 * Gemini's finish reason → ours; a finished answer with function calls is a tool call.
 *
 * @since 0.1.0
 * @category utils
 */
export const finishReason = (reason: string | undefined, hasToolCalls: boolean): FinishReason | undefined => {
  switch (reason) {
    case "STOP":
      return hasToolCalls ? "tool_call" : "stop"
    case "MAX_TOKENS":
      return "length"
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
    case "IMAGE_PROHIBITED_CONTENT":
    case "LANGUAGE":
      return "content_filter"
    case "MALFORMED_FUNCTION_CALL":
    case "UNEXPECTED_TOOL_CALL":
    case "OTHER":
      return "error"
    case undefined:
      return hasToolCalls ? "tool_call" : undefined
    default:
      return undefined
  }
}

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) ? n : 0)

/**
 * Gemini usage → ours: `inputTokens` is `promptTokenCount` (cached tokens included) plus
 * `toolUsePromptTokenCount`; `outputTokens` is `candidatesTokenCount` plus `thoughtsTokenCount`
 * (thinking is billed as output); `cacheReadTokens` is `cachedContentTokenCount`; the thought and
 * tool-use counts are also in `details`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUsage = (usage: GenerateContentResponseUsageMetadata | undefined): RequestUsage => {
  if (usage === undefined) return RequestUsage.empty
  const thoughts = count(usage.thoughtsTokenCount)
  const toolUse = count(usage.toolUsePromptTokenCount)
  const details: Record<string, number> = {}
  if (thoughts !== 0) details.thoughts_tokens = thoughts
  if (toolUse !== 0) details.tool_use_prompt_tokens = toolUse
  return fromFields(RequestUsage, {
    inputTokens: count(usage.promptTokenCount) + toolUse,
    outputTokens: count(usage.candidatesTokenCount) + thoughts,
    cacheReadTokens: count(usage.cachedContentTokenCount),
    cacheWriteTokens: 0,
    details
  })
}

/**
 * One wire part → our parts (a part with a thought signature and no thought text gives two: the
 * part, then the signature as an empty ThinkingPart). `calls` counts the function calls so far,
 * for synthetic ids, `code` the code executions (builtinTools.ts). Kinds we do not model (inline
 * data out, ...) give none.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodePart = (
  part: unknown,
  path: string,
  responseId: string | undefined,
  calls: { n: number },
  code: CodeState = codeState()
): Either.Either<Array<ModelResponsePart>, ResponseDecodeError> => {
  if (!isRecord(part)) return Either.left(new ResponseDecodeError({ provider: providerName, path, detail: "a part must be an object" }))
  const signature = typeof part.thoughtSignature === "string" && part.thoughtSignature !== "" ? part.thoughtSignature : undefined
  const out: Array<ModelResponsePart> = []
  if (part.thought === true) {
    const text = typeof part.text === "string" ? part.text : ""
    if (text !== "" || signature !== undefined) out.push(new ThinkingPart({ content: text, ...(signature !== undefined ? { signature } : {}) }, true))
    return Either.right(out)
  }
  const builtin = decodeCodePart(part, responseId, code)
  if (builtin !== undefined) {
    out.push(builtin)
  } else if (part.functionCall !== undefined) {
    const call = part.functionCall
    if (!isRecord(call) || typeof call.name !== "string") {
      return Either.left(new ResponseDecodeError({ provider: providerName, path: `${path}.functionCall.name`, detail: "a function call needs a name" }))
    }
    const id = typeof call.id === "string" && call.id !== "" ? call.id : syntheticCallId(responseId, calls.n)
    calls.n += 1
    out.push(new ToolCallPart({ toolName: call.name, args: isRecord(call.args) ? call.args : {}, toolCallId: id }, true))
  } else if (typeof part.text === "string") {
    if (part.text !== "") out.push(fromFields(TextPart, { content: part.text, _tag: "TextPart" }))
  } else if (part.text !== undefined) {
    return Either.left(new ResponseDecodeError({ provider: providerName, path: `${path}.text`, detail: "text must be a string" }))
  }
  if (signature !== undefined) out.push(new ThinkingPart({ content: "", signature }, true))
  return Either.right(out)
}

/**
 * A `GenerateContentResponse` (a response body, or a batch result's `response`) → our
 * {@link ModelResponse}: the first candidate's parts. A prompt blocked before any candidate
 * gives no parts and the finish reason "content_filter".
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResponse = (
  response: GenerateContentResponse | unknown,
  requestedModel: string,
  options?: { readonly timestamp?: Date | undefined }
): Either.Either<ModelResponse, ResponseDecodeError> => {
  if (!isRecord(response)) return Either.left(new ResponseDecodeError({ provider: providerName, path: "$", detail: "the response is not an object" }))
  const responseId = typeof response.responseId === "string" ? response.responseId : undefined
  const candidates = Array.isArray(response.candidates) ? response.candidates : []
  const candidate = candidates[0]
  const parts: Array<ModelResponsePart> = []
  let reason: FinishReason | undefined
  if (isRecord(candidate)) {
    const content = isRecord(candidate.content) ? candidate.content : {}
    const wireParts = Array.isArray(content.parts) ? content.parts : []
    const calls = { n: 0 }
    const code = codeState()
    for (let i = 0; i < wireParts.length; i++) {
      const decoded = decodePart(wireParts[i], `candidates.0.content.parts.${i}`, responseId, calls, code)
      if (Either.isLeft(decoded)) return Either.left(decoded.left)
      parts.push(...decoded.right)
    }
    parts.push(...decodeGrounding(candidate, responseId))
    reason = finishReason(typeof candidate.finishReason === "string" ? candidate.finishReason : undefined, calls.n > 0)
  } else if (isRecord(response.promptFeedback) && response.promptFeedback.blockReason !== undefined) {
    reason = "content_filter"
  } else if (candidate !== undefined) {
    return Either.left(new ResponseDecodeError({ provider: providerName, path: "candidates.0", detail: "a candidate must be an object" }))
  }
  return Either.right(fromFields(ModelResponse, {
    parts,
    usage: decodeUsage(isRecord(response.usageMetadata) ? (response.usageMetadata as GenerateContentResponseUsageMetadata) : undefined),
    modelName: typeof response.modelVersion === "string" && response.modelVersion !== "" ? response.modelVersion : requestedModel,
    providerName,
    ...(responseId !== undefined ? { providerResponseId: responseId } : {}),
    ...(reason !== undefined ? { finishReason: reason } : {}),
    timestamp: options?.timestamp ?? new Date(),
    _tag: "ModelResponse"
  }))
}
