/**
 * The emulator's Responses built-in tools and input checks: the output items a request that
 * offers built-in tools (`web_search`, `file_search`, `code_interpreter`, `mcp`) gets before its
 * answer, one per tool (two for an MCP server: its `mcp_list_tools`, then an `mcp_call`), and
 * the API's 400 checks of user content (`input_text`, `input_image`, `input_file`; no audio).
 * Results are filled in as the request's `include` asks: web search sources
 * (`web_search_call.action.sources`), file search results (`file_search_call.results`), code
 * interpreter outputs (`code_interpreter_call.outputs`); MCP results always.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"

type Json = Record<string, unknown>

/**
 * A built-in tool's output item, as `response.output_item.added` announces it and as it is done.
 *
 * @since 0.2.0
 * @category models
 */
export interface BuiltinItem {
  readonly added: Json
  readonly done: Json
}

/**
 * The built-in tool items of a request's answer, in the order of its `tools`; none for a
 * request without built-in tools.
 *
 * @since 0.2.0
 * @category utils
 */
export const builtinItems = (body: Json, id: string, query: string): Array<BuiltinItem> => {
  const include = Array.isArray(body.include) ? body.include : []
  const q = query.slice(0, 80) || "the question"
  const items: Array<BuiltinItem> = []
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : []
  tools.forEach((tool, n) => {
    const suffix = `${id}_${n}`
    switch (tool.type) {
      case "web_search":
      case "web_search_preview":
      case "web_search_2025_08_26": {
        const sources = include.includes("web_search_call.action.sources") ? { sources: [{ type: "url", url: "https://example.com/emulated-search-result" }] } : {}
        items.push({
          added: { id: `ws_${suffix}`, type: "web_search_call", status: "in_progress" },
          done: { id: `ws_${suffix}`, type: "web_search_call", status: "completed", action: { type: "search", query: q, ...sources } }
        })
        break
      }
      case "file_search":
        items.push({
          added: { id: `fs_${suffix}`, type: "file_search_call", status: "in_progress", queries: [], results: null },
          done: {
            id: `fs_${suffix}`,
            type: "file_search_call",
            status: "completed",
            queries: [q],
            results: include.includes("file_search_call.results")
              ? [{ file_id: "file-emulated", filename: "emulated.txt", score: 0.9, text: `A passage about ${q}.`, attributes: {} }]
              : null
          }
        })
        break
      case "code_interpreter":
        items.push({
          added: { id: `ci_${suffix}`, type: "code_interpreter_call", status: "in_progress", code: "", container_id: `cntr_${id}`, outputs: null },
          done: {
            id: `ci_${suffix}`,
            type: "code_interpreter_call",
            status: "completed",
            code: "print(2 + 2)",
            container_id: `cntr_${id}`,
            outputs: include.includes("code_interpreter_call.outputs") ? [{ type: "logs", logs: "4\n" }] : null
          }
        })
        break
      case "mcp": {
        const label = typeof tool.server_label === "string" ? tool.server_label : "mcp"
        const allowed = Array.isArray(tool.allowed_tools) ? tool.allowed_tools.filter((t): t is string => typeof t === "string") : []
        const name = allowed[0] ?? "echo"
        const list = {
          id: `mcpl_${suffix}`,
          type: "mcp_list_tools",
          server_label: label,
          tools: [{ name, input_schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, description: "An emulated MCP tool: echoes its text.", annotations: null }]
        }
        items.push({ added: { ...list, tools: [] }, done: list })
        const call = { id: `mcp_${suffix}`, type: "mcp_call", approval_request_id: null, arguments: JSON.stringify({ text: q }), error: null, name, output: `echo: ${q}`, server_label: label, status: "completed" }
        items.push({ added: { ...call, arguments: "", output: null, status: "in_progress" }, done: call })
        break
      }
      default:
        break
    }
  })
  return items
}

const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[\w.-]+)*;base64,[A-Za-z0-9+/]*={0,2}$/

/**
 * What the API says of a user content part it refuses; `undefined` when the part is fine.
 *
 * @since 0.2.0
 * @category utils
 */
export const inputContentProblem = (part: unknown): string | undefined => {
  if (!isRecord(part)) return "Invalid type for content part: expected an object."
  switch (part.type) {
    case "input_text":
      return typeof part.text === "string" ? undefined : "Missing required parameter: 'text'."
    case "input_image":
      return typeof part.image_url === "string" || typeof part.file_id === "string" ? undefined : "Invalid 'input_image': one of 'image_url' or 'file_id' must be provided."
    case "input_file":
      if (typeof part.file_id === "string" || typeof part.file_url === "string") return undefined
      if (typeof part.file_data !== "string") return "Invalid 'input_file': one of 'file_id', 'file_url' or 'file_data' must be provided."
      if (!DATA_URL.test(part.file_data)) return "Invalid 'input_file.file_data': expected a base64-encoded data URL."
      return typeof part.filename === "string" && part.filename !== "" ? undefined : "Missing required parameter: 'filename' (required with 'file_data')."
    default:
      return `Invalid value: '${String(part.type)}'. Supported values are: 'input_text', 'input_image', and 'input_file'.`
  }
}
