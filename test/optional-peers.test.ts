/**
 * A program that uses no optional feature pays nothing for it: the packages of the workflow
 * entry, the Gemini entry and cost pricing are optional peers only, and the main, direct and
 * testing entries load with all of them absent (a resolve hook hides them in a child process).
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const optionalPackages = [
  "@effect/workflow",
  "@effect/cluster",
  "@effect/sql",
  "@effect/sql-pg",
  "@effect/sql-sqlite-node",
  "@effect/rpc",
  "@effect/experimental",
  "@google/genai",
  "@pydantic/genai-prices"
]

const manifest = JSON.parse(fs.readFileSync("package.json", "utf8")) as {
  readonly dependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>
  readonly exports: Record<string, unknown>
}

const runWithout = (script: string) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "--import", "./test/helpers/hide-optional-packages.mjs", "-e", script], { timeout: 60_000 })
const importWithout = (entry: string) => runWithout(`await import(${JSON.stringify(entry)}); console.log("loaded")`)

describe("the optional peer packages are optional", () => {
  it("package.json lists them as optional peers (and dev dependencies), never as dependencies", () => {
    for (const name of optionalPackages) {
      expect(manifest.dependencies[name], name).toBeUndefined()
      expect(manifest.peerDependencies[name], name).toBeDefined()
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true)
    }
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(["./google", "./workflow", "./workflow/sqlite", "./workflow/postgres"]))
  })

  it("the main, direct and testing entries load with every optional package absent", async () => {
    for (const entry of ["./src/index.ts", "./src/direct/index.ts", "./src/testing/index.ts"]) {
      const { stdout } = await importWithout(entry)
      expect(stdout, entry).toContain("loaded")
    }
  }, 120_000)

  it("a request through the facade and a batch's usage need none of them", async () => {
    const { stdout } = await runWithout(`
      const { startEmulator } = await import("./src/testing/Emulator.ts")
      const { modelRequest, disposeAll, ModelRequest } = await import("./src/direct/index.ts")
      const Batch = await import("./src/Batch.ts")
      const emulator = await startEmulator()
      process.env.OPENAI_API_KEY = "sk-emulator"
      process.env.OPENAI_BASE_URL = emulator.openaiBaseURL
      const response = await modelRequest("openai:gpt-4o-mini", [ModelRequest.userTextPrompt("What is the capital of France?")])
      console.log(response.text, Batch.usage([]).withoutUsage)
      await disposeAll()
      await emulator.close()`)
    expect(stdout).toContain("The capital of France is Paris. 0")
  }, 60_000)

  it("a google: model string without @google/genai is a typed error naming the package", async () => {
    const { stdout } = await runWithout(`
      const { modelRequest, disposeAll, ModelRequest } = await import("./src/direct/index.ts")
      process.env.GEMINI_API_KEY = "key"
      const error = await modelRequest("google:gemini-2.5-flash", [ModelRequest.userTextPrompt("Hi")]).then(() => undefined, (e) => e)
      console.log(error?._tag, error?.message)
      await disposeAll()`)
    expect(stdout).toMatch(/^InvalidInputError .*@google\/genai/)
  }, 60_000)

  it("(the hook works: the workflow entry does not load without them, nor does a Gemini client)", async () => {
    for (const entry of ["./src/workflow/index.ts"]) {
      const error = await importWithout(entry).then(() => undefined, (e: unknown) => e as { stderr: string })
      expect(error?.stderr, entry).toContain("hidden by the test")
    }
    // the google entry loads its SDK with the first client: the entry loads, the client does not
    const { stdout } = await runWithout(`
      const { Effect, Layer } = await import("effect")
      const { Google } = await import("./src/google.ts")
      const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(Google.layer({ apiKey: "k" }))))
      console.log("google entry loaded;", exit._tag === "Success" ? "client built" : String(exit.cause))`)
    expect(stdout).toContain("google entry loaded;")
    expect(stdout).toMatch(/Cannot find package '@google\/genai' \(hidden by the test\)/)
  }, 60_000)
})
