/**
 * The emulator's reading of a Messages API request body: the real API's 400 checks
 * (`output_config.format` schemas included), the JSON Schema an answer must follow, and the
 * responder's neutral view of the conversation, read straight off the wire JSON.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { asArray, type Json } from "../json.js"
import { type ResponderInput, schemaInText } from "../responder.js"
import { countBreakpoints, ttlOrderProblem } from "./features.js"

/**
 * The text of a wire `content` (a string or blocks); only `text` blocks count.
 *
 * @since 0.2.0
 * @category utils
 */
export const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : asArray(content).flatMap((b) => (isRecord(b) && b.type === "text" && typeof b.text === "string" ? [b.text] : [])).join("\n")

/**
 * The responder's view of a Messages API request, read straight off the wire JSON.
 *
 * @since 0.1.0
 * @category utils
 */
export const responderInput = (body: Json): ResponderInput => {
  const messages = asArray(body.messages).filter(isRecord)
  const users = messages.filter((m) => m.role === "user")
  const last = messages[messages.length - 1]
  // tool results only count when they are the newest turn (after the last assistant tool call)
  const toolResults = last !== undefined && last.role === "user"
    ? asArray(last.content).flatMap((b) => (isRecord(b) && b.type === "tool_result" ? [textOf(b.content)] : []))
    : []
  const lastUserText = [...users].reverse().map((m) => textOf(m.content)).find((t) => t !== "") ?? ""
  // server tools (typed `web_search_20250305`, ...) are the API's to run, not the responder's to call
  const tools = asArray(body.tools).filter(isRecord).filter((t) => t.type === undefined || t.type === "custom").map((t) => ({ name: String(t.name), parameters: t.input_schema }))
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined
  const toolChoice: ResponderInput["toolChoice"] =
    choice === undefined ? undefined
    : choice.type === "any" ? "required"
    : choice.type === "none" ? "none"
    : choice.type === "tool" ? { name: String(choice.name) }
    : "auto"
  return { lastUserText, toolResults, tools, toolChoice, model: String(body.model ?? "") }
}

/**
 * What the request is missing or gets wrong, as the real API would reject it (400).
 *
 * @since 0.2.0
 * @category utils
 */
export const validateMessagesBody = (body: unknown): string | undefined => {
  if (!isRecord(body)) return "request body must be a JSON object"
  if (typeof body.model !== "string" || body.model === "") return "model: Field required"
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Field required"
  const messages = asArray(body.messages)
  if (messages.length === 0) return "messages: at least one message is required"
  let previousToolUses: ReadonlyArray<string> = []
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || (m.role !== "user" && m.role !== "assistant")) return `messages.${i}.role: Input should be 'user' or 'assistant'`
    if (typeof m.content !== "string" && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`
    const blocks = asArray(m.content).filter(isRecord)
    for (const [j, b] of blocks.entries()) {
      if (b.type === "text" && (typeof b.text !== "string" || b.text === "")) return `messages.${i}.content.${j}.text: text content blocks must be non-empty`
      if (b.type === "tool_use" && !isRecord(b.input)) return `messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`
      if (b.type === "thinking" && typeof b.signature !== "string") return `messages.${i}.content.${j}.thinking.signature: Field required`
      if (b.type === "redacted_thinking" && typeof b.data !== "string") return `messages.${i}.content.${j}.redacted_thinking.data: Field required`
      if (b.type === "document") {
        const problem = documentProblem(b.source)
        if (problem !== undefined) return `messages.${i}.content.${j}.document.source${problem}`
      }
      if ((b.type === "server_tool_use" || b.type === "mcp_tool_use") && (typeof b.id !== "string" || typeof b.name !== "string")) {
        return `messages.${i}.content.${j}.${String(b.type)}: id and name are required`
      }
    }
    if (m.role === "user" && previousToolUses.length > 0) {
      const results = new Set(blocks.flatMap((b) => (b.type === "tool_result" ? [String(b.tool_use_id)] : [])))
      const missing = previousToolUses.filter((id) => !results.has(id))
      if (missing.length > 0) return `messages.${i}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(", ")}`
      const firstOther = blocks.findIndex((b) => b.type !== "tool_result")
      if (firstOther !== -1 && blocks.slice(firstOther).some((b) => b.type === "tool_result")) return `messages.${i}: tool_result blocks must come first in the content`
    }
    previousToolUses = m.role === "assistant" ? blocks.flatMap((b) => (b.type === "tool_use" ? [String(b.id)] : [])) : []
  }
  if (isRecord(body.tool_choice) && ["any", "tool"].includes(String(body.tool_choice.type)) && asArray(body.tools).length === 0) {
    return "tool_choice: may only be specified while providing tools"
  }
  if (isRecord(body.thinking) && body.thinking.type !== "disabled" && isRecord(body.tool_choice) && ["any", "tool"].includes(String(body.tool_choice.type))) {
    return "Thinking may not be enabled when tool_choice forces tool use."
  }
  const breakpoints = countBreakpoints(body)
  if (breakpoints > 4) return `A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.`
  const ttlProblem = breakpoints > 1 ? ttlOrderProblem(body) : undefined
  if (ttlProblem !== undefined) return ttlProblem
  return validateOutputConfig(body.output_config)
}

/** What is wrong with a document block's source, as a path suffix and message; undefined when nothing. */
const documentProblem = (source: unknown): string | undefined => {
  if (!isRecord(source)) return ": Field required"
  switch (source.type) {
    case "base64":
      if (source.media_type !== "application/pdf") return ".media_type: Input should be 'application/pdf'"
      return typeof source.data === "string" && source.data !== "" ? undefined : ".data: Field required"
    case "text":
      if (source.media_type !== "text/plain") return ".media_type: Input should be 'text/plain'"
      return typeof source.data === "string" ? undefined : ".data: Field required"
    case "url":
      return typeof source.url === "string" && /^https?:\/\//.test(source.url) ? undefined : ".url: Input should be a valid URL"
    case "content":
    case "file":
      return undefined
    default:
      return ".type: Input should be 'base64', 'text', 'content', 'url' or 'file'"
  }
}

/** The structured-outputs checks of `output_config.format`, after the API's documented limits. */
const validateOutputConfig = (config: unknown): string | undefined => {
  if (config === undefined) return undefined
  if (!isRecord(config)) return "output_config: Input should be a valid dictionary"
  const format = config.format
  if (format === undefined || format === null) return undefined
  if (!isRecord(format) || format.type !== "json_schema") return "output_config.format.type: Input should be 'json_schema'"
  if (!isRecord(format.schema)) return "output_config.format.schema: Field required"
  const visit = (node: unknown, path: string): string | undefined => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) {
        const found = visit(item, `${path}.${i}`)
        if (found !== undefined) return found
      }
      return undefined
    }
    if (!isRecord(node)) return undefined
    if ((node.type === "object" || isRecord(node.properties)) && node.additionalProperties !== false) {
      return `output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false (at ${path})`
    }
    for (const keyword of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength"]) {
      if (typeof node[keyword] === "number") return `output_config.format.schema: '${keyword}' is not supported (at ${path})`
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "default") continue
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          const found = visit(sub, `${path}.properties.${name}`)
          if (found !== undefined) return found
        }
        continue
      }
      const found = visit(value, `${path}.${key}`)
      if (found !== undefined) return found
    }
    return undefined
  }
  return visit(format.schema, "$")
}

/**
 * The JSON Schema the answer must follow: `output_config.format` (or the deprecated beta
 * `output_format`), else a schema in the system prompt, as prompted output puts it there.
 *
 * @since 0.2.0
 * @category utils
 */
export const outputSchemaOf = (body: Json): unknown => {
  const format = isRecord(body.output_config) && isRecord(body.output_config.format) ? body.output_config.format : isRecord(body.output_format) ? body.output_format : undefined
  if (format !== undefined && format.type === "json_schema") return format.schema ?? {}
  return schemaInText(textOf(body.system))
}
