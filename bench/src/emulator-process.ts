/**
 * The emulator in a process of its own, so that its work (parsing requests, writing JSON and SSE)
 * runs on the other core and is not charged to the contenders. Started by lib/emulator.ts: prints
 * one JSON line with its URLs on stdout, then serves until SIGTERM, SIGINT, or its stdin closing
 * (the parent died), whichever comes first.
 */
import { startEmulator } from "effect-llm-direct/testing"

const emulator = await startEmulator()

// The emulator records every request for tests to inspect; a benchmark sends tens of thousands,
// so forget them regularly to keep this process's memory flat.
const forget = setInterval(() => {
  emulator.requests.length = 0
  emulator.aborted.length = 0
}, 500)

let closing = false
const shutdown = () => {
  if (closing) return
  closing = true
  clearInterval(forget)
  const hard = setTimeout(() => process.exit(0), 2_000)
  hard.unref()
  void emulator.close().finally(() => process.exit(0))
}
process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)
process.stdin.on("end", shutdown)
process.stdin.on("close", shutdown)
process.stdin.resume()

process.stdout.write(`${JSON.stringify({ url: emulator.url, openaiBaseURL: emulator.openaiBaseURL, anthropicBaseURL: emulator.anthropicBaseURL, googleBaseURL: emulator.googleBaseURL })}\n`)
