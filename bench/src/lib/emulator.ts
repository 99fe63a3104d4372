/**
 * Starts the emulator in a child process (src/emulator-process.ts) and reads its URLs from the
 * first line it prints. `stop()` ends it; it also ends by itself when this process dies (its
 * stdin closes).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

export interface EmulatorEndpoints {
  readonly url: string
  readonly openaiBaseURL: string
  readonly anthropicBaseURL: string
  /** The Gemini SDK's base URL (absent from an emulator built before the Gemini routes). */
  readonly googleBaseURL?: string | undefined
}

export interface EmulatorProcess extends EmulatorEndpoints {
  readonly pid: number
  readonly stop: () => Promise<void>
}

const script = fileURLToPath(new URL("../emulator-process.ts", import.meta.url))

/** Node arguments that run a TypeScript file through tsx. */
export const tsxArgs = (file: string): Array<string> => ["--import", import.meta.resolve("tsx"), file]

export const startEmulatorProcess = async (options?: { readonly timeoutMs?: number }): Promise<EmulatorProcess> => {
  const child: ChildProcess = spawn(process.execPath, tsxArgs(script), { stdio: ["pipe", "pipe", "inherit"] })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the emulator process printed no URL within the timeout")), options?.timeoutMs ?? 30_000)
    lines.once("line", (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the emulator process exited (code ${code}) before printing its URL`))
    })
  }).catch((error: unknown) => {
    child.kill("SIGKILL")
    throw error
  })
  const endpoints = JSON.parse(first) as EmulatorEndpoints
  lines.on("line", (line) => process.stderr.write(`[emulator] ${line}\n`))
  return {
    ...endpoints,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000)
      await exited
      clearTimeout(timer)
    }
  }
}
