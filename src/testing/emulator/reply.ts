/**
 * How the emulator writes an answer: delays, faults (reset, hang, malformed JSON, a truncated
 * stream), SSE frames one write each, JSON or text.
 *
 * @since 0.2.0
 */
import type * as http from "node:http"
import type { Scripted } from "./route.js"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Writes `answer` to `res`; `done` runs once the whole answer is written (never for a fault
 * that cuts it short).
 *
 * @since 0.2.0
 * @category utils
 */
export const reply = async (req: http.IncomingMessage, res: http.ServerResponse, answer: Scripted, done: () => void): Promise<void> => {
  if (answer.delayMs) await sleep(answer.delayMs)
  if (res.destroyed) return
  switch (answer.fault) {
    case "reset":
      req.socket.destroy()
      return
    case "hang":
      return
    case "malformed-json":
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
      res.end("{\"id\": \"oops\", this is not json", done)
      return
    default:
      break
  }
  if (answer.sse !== undefined) {
    res.writeHead(answer.status ?? 200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...answer.headers })
    const frames = answer.fault === "truncate" ? answer.sse.slice(0, Math.ceil(answer.sse.length / 2)) : answer.sse
    for (const frame of frames) {
      if (res.destroyed) return
      res.write(frame)
      if (answer.chunkDelayMs) await sleep(answer.chunkDelayMs)
    }
    if (answer.fault === "truncate") {
      req.socket.destroy()
      return
    }
    res.end(done)
    return
  }
  if (answer.json !== undefined) {
    res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
    res.end(JSON.stringify(answer.json), done)
    return
  }
  res.writeHead(answer.status ?? 200, { "content-type": "text/plain", ...answer.headers })
  res.end(answer.text ?? "", done)
}

/**
 * Writes a JSON answer with a status (the server's own answers: no route, a bad Azure path).
 *
 * @since 0.2.0
 * @category utils
 */
export const replyJson = (res: http.ServerResponse, status: number, json: unknown, done: () => void): void => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(json), done)
}
