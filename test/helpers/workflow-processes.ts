/** Child runner processes of the durable workflow tests (test/helpers/workflow-runner.ts). */
import { type ChildProcess, spawn } from "node:child_process"
import type { Emulator } from "../../src/testing/Emulator.js"

/** A running child: its output so far, a wait for a line, its exit. */
export interface Runner {
  readonly child: ChildProcess
  readonly output: () => string
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

/** Starts a runner process with these WF_* variables, the SDK pointed at the emulator. */
export const startRunner = (emulator: Emulator, vars: Readonly<Record<string, string>>): Runner => {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/workflow-runner.ts"], {
    env: { ...process.env, OPENAI_API_KEY: "sk-emulator", OPENAI_BASE_URL: emulator.openaiBaseURL, ...vars },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    out += chunk.toString()
    for (const l of listeners) l()
  }
  child.stdout!.on("data", onData)
  child.stderr!.on("data", onData)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      resolve({ code, signal })
      for (const l of listeners) l()
    }))
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = out.match(pattern)
        if (match) {
          listeners.delete(check)
          clearTimeout(timer)
          resolve(match[0])
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check)
          clearTimeout(timer)
          reject(new Error(`runner exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`))
        }
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`))
      }, timeoutMs)
      listeners.add(check)
      check()
    })
  return { child, output: () => out, waitFor, exited }
}

/** The `RESULT` line of a runner, parsed. */
export const resultOf = (line: string): { readonly batches: ReadonlyArray<string>; readonly completedCount: number; readonly results: ReadonlyArray<string> } =>
  JSON.parse(line.replace(/^RESULT /, "")) as never
