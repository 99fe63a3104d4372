/**
 * The emulator's reading of a Chat Completions request body: the real API's 400 checks
 * (`response_format` strict schemas included), the JSON Schema an answer must follow, and the
 * responder's neutral view of the conversation. Read by hand off the wire JSON, never through
 * this library's codecs.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { type ResponderInput, schemaInText } from "../responder.js"
import type { Scripted } from "../route.js"
import { openAiError } from "./http.js"

type Json = Record<string, unknown>

/**
 * The text of a message's content: a string, or its text parts joined by newlines.
 *
 * @since 0.2.0
 * @category utils
 */
export const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.flatMap((p) => (isRecord(p) && p.type === "text" && typeof p.text === "string" ? [p.text] : [])).join("\n")
  }
  return ""
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"])

/**
 * What the real API rejects with 400 before any model runs; undefined when the body is fine.
 *
 * @since 0.2.0
 * @category utils
 */
export const validateChatBody = (body: unknown): Scripted | undefined => {
  const bad = (message: string, param: string | null) => openAiError(400, message, { param, code: param === null ? null : "invalid_value" })
  if (!isRecord(body)) return bad("We could not parse the JSON body of your request.", null)
  if (typeof body.model !== "string" || body.model === "") return bad("you must provide a model parameter", "model")
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("'messages' must be a non-empty array.", "messages")
  for (const [i, m] of body.messages.entries()) {
    if (!isRecord(m) || typeof m.role !== "string" || !ROLES.has(m.role)) return bad(`Invalid value for 'role' at messages[${i}].`, `messages[${i}].role`)
    if (m.role === "tool" && typeof m.tool_call_id !== "string") return bad(`Missing required parameter: 'messages[${i}].tool_call_id'.`, `messages[${i}].tool_call_id`)
    if (m.role === "assistant" && m.content == null && !Array.isArray(m.tool_calls)) {
      return bad(`Invalid value for 'content': expected a string, got null (messages[${i}]).`, `messages[${i}].content`)
    }
    if (m.role === "user" && Array.isArray(m.content)) {
      for (const [j, part] of m.content.entries()) {
        const problem = contentPartProblem(part)
        if (problem !== undefined) return bad(problem, `messages[${i}].content[${j}]`)
      }
    }
  }
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0
  if (body.tool_choice !== undefined && !hasTools) return bad("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice")
  if (body.parallel_tool_calls !== undefined && !hasTools) return bad("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.", "parallel_tool_calls")
  if (body.stream_options !== undefined && body.stream !== true) return bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
  if (body.max_tokens !== undefined && body.max_completion_tokens !== undefined) {
    return bad("max_tokens and max_completion_tokens cannot both be set.", "max_tokens")
  }
  return validateResponseFormat(body.response_format)
}

const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[\w.-]+)*;base64,[A-Za-z0-9+/]*={0,2}$/

/**
 * What the real API says of a user content part it refuses (text, `image_url`, `input_audio`
 * of WAV or MP3 base64, `file` by `file_id` or by a base64 `file_data` URL with a `filename`).
 */
const contentPartProblem = (part: unknown): string | undefined => {
  if (!isRecord(part)) return "Invalid type for content part: expected an object."
  switch (part.type) {
    case "text":
      return typeof part.text === "string" ? undefined : "Missing required parameter: 'text'."
    case "image_url":
      return isRecord(part.image_url) && typeof part.image_url.url === "string" ? undefined : "Missing required parameter: 'image_url.url'."
    case "input_audio": {
      const audio = part.input_audio
      if (!isRecord(audio) || typeof audio.data !== "string") return "Missing required parameter: 'input_audio.data'."
      if (audio.format !== "wav" && audio.format !== "mp3") return `Invalid value: '${String(audio.format)}'. Supported values are: 'wav' and 'mp3'.`
      return /^[A-Za-z0-9+/]*={0,2}$/.test(audio.data) ? undefined : "Invalid 'input_audio.data': expected base64-encoded audio."
    }
    case "file": {
      const file = part.file
      if (!isRecord(file)) return "Missing required parameter: 'file'."
      if (typeof file.file_id === "string") return undefined
      if (typeof file.file_data !== "string") return "Invalid 'file': one of 'file_id' or 'file_data' must be provided."
      if (!DATA_URL.test(file.file_data)) return "Invalid 'file.file_data': expected a base64-encoded data URL."
      return typeof file.filename === "string" && file.filename !== "" ? undefined : "Missing required parameter: 'file.filename'."
    }
    default:
      return `Invalid value: '${String(part.type)}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.`
  }
}

/** The real API's checks of a `response_format`, strict json_schema rules included (400 otherwise). */
const validateResponseFormat = (format: unknown): Scripted | undefined => {
  if (format === undefined) return undefined
  const bad = (message: string, code = "invalid_value") => openAiError(400, message, { param: "response_format", code })
  if (!isRecord(format) || !["text", "json_object", "json_schema"].includes(String(format.type))) {
    return bad("Invalid value for 'response_format.type': expected one of 'text', 'json_object' or 'json_schema'.")
  }
  if (format.type !== "json_schema") return undefined
  const spec = format.json_schema
  if (!isRecord(spec) || typeof spec.name !== "string") return bad("Missing required parameter: 'response_format.json_schema.name'.", "missing_required_parameter")
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) return bad(`Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`)
  if (spec.schema !== undefined && !isRecord(spec.schema)) return bad("Invalid type for 'response_format.json_schema.schema': expected an object.", "invalid_type")
  if (spec.strict === true) {
    const problem = strictSchemaProblem(isRecord(spec.schema) ? spec.schema : {})
    if (problem !== undefined) return bad(`Invalid schema for response_format '${spec.name}': ${problem}`, "invalid_json_schema")
  }
  return undefined
}

/** What OpenAI's strict mode refuses in a schema (written after its error messages). */
const strictSchemaProblem = (schema: Json): string | undefined => {
  if (schema.type !== "object") return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema.type ?? "None")}"'.`
  const visit = (node: unknown, context: ReadonlyArray<string>): string | undefined => {
    if (Array.isArray(node)) {
      for (const item of node) {
        const found = visit(item, context)
        if (found !== undefined) return found
      }
      return undefined
    }
    if (!isRecord(node)) return undefined
    const where = `In context=(${context.map((c) => `'${c}'`).join(", ")})`
    for (const keyword of ["minLength", "maxLength", "uniqueItems", "patternProperties", "allOf", "oneOf", "not"]) {
      if (keyword in node) return `${where}, '${keyword}' is not permitted.`
    }
    if (node.type === "object" || isRecord(node.properties)) {
      if (node.additionalProperties !== false) return `${where}, 'additionalProperties' is required to be supplied and to be false.`
      const keys = Object.keys(isRecord(node.properties) ? node.properties : {})
      const required = Array.isArray(node.required) ? node.required : []
      const missing = keys.filter((k) => !required.includes(k))
      if (missing.length > 0) return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "default") continue
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          const found = visit(sub, [...context, "properties", name])
          if (found !== undefined) return found
        }
        continue
      }
      const found = visit(value, [...context, key])
      if (found !== undefined) return found
    }
    return undefined
  }
  return visit(schema, [])
}

/**
 * The JSON Schema the answer must follow: the json_schema `response_format`, else a schema in
 * the system (or developer) messages, as prompted output puts it there.
 *
 * @since 0.2.0
 * @category utils
 */
export const outputSchemaOf = (body: Json): unknown => {
  const format = body.response_format
  if (isRecord(format) && format.type === "json_schema" && isRecord(format.json_schema)) return format.json_schema.schema ?? {}
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : []
  return schemaInText(messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content)).join("\n"))
}

/**
 * The responder's view of a chat request, built from the wire JSON.
 *
 * @since 0.1.0
 * @category utils
 */
export const responderInput = (body: Json): ResponderInput => {
  const messages = (body.messages as Array<Json>) ?? []
  let lastUser = -1
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i
  })
  const toolResults = messages.slice(lastUser + 1).flatMap((m) => (m.role === "tool" ? [textOf(m.content)] : []))
  const tools = (Array.isArray(body.tools) ? body.tools : []).flatMap((t) =>
    isRecord(t) && t.type === "function" && isRecord(t.function) && typeof t.function.name === "string"
      ? [{ name: t.function.name, parameters: t.function.parameters }]
      : []
  )
  const choice = body.tool_choice
  const toolChoice: ResponderInput["toolChoice"] =
    choice === "auto" || choice === "none" || choice === "required"
      ? choice
      : isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === "string"
        ? { name: choice.function.name }
        : undefined
  return {
    lastUserText: lastUser >= 0 ? textOf(messages[lastUser]!.content) : "",
    toolResults,
    tools,
    toolChoice,
    model: String(body.model)
  }
}
