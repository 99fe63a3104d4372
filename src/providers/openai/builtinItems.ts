/**
 * The Responses API's built-in tools, both ways. Request side: the built-in tool parameters as
 * `tools` entries (`web_search`, `file_search`, `code_interpreter`, `mcp`) and the `include`
 * entries that make their results come back. Response side: the output items of those tools
 * (`web_search_call`, `file_search_call`, `code_interpreter_call`, `mcp_call`, `mcp_list_tools`,
 * `image_generation_call`)
 * as a {@link BuiltinToolCallPart} and a {@link BuiltinToolReturnPart} each, never function tool
 * calls; and those parts back into the same input items (by id) when a history is sent again.
 *
 * Each item splits into the call's `args`, the result's `content`, and the remaining wire
 * fields, kept in the call's `providerDetails` (with the item `type`):
 *
 * | item | `toolName` | `args` | `content` |
 * | --- | --- | --- | --- |
 * | `web_search_call` | `web_search` | the `action` (query, sources) | `{ status, sources? }` |
 * | `file_search_call` | `file_search` | `{ queries }` | `{ status, results }` |
 * | `code_interpreter_call` | `code_interpreter` | `{ code, container_id }` | `{ status, outputs }` |
 * | `mcp_call` | the MCP tool's name | its parsed `arguments` | `{ output, error, status }` |
 * | `mcp_list_tools` | `mcp_list_tools` | `{ server_label }` | `{ tools, error }` |
 * | `image_generation_call` | `image_generation` | `{}` | `{ status, result }` (base64 image) |
 *
 * (No parameter enables image generation; an `image_generation` tool passed in `extraBody`
 * comes back this way.)
 *
 * @since 0.2.0
 */
import type OpenAI from "openai"
import { isRecord } from "../../internal/codec/wireChecks.js"
import { BuiltinToolCallPart, BuiltinToolReturnPart, normaliseArgs } from "../../Message.js"
import type { BuiltinTool } from "../../Parameters.js"

// the codecs import this module: the provider name is repeated rather than imported from them
const providerName = "openai"

type Json = Record<string, unknown>

interface ItemShape {
  readonly toolName: (item: Json) => string
  /** Fields that make the call's args (an object of them), unless `args` is special. */
  readonly argsKeys: ReadonlyArray<string>
  /** Fields that make the result's content. */
  readonly resultKeys: ReadonlyArray<string>
}

const SHAPES: Readonly<Record<string, ItemShape>> = {
  web_search_call: { toolName: () => "web_search", argsKeys: ["action"], resultKeys: ["status"] },
  file_search_call: { toolName: () => "file_search", argsKeys: ["queries"], resultKeys: ["status", "results"] },
  code_interpreter_call: { toolName: () => "code_interpreter", argsKeys: ["code", "container_id"], resultKeys: ["status", "outputs"] },
  mcp_call: { toolName: (item) => (typeof item.name === "string" ? item.name : "mcp_call"), argsKeys: ["arguments"], resultKeys: ["output", "error", "status"] },
  mcp_list_tools: { toolName: () => "mcp_list_tools", argsKeys: ["server_label"], resultKeys: ["tools", "error"] },
  image_generation_call: { toolName: () => "image_generation", argsKeys: [], resultKeys: ["status", "result"] }
}

/**
 * Whether an output item type is one of the built-in tool items this module reads.
 *
 * @since 0.2.0
 * @category guards
 */
export const isBuiltinItemType = (type: unknown): type is string => typeof type === "string" && Object.hasOwn(SHAPES, type)

const pick = (item: Json, keys: ReadonlyArray<string>): Json => {
  const out: Json = {}
  for (const key of keys) if (item[key] !== undefined) out[key] = item[key]
  return out
}

/**
 * A built-in tool's output item as its call and result parts (`undefined` for another item or
 * one without an id).
 *
 * @since 0.2.0
 * @category codecs
 */
export const decodeBuiltinItem = (item: Json): readonly [BuiltinToolCallPart, BuiltinToolReturnPart] | undefined => {
  const type = item.type
  if (!isBuiltinItemType(type) || typeof item.id !== "string") return undefined
  const shape = SHAPES[type]!
  const toolName = shape.toolName(item)
  const details: Json = { type }
  for (const [key, value] of Object.entries(item)) {
    if (key !== "id" && key !== "type" && !shape.argsKeys.includes(key) && !shape.resultKeys.includes(key) && !(type === "mcp_call" && key === "name")) {
      details[key] = value
    }
  }
  const args = type === "web_search_call"
    ? (isRecord(item.action) ? item.action : {})
    : type === "mcp_call"
    ? normaliseArgs(typeof item.arguments === "string" ? item.arguments : "")
    : pick(item, shape.argsKeys)
  const content = pick(item, shape.resultKeys)
  if (type === "web_search_call" && isRecord(item.action) && Array.isArray(item.action.sources)) content.sources = item.action.sources
  return [
    new BuiltinToolCallPart({ toolName, args, toolCallId: item.id, providerName, providerDetails: details }, true),
    new BuiltinToolReturnPart({ toolName, content, toolCallId: item.id, providerName, providerDetails: { type } }, true)
  ]
}

/**
 * A built-in tool call of OpenAI's (with its result, when the response has it) → the output
 * item it came from, to send back as input; `undefined` for another provider's part.
 *
 * @since 0.2.0
 * @category codecs
 */
export const encodeBuiltinItem = (
  call: BuiltinToolCallPart | undefined,
  result: BuiltinToolReturnPart | undefined
): OpenAI.Responses.ResponseInputItem | undefined => {
  const part = call ?? result
  if (part === undefined || part.providerName !== providerName) return undefined
  const type = call?.providerDetails?.type ?? result?.providerDetails?.type
  if (!isBuiltinItemType(type)) return undefined
  const shape = SHAPES[type]!
  const item: Json = { type, id: part.toolCallId, ...call?.providerDetails }
  if (call !== undefined) {
    if (type === "web_search_call") item.action = call.args
    else if (type === "mcp_call") {
      item.name = call.toolName
      item.arguments = typeof call.args === "string" ? call.args : JSON.stringify(call.args ?? {})
    } else Object.assign(item, pick(call.argsAsObject, shape.argsKeys))
  }
  if (result !== undefined && isRecord(result.content)) Object.assign(item, pick(result.content, shape.resultKeys))
  // the API's own item types; what came back from it goes back as it came
  return item as unknown as OpenAI.Responses.ResponseInputItem
}

/**
 * The Responses tools of the request's built-in tools, and the `include` entries that bring
 * back their results (web search sources, file search results, code interpreter outputs).
 * Options with no Responses field are ignored with a warning. `WebFetchTool` is refused by
 * the codec before this runs.
 *
 * @since 0.2.0
 * @category codecs
 */
export const encodeBuiltinTools = (
  builtinTools: ReadonlyArray<BuiltinTool>,
  warnings: Array<string>
): { readonly tools: Array<OpenAI.Responses.Tool>; readonly include: Array<OpenAI.Responses.ResponseIncludable> } => {
  const tools: Array<OpenAI.Responses.Tool> = []
  const include: Array<OpenAI.Responses.ResponseIncludable> = []
  const ignored = (tool: string, field: string) => warnings.push(`${tool}.${field} was ignored: the Responses API's tool has no such option.`)
  for (const tool of builtinTools) {
    switch (tool._tag) {
      case "WebSearchTool": {
        const wire: OpenAI.Responses.WebSearchTool = { type: "web_search" }
        if (tool.allowedDomains !== undefined) wire.filters = { allowed_domains: [...tool.allowedDomains] }
        if (tool.userLocation !== undefined) wire.user_location = { type: "approximate", ...tool.userLocation }
        if (tool.searchContextSize !== undefined) wire.search_context_size = tool.searchContextSize
        if (tool.maxUses !== undefined) ignored("WebSearchTool", "maxUses")
        if (tool.blockedDomains !== undefined) ignored("WebSearchTool", "blockedDomains")
        tools.push(wire)
        include.push("web_search_call.action.sources")
        break
      }
      case "FileSearchTool":
        tools.push({
          type: "file_search",
          vector_store_ids: [...tool.vectorStoreIds],
          ...(tool.maxNumResults !== undefined ? { max_num_results: tool.maxNumResults } : {})
        })
        include.push("file_search_call.results")
        break
      case "CodeExecutionTool":
        tools.push({ type: "code_interpreter", container: { type: "auto" } })
        include.push("code_interpreter_call.outputs")
        break
      case "McpServerTool":
        tools.push({
          type: "mcp",
          server_label: tool.name,
          server_url: tool.url,
          ...(tool.authorizationToken !== undefined ? { authorization: tool.authorizationToken } : {}),
          ...(tool.allowedTools !== undefined ? { allowed_tools: [...tool.allowedTools] } : {}),
          ...(tool.description !== undefined ? { server_description: tool.description } : {}),
          ...(tool.headers !== undefined ? { headers: { ...tool.headers } } : {}),
          require_approval: "never"
        })
        break
      case "WebFetchTool":
        break
    }
  }
  return { tools, include: [...new Set(include)] }
}
