/**
 * Pending mode across three processes sharing a file-system `KeyValueStore` (each a real
 * `node` process running test/helpers/batched-pending-process.ts through the OpenAI SDK against
 * this file's emulator): the first submits and fails every call with BatchPendingError, with no
 * direct call; the second, once the batch has ended, returns every response and creates no
 * batch; the third makes no provider call at all.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { TEST_KEY } from "./helpers/openai.js"
import { callsTo, KEYS, useBatchEmulator } from "./helpers/openai-batch.js"

const { emulator, batches } = useBatchEmulator()
const run = promisify(execFile)
const script = path.join(import.meta.dirname, "helpers", "batched-pending-process.ts")

const runProcess = async (directory: string) => {
  const { stdout } = await run(process.execPath, ["--import", "tsx", script, directory], {
    env: { ...process.env, OPENAI_API_KEY: TEST_KEY, OPENAI_BASE_URL: emulator().openaiBaseURL },
    timeout: 60_000
  })
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as { answered: number; pending: number; other: ReadonlyArray<string> }
}

describe("BatchedLanguageModel: pending mode", () => {
  it("three processes: submit and fail pending; read every response once the batch ended; then no provider call", async () => {
    // the batch ends at its first status call, which only the second process makes
    batches().lifecycle = { statusCalls: 1 }
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "batched-pending-"))
    try {
      const first = await runProcess(directory)
      expect(first).toEqual({ answered: 0, pending: 50, other: [] })
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(batches().batches()[0]!.customIds.length).toBe(50)
      expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(0)
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(0)

      const second = await runProcess(directory)
      expect(second).toEqual({ answered: 50, pending: 0, other: [] })
      expect(callsTo(emulator(), KEYS.createBatch)).toBe(1)
      expect(callsTo(emulator(), KEYS.retrieveBatch)).toBe(1)
      expect(callsTo(emulator(), "POST /v1/chat/completions")).toBe(0)

      const before = emulator().requests.length
      const third = await runProcess(directory)
      expect(third).toEqual({ answered: 50, pending: 0, other: [] })
      expect(emulator().requests.length).toBe(before)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 120_000)
})
