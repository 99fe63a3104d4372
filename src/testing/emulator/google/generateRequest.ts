/**
 * The emulator's reading of a Gemini `generateContent` request body: the real API's 400 checks
 * and the responder's neutral view of the conversation, read straight off the wire JSON.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { asArray, type Json } from "../json.js"
import type { ResponderInput } from "../responder.js"

const textOfParts = (parts: unknown): string =>
  asArray(parts).flatMap((p) => (isRecord(p) && typeof p.text === "string" && p.thought !== true ? [p.text] : [])).join("\n")

/**
 * The text of the system instruction.
 *
 * @since 0.2.0
 * @category utils
 */
export const systemText = (body: Json): string => {
  const system = body.systemInstruction
  if (typeof system === "string") return system
  return isRecord(system) ? textOfParts(system.parts) : ""
}

/**
 * The responder's view of a generateContent request, read straight off the wire JSON.
 *
 * @since 0.1.0
 * @category utils
 */
export const responderInput = (body: Json, model: string): ResponderInput => {
  const contents = asArray(body.contents).filter(isRecord)
  const last = contents[contents.length - 1]
  const toolResults = last !== undefined && last.role !== "model"
    ? asArray(last.parts).flatMap((p) => {
      if (!isRecord(p) || !isRecord(p.functionResponse)) return []
      const response = p.functionResponse.response
      const value = isRecord(response) && "result" in response ? response.result : response
      return [typeof value === "string" ? value : JSON.stringify(value)]
    })
    : []
  const lastUserText = [...contents].reverse().filter((c) => c.role !== "model").map((c) => textOfParts(c.parts)).find((t) => t !== "") ?? ""
  const tools = asArray(body.tools).filter(isRecord).flatMap((t) =>
    asArray(t.functionDeclarations).filter(isRecord).map((d) => ({ name: String(d.name), parameters: d.parametersJsonSchema ?? d.parameters }))
  )
  const calling = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : undefined
  const allowed = asArray(calling?.allowedFunctionNames).filter((n): n is string => typeof n === "string")
  const toolChoice: ResponderInput["toolChoice"] =
    calling === undefined ? undefined
    : calling.mode === "NONE" ? "none"
    : calling.mode === "ANY" ? (allowed.length === 1 ? { name: allowed[0]! } : "required")
    : "auto"
  return { lastUserText, toolResults, tools, toolChoice, model }
}

const base64 = /^[A-Za-z0-9+/_-]*={0,2}$/

// inline bytes need a media type and base64 data; file data a media type and a URI
const dataProblem = (p: Record<string, unknown>, at: string): string | undefined => {
  if (p.inlineData !== undefined) {
    const blob = p.inlineData
    if (!isRecord(blob) || typeof blob.mimeType !== "string" || blob.mimeType === "") return `${at}.inline_data.mime_type: mime_type is required`
    if (typeof blob.data !== "string" || blob.data === "" || !base64.test(blob.data)) return `${at}.inline_data.data: Invalid value (bytes must be base64)`
  }
  if (p.fileData !== undefined) {
    const file = p.fileData
    if (!isRecord(file) || typeof file.fileUri !== "string" || file.fileUri === "") return `${at}.file_data.file_uri: file_uri is required`
    if (typeof file.mimeType !== "string" || file.mimeType === "") return `${at}.file_data.mime_type: mime_type is required`
  }
  return undefined
}

/**
 * What the request gets wrong, as the real API would reject it (400 INVALID_ARGUMENT).
 *
 * @since 0.2.0
 * @category utils
 */
export const validateGenerateBody = (body: unknown): string | undefined => {
  if (!isRecord(body)) return "Invalid JSON payload received."
  const contents = asArray(body.contents)
  if (contents.length === 0) return "* GenerateContentRequest.contents: contents is not specified"
  for (const [i, c] of contents.entries()) {
    if (!isRecord(c)) return `* GenerateContentRequest.contents[${i}]: must be an object`
    if (c.role !== undefined && c.role !== "user" && c.role !== "model") return `Please use a valid role: user, model. (contents[${i}].role)`
    const parts = asArray(c.parts)
    if (parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`
    for (const [j, p] of parts.entries()) {
      if (!isRecord(p)) return `* GenerateContentRequest.contents[${i}].parts[${j}]: must be an object`
      if (isRecord(p.functionResponse) && (typeof p.functionResponse.name !== "string" || p.functionResponse.name === "")) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response.name: Name cannot be empty.`
      }
      if (isRecord(p.functionCall) && !isRecord(p.functionCall.args ?? {})) return `* GenerateContentRequest.contents[${i}].parts[${j}].function_call.args: must be an object`
      const data = dataProblem(p, `* GenerateContentRequest.contents[${i}].parts[${j}]`)
      if (data !== undefined) return data
    }
  }
  const config = isRecord(body.generationConfig) ? body.generationConfig : {}
  if ((config.responseJsonSchema !== undefined || config.responseSchema !== undefined) && config.responseMimeType !== "application/json") {
    return "* GenerateContentRequest.generation_config.response_mime_type: must be application/json when a response schema is set"
  }
  const calling = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : undefined
  if (calling?.mode === "ANY" && asArray(body.tools).length === 0) return "* GenerateContentRequest.tool_config.function_calling_config: function calling mode ANY needs tools"
  return undefined
}
