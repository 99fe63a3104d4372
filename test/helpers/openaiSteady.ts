/**
 * The `@stdy/cli` mock server ("steady") serving OpenAI's OpenAPI spec: it answers 400 to any
 * request that violates the spec, so what we send can be checked against the official schema.
 * Startup is quick here (the 3 MB spec loads in about 0.3 s; the process is up in under 1 s).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..", "..")

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** A running steady server. */
export interface Steady {
  /** Base URL for the OpenAI SDK (the spec's paths have no /v1 prefix). */
  readonly baseURL: string
  /** How long it took to accept requests, in milliseconds. */
  readonly startupMs: number
  /** Everything it printed: its per-request diagnostics. */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** Starts steady on a free loopback port and waits until it answers. */
export const startSteady = async (timeoutMs = 20_000): Promise<Steady> => {
  const port = await freePort()
  const started = Date.now()
  const child: ChildProcess = spawn(
    path.join(root, "node_modules", ".bin", "steady"),
    ["-p", String(port), "--host", "127.0.0.1", "--no-color", path.join(root, "test", "fixtures", "spec", "openai-openapi.yaml")],
    { stdio: ["ignore", "pipe", "pipe"] }
  )
  let output = ""
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()))
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()))
  const baseURL = `http://127.0.0.1:${port}`
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGTERM")
    })
  while (true) {
    if (child.exitCode !== null) throw new Error(`steady exited (${child.exitCode}): ${output}`)
    if (Date.now() - started > timeoutMs) {
      await stop()
      throw new Error(`steady did not start within ${timeoutMs} ms: ${output}`)
    }
    const up = await fetch(`${baseURL}/models`).then(() => true, () => false)
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { baseURL, startupMs: Date.now() - started, output: () => output, stop }
}
