/**
 * The emulator in a process of its own, so that its work (parsing requests, writing JSON and SSE)
 * runs on the other core and is not charged to the contenders. Started by lib/emulator.ts: prints
 * one JSON line with its URLs on stdout, then serves until SIGTERM, SIGINT, or its stdin closing
 * (the parent died), whichever comes first.
 *
 * A line on stdin asks it to settle before a measurement (lib/emulator.ts `settle`): `settle`
 * runs a full collection, `settle forget-batches` first forgets every batch and file (a
 * submission's batch is never read again), then it prints `settled`. Without it the
 * emulator's heap grows by every submitted batch and holds the last contender's garbage, and its
 * next full collection lands in whichever measurement happens to be running.
 */
import { createInterface } from "node:readline"
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
createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, option] = line.trim().split(" ")
  if (command !== "settle") return
  if (option === "forget-batches") {
    emulator.openaiBatches.reset()
    emulator.anthropicBatches.reset()
    emulator.googleBatches.reset()
  }
  emulator.requests.length = 0
  emulator.aborted.length = 0
  ;(globalThis as { gc?: () => void }).gc?.()
  process.stdout.write("settled\n")
})

process.stdout.write(`${JSON.stringify({ url: emulator.url, openaiBaseURL: emulator.openaiBaseURL, anthropicBaseURL: emulator.anthropicBaseURL, googleBaseURL: emulator.googleBaseURL })}\n`)
