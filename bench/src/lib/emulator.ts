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
  /**
   * Brings the emulator to the same state before each measurement (see emulator-process.ts):
   * a full collection, after forgetting every batch with `forgetBatches`.
   */
  readonly settle: (options?: { readonly forgetBatches?: boolean }) => Promise<void>
  readonly stop: () => Promise<void>
}

const script = fileURLToPath(new URL("../emulator-process.ts", import.meta.url))

/** Node arguments that run a TypeScript file through tsx. */
export const tsxArgs = (file: string): Array<string> => ["--import", import.meta.resolve("tsx"), file]

export const startEmulatorProcess = async (options?: { readonly timeoutMs?: number }): Promise<EmulatorProcess> => {
  // --expose-gc: settle's full collection
  const child: ChildProcess = spawn(process.execPath, ["--expose-gc", ...tsxArgs(script)], { stdio: ["pipe", "pipe", "inherit"] })
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
  const settling: Array<{ readonly resolve: () => void; readonly reject: (error: Error) => void }> = []
  lines.on("line", (line) => {
    if (line === "settled") settling.shift()?.resolve()
    else process.stderr.write(`[emulator] ${line}\n`)
  })
  void exited.then(() => {
    for (const waiting of settling.splice(0)) waiting.reject(new Error("the emulator process exited while settling"))
  })
  return {
    ...endpoints,
    pid: child.pid!,
    settle: (options) =>
      new Promise<void>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error("the emulator process has exited"))
        settling.push({ resolve, reject })
        child.stdin!.write(`settle${options?.forgetBatches === true ? " forget-batches" : ""}\n`)
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000)
      await exited
      clearTimeout(timer)
    }
  }
}
