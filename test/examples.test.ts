/**
 * Every example runs against the emulator and checks its own output (see examples/_support.ts);
 * the demo runs as `npm run demo` would, in a child process.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { disposeAll } from "../src/direct.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { useEmulator } from "../examples/_support.js"

// the emulator's batches finish after this many status checks (0: at create)
const examples: ReadonlyArray<readonly [string, number]> = [
  ["direct-basic", 0],
  ["direct-tools", 0],
  ["direct-stream", 0],
  ["promise-forms", 0],
  ["effect-request", 0],
  ["batch-basic", 2],
  ["batch-quick-start", 0],
  ["batch-timeout", 0],
  ["batch-manual-cancel", 0],
  ["batch-tools", 0],
  ["batch-results-handling", 0],
  ["batch-custom-polling", 0],
  ["batch-properties", 0],
  ["batch-progress", 3],
  ["batch-resume", 3],
  ["batch-workflow", 3],
  ["structured-output", 0],
  ["openai-batch-module", 0],
  ["instrumentation", 0],
  ["batch-instrumented", 0]
]

let emulator: Emulator
let restore: () => void
beforeAll(async () => {
  emulator = await startEmulator()
  restore = useEmulator(emulator)
})
afterAll(async () => {
  await disposeAll()
  restore()
  await emulator.close()
})

describe("examples", () => {
  for (const [name, statusCalls] of examples) {
    it(name, async () => {
      emulator.openaiBatches.lifecycle = { statusCalls }
      emulator.anthropicBatches.lifecycle = { statusCalls }
      const mod = (await import(`../examples/${name}.ts`)) as { main: () => Promise<void> }
      await mod.main()
    })
  }

  it("npm run demo prints a request, a stream and a batch with progress per provider, with no key", async () => {
    const env = { ...process.env }
    for (const v of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]) delete env[v]
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/demo.ts"], { env, timeout: 60_000 })
    expect(stdout).toMatch(/=== openai:gpt-4o-mini\nrequest  → The capital of France is Paris\./)
    expect(stdout).toMatch(/=== anthropic:claude-haiku-4-5\nrequest  → The capital of France is Paris\./)
    expect(stdout.match(/stream   → Albert Einstein was a German-born theoretical physicist\./g)?.length).toBe(2)
    expect(stdout.match(/batch    → \S+ submitted with 4 requests/g)?.length).toBe(2)
    expect(stdout.match(/\[#+\.+\] [123]\/4 in_progress/g)?.length ?? 0).toBeGreaterThanOrEqual(2)
    expect(stdout.match(/\[#{30}\] 4\/4 completed/g)?.length).toBe(2)
    expect(stdout.match(/q2: The square root of 144 is 12\./g)?.length).toBe(2)
  }, 60_000)
})
