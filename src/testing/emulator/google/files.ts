/**
 * Gemini's Files API on the emulator, as batch mode uses it: the resumable upload of
 * `POST /upload/v1beta/files` (a start call, then data calls, the last one finalizing) and
 * `GET /v1beta/files/{id}:download?alt=media`.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Handler } from "../route.js"
import { googleError, nextId } from "./http.js"
import type { GoogleState } from "./state.js"

/**
 * The Files API handlers of one emulator.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fileHandlers = (state: GoogleState) => {
  const { context, files, uploads } = state
  const uploadFile: Handler = (request) => {
    const command = (request.headers["x-goog-upload-command"] ?? "").toLowerCase()
    if (command === "start") {
      const meta = isRecord(request.body) && isRecord(request.body.file) ? request.body.file : {}
      const uploadId = nextId(context, "up")
      const name = typeof meta.name === "string" ? meta.name : `files/${nextId(context, "file").replace(/[^a-z0-9]/g, "")}`
      uploads.set(uploadId, name)
      files.set(name, { name, mimeType: String(request.headers["x-goog-upload-header-content-type"] ?? meta.mimeType ?? "application/octet-stream"), data: undefined })
      return { json: {}, headers: { "x-goog-upload-url": `${context.url()}/upload/v1beta/files?upload_id=${uploadId}`, "x-goog-upload-status": "active" } }
    }
    const name = uploads.get(request.query.get("upload_id") ?? "")
    const file = name !== undefined ? files.get(name) : undefined
    if (file === undefined) return googleError(404, "no such upload")
    file.data = Buffer.concat([file.data ?? Buffer.alloc(0), request.rawBody])
    if (!command.includes("finalize")) return { json: {}, headers: { "x-goog-upload-status": "active" } }
    return {
      json: {
        file: {
          name: file.name,
          mimeType: file.mimeType,
          sizeBytes: String(file.data.length),
          uri: `${context.url()}/v1beta/${file.name}`,
          state: "ACTIVE",
          createTime: new Date().toISOString()
        }
      },
      headers: { "x-goog-upload-status": "final" }
    }
  }

  const downloadFile: Handler = (request) => {
    const file = files.get(`files/${request.params.id ?? ""}`)
    if (file === undefined || file.data === undefined) return googleError(404, `File files/${request.params.id} not found.`)
    return { text: file.data.toString("utf8"), headers: { "content-type": "application/octet-stream" } }
  }

  return { uploadFile, downloadFile }
}
