/**
 * Every example runs against the emulator and checks its own output (see examples/_support.ts):
 * in this process (each example's `main`, with the emulator settings it exports as
 * `emulatorSettings`), and alone in a child process exactly as a user runs it
 * (`node --import tsx examples/x.ts`, no API key), which must exit 0. Examples are found in
 * examples/*.ts, so a new one is covered without being listed here. The demo runs as
 * `npm run demo` would, in a child process.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { disposeAll } from "../src/direct/index.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { type EmulatorSettings, useEmulator } from "../examples/_support.js"

const run = promisify(execFile)
const examplesDir = path.join(import.meta.dirname, "..", "examples")
// every example file; _support.ts is the shared runner, not an example
const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith(".ts") && f !== "_support.ts").sort()
// the ones that run through runExample export a `main` this process can call (demo.ts runs on
// import, so only as a child process)
const inProcess = files.filter((f) => /\brunExample\(/.test(fs.readFileSync(path.join(examplesDir, f), "utf8")))

/** The environment of a user without keys: the examples start their own emulator. */
const keyless = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const v of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL"]) delete env[v]
  return env
}

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
  it("are found: every example file, and every runExample one in this process", () => {
    expect(files).toContain("batch-progress.ts")
    expect(files).toContain("demo.ts")
    expect(inProcess).toContain("batch-progress.ts")
    expect(inProcess).not.toContain("demo.ts")
  })

  for (const file of inProcess) {
    it(file.replace(/\.ts$/, ""), async () => {
      const mod = (await import(`../examples/${file}`)) as { main: () => Promise<void>; emulatorSettings?: EmulatorSettings }
      const statusCalls = mod.emulatorSettings?.statusCalls ?? 0
      emulator.openaiBatches.lifecycle = { statusCalls }
      emulator.anthropicBatches.lifecycle = { statusCalls }
      emulator.googleBatches.lifecycle = { statusCalls }
      await mod.main()
    })
  }

  // the demo has its own child-process test below, with its output checked
  it("each runs alone: node --import tsx examples/<name>.ts exits 0 with no key (three at a time)", async () => {
    const alone = files.filter((f) => f !== "demo.ts")
    const failures: Array<string> = []
    let next = 0
    const worker = async () => {
      while (next < alone.length) {
        const file = alone[next++]!
        try {
          await run(process.execPath, ["--import", "tsx", path.join("examples", file)], { cwd: path.dirname(examplesDir), env: keyless(), timeout: 60_000 })
        } catch (error) {
          const e = error as { code?: unknown; signal?: unknown; stderr?: unknown }
          failures.push(`${file}: exit ${String(e.code)}${e.signal ? ` (${String(e.signal)})` : ""}\n${String(e.stderr ?? "").slice(-2_000)}`)
        }
      }
    }
    await Promise.all([worker(), worker(), worker()])
    expect(failures).toEqual([])
  }, 240_000)

  it("npm run demo prints a request, a stream and a batch with progress per provider, with no key", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/demo.ts"], { cwd: path.dirname(examplesDir), env: keyless(), timeout: 60_000 })
    expect(stdout).toMatch(/=== openai:gpt-4o-mini\nrequest  → The capital of France is Paris\./)
    expect(stdout).toMatch(/=== anthropic:claude-haiku-4-5\nrequest  → The capital of France is Paris\./)
    expect(stdout).toMatch(/=== openai-responses:gpt-4o-mini\nrequest  → The capital of France is Paris\./)
    expect(stdout).toMatch(/=== azure:gpt-4o-mini\nrequest  → The capital of France is Paris\./)
    expect(stdout).toMatch(/=== google:gemini-2\.5-flash\nrequest  → The capital of France is Paris\./)
    expect(stdout.match(/stream   → Albert Einstein was a German-born theoretical physicist\./g)?.length).toBe(5)
    expect(stdout.match(/batch    → \S+ submitted with 4 requests/g)?.length).toBe(5)
    expect(stdout.match(/\[#+\.+\] [123]\/4 in_progress/g)?.length ?? 0).toBeGreaterThanOrEqual(4)
    expect(stdout.match(/\[#{30}\] 4\/4 completed/g)?.length).toBe(5)
    expect(stdout.match(/q2: The square root of 144 is 12\./g)?.length).toBe(5)
    // Gemini reports no counts before the end: its running batch shows 0 of the 4 it was given
    expect(stdout).toMatch(/\[\.{30}\] 0\/4 in_progress/)
  }, 60_000)
})
