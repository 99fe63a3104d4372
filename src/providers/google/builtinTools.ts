/**
 * Gemini's built-in tools: `WebSearchTool` → `{ googleSearch: {} }`, `CodeExecutionTool` →
 * `{ codeExecution: {} }`, `WebFetchTool` → `{ urlContext: {} }` (MCP servers and file search are
 * refused). What they did comes back as built-in tool parts, never as function calls:
 * - code execution: each `executableCode` part is a {@link BuiltinToolCallPart} "code_execution"
 *   (args: the part's `{ language, code }`) and each `codeExecutionResult` part a
 *   {@link BuiltinToolReturnPart} (content: `{ outcome, output }`) paired with the call before
 *   it; both are sent back as the parts they came from;
 * - Google Search: the candidate's `groundingMetadata` is a "web_search" call (args:
 *   `{ queries }`) and its return (content: the grounding chunks; `providerDetails` keeps the
 *   supports and the search entry point), after the candidate's parts;
 * - URL context: the candidate's `urlContextMetadata` is a "web_fetch" call (args: `{ urls }`)
 *   and its return (content: the URL metadata), after those.
 * Gemini sends no ids for them: a response's are `gemini_code_<responseId>_<n>`,
 * `gemini_search_<responseId>` and `gemini_fetch_<responseId>`, the same streamed or not.
 * Grounding parts are not sent back (Gemini has no part for them).
 *
 * @since 0.2.0
 */
import type { Part, Tool } from "@google/genai"
import type { InvalidInputError } from "../../AiError.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { BuiltinToolCallPart, BuiltinToolReturnPart } from "../../Message.js"
import { type BuiltinTool, unsupportedBuiltinTool } from "../../Parameters.js"

const provider = "google"

/**
 * The built-in tools Gemini offers through this library.
 *
 * @since 0.2.0
 * @category constants
 */
const supportedBuiltinTools: ReadonlyArray<BuiltinTool["_tag"]> = ["WebSearchTool", "WebFetchTool", "CodeExecutionTool"]

/**
 * The tool name of code execution parts.
 *
 * @since 0.2.0
 * @category constants
 */
const codeExecutionName = "code_execution"

/**
 * `parameters.builtinTools` → Gemini tools; options Gemini lacks are ignored with a warning, a
 * tool it does not offer is the error.
 *
 * @since 0.2.0
 * @category codecs
 */
export const encodeBuiltinTools = (
  tools: ReadonlyArray<BuiltinTool> | undefined,
  warnings: Array<string>
): { readonly tools: Array<Tool> } | InvalidInputError => {
  const refused = unsupportedBuiltinTool(tools, provider, supportedBuiltinTools)
  if (refused !== undefined) return refused
  const out: Array<Tool> = []
  for (const tool of tools ?? []) {
    const { _tag, ...options } = tool as BuiltinTool & Record<string, unknown>
    const set = Object.keys(options).filter((key) => options[key] !== undefined)
    if (set.length > 0) warnings.push(`${_tag}'s ${set.join(", ")} ${set.length > 1 ? "have" : "has"} no Gemini equivalent; ignored.`)
    if (_tag === "WebSearchTool") out.push({ googleSearch: {} })
    else if (_tag === "CodeExecutionTool") out.push({ codeExecution: {} })
    else if (_tag === "WebFetchTool") out.push({ urlContext: {} })
  }
  return { tools: out }
}

/**
 * What decoding a response's code execution parts keeps: how many calls so far, and the id of
 * the last one (its result's).
 *
 * @since 0.2.0
 * @category models
 */
export interface CodeState {
  n: number
  last: string | undefined
}

/**
 * A new {@link CodeState}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const codeState = (): CodeState => ({ n: 0, last: undefined })

const idOf = (value: Record<string, unknown>): string | undefined => (typeof value.id === "string" && value.id !== "" ? value.id : undefined)

/**
 * An `executableCode` or `codeExecutionResult` wire part → its built-in tool part; `undefined`
 * for any other part.
 *
 * @since 0.2.0
 * @category codecs
 */
export const decodeCodePart = (
  part: Record<string, unknown>,
  responseId: string | undefined,
  state: CodeState
): BuiltinToolCallPart | BuiltinToolReturnPart | undefined => {
  if (isRecord(part.executableCode)) {
    const id = idOf(part.executableCode) ?? `gemini_code_${responseId ?? "response"}_${state.n}`
    state.n += 1
    state.last = id
    return new BuiltinToolCallPart({ toolName: codeExecutionName, args: part.executableCode, toolCallId: id, providerName: provider }, true)
  }
  if (isRecord(part.codeExecutionResult)) {
    const id = idOf(part.codeExecutionResult) ?? state.last ?? `gemini_code_${responseId ?? "response"}_${state.n}`
    return new BuiltinToolReturnPart({ toolName: codeExecutionName, content: part.codeExecutionResult, toolCallId: id, providerName: provider }, true)
  }
  return undefined
}

const strings = (value: unknown): Array<string> => (Array.isArray(value) ? value.filter((s): s is string => typeof s === "string") : [])

/**
 * A candidate's grounding (`groundingMetadata` of Google Search) and URL context
 * (`urlContextMetadata`) → "web_search" and "web_fetch" call and return pairs.
 *
 * @since 0.2.0
 * @category codecs
 */
export const decodeGrounding = (
  candidate: Record<string, unknown>,
  responseId: string | undefined
): Array<BuiltinToolCallPart | BuiltinToolReturnPart> => {
  const out: Array<BuiltinToolCallPart | BuiltinToolReturnPart> = []
  const grounding = candidate.groundingMetadata
  if (isRecord(grounding)) {
    const { webSearchQueries, groundingChunks, ...details } = grounding
    const queries = strings(webSearchQueries)
    if (queries.length > 0 || Array.isArray(groundingChunks)) {
      const id = `gemini_search_${responseId ?? "response"}`
      out.push(
        new BuiltinToolCallPart({ toolName: "web_search", args: { queries }, toolCallId: id, providerName: provider }, true),
        new BuiltinToolReturnPart({
          toolName: "web_search",
          content: Array.isArray(groundingChunks) ? groundingChunks : [],
          toolCallId: id,
          providerName: provider,
          ...(Object.keys(details).length > 0 ? { providerDetails: details } : {})
        }, true)
      )
    }
  }
  const urlContext = candidate.urlContextMetadata
  if (isRecord(urlContext) && Array.isArray(urlContext.urlMetadata)) {
    const id = `gemini_fetch_${responseId ?? "response"}`
    const urls = urlContext.urlMetadata.flatMap((m) => (isRecord(m) && typeof m.retrievedUrl === "string" ? [m.retrievedUrl] : []))
    out.push(
      new BuiltinToolCallPart({ toolName: "web_fetch", args: { urls }, toolCallId: id, providerName: provider }, true),
      new BuiltinToolReturnPart({ toolName: "web_fetch", content: urlContext.urlMetadata, toolCallId: id, providerName: provider }, true)
    )
  }
  return out
}

/**
 * A built-in tool part of a history → the Gemini part it came from (code execution only);
 * `undefined` for the others (grounding, other providers' tools), which are left out.
 *
 * @since 0.2.0
 * @category codecs
 */
export const encodeBuiltinPart = (part: BuiltinToolCallPart | BuiltinToolReturnPart): Part | undefined => {
  if (part.providerName !== provider || part.toolName !== codeExecutionName) return undefined
  if (part._tag === "BuiltinToolCallPart") return { executableCode: part.argsAsObject }
  return isRecord(part.content) ? { codeExecutionResult: part.content } : undefined
}
