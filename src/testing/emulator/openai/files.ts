/**
 * OpenAI's Files API on the emulator: `POST /v1/files` (multipart uploads, validated like the
 * real API's), `GET /v1/files/:id`, `GET /v1/files/:id/content` (a result file written a group
 * of lines at a time) and `DELETE /v1/files/:id`.
 *
 * @since 0.2.0
 */
import type { Handler } from "../route.js"
import { openAiError, responseHeaders } from "./http.js"
import { nextId, now, type OpenAiState, type StoredFile } from "./state.js"

type Json = Record<string, unknown>

const fileJson = (f: StoredFile): Json => ({
  id: f.id,
  object: "file",
  bytes: f.bytes,
  created_at: f.createdAt,
  filename: f.filename,
  purpose: f.purpose,
  status: "processed",
  status_details: null
})

/**
 * The 404 of an unknown file or batch.
 *
 * @since 0.2.0
 * @category constructors
 */
export const notFound = (what: string, id: string) => openAiError(404, `No ${what} found with id '${id}'.`, { type: "invalid_request_error" })

/**
 * The Files API handlers of one emulator (the key is checked by the routes).
 *
 * @since 0.2.0
 * @category constructors
 */
export const fileHandlers = (state: OpenAiState) => {
  const { files } = state
  const uploadFile: Handler = async (request) => {
    const type = request.headers["content-type"] ?? ""
    if (!type.startsWith("multipart/form-data")) return openAiError(400, "The request must be multipart/form-data.")
    // the web Response parses multipart bodies (Node has no other built-in parser)
    const form = await new Response(new Uint8Array(request.rawBody), { headers: { "content-type": type } }).formData()
    const file = form.get("file")
    const purpose = form.get("purpose")
    if (file === null || typeof file === "string") return openAiError(400, "Missing required parameter: 'file'.", { param: "file" })
    if (typeof purpose !== "string") return openAiError(400, "Missing required parameter: 'purpose'.", { param: "purpose" })
    if (!["assistants", "batch", "fine-tune", "vision", "user_data", "evals"].includes(purpose)) {
      return openAiError(400, `Invalid value for 'purpose': '${purpose}'.`, { param: "purpose", code: "invalid_value" })
    }
    const filename = (file as File).name ?? "upload"
    if (purpose === "batch" && !filename.endsWith(".jsonl")) {
      return openAiError(400, "Invalid file format for Batch API. Must be .jsonl", { param: "file" })
    }
    const raw = Buffer.from(await file.arrayBuffer())
    const id = nextId(state, "file-")
    const stored: StoredFile = { id, filename, purpose, createdAt: now(), bytes: raw.length, raw }
    files.set(id, stored)
    return { headers: responseHeaders(state.context), json: fileJson(stored) }
  }

  const retrieveFile: Handler = (request) => {
    const f = files.get(request.params.id ?? "")
    return f === undefined ? notFound("file", request.params.id ?? "") : { headers: responseHeaders(state.context), json: fileJson(f) }
  }

  const fileContent: Handler = (request) => {
    const f = files.get(request.params.id ?? "")
    if (f === undefined) return notFound("file", request.params.id ?? "")
    const headers = { ...responseHeaders(state.context), "content-type": "application/octet-stream" }
    if (f.chunks !== undefined) {
      // written a group of lines at a time (the SSE writer sends frames as they are)
      return { headers, sse: f.chunks, ...(f.chunkDelayMs !== undefined ? { chunkDelayMs: f.chunkDelayMs } : {}) }
    }
    return { headers, text: (f.raw ?? Buffer.alloc(0)).toString("utf8") }
  }

  const deleteFile: Handler = (request) => {
    const id = request.params.id ?? ""
    if (!files.delete(id)) return notFound("file", id)
    return { headers: responseHeaders(state.context), json: { id, object: "file", deleted: true } }
  }

  return { uploadFile, retrieveFile, fileContent, deleteFile }
}
