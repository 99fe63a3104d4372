/**
 * A program that never imports effect-llm-direct/workflow pays nothing for it: the workflow
 * packages are optional peers only, and the main, direct and testing entries load with them
 * absent (a resolve hook hides them in a child process).
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const workflowPackages = [
  "@effect/workflow",
  "@effect/cluster",
  "@effect/sql",
  "@effect/sql-pg",
  "@effect/sql-sqlite-node",
  "@effect/rpc",
  "@effect/experimental"
]

const manifest = JSON.parse(fs.readFileSync("package.json", "utf8")) as {
  readonly dependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>
  readonly exports: Record<string, unknown>
}

const importWithout = (entry: string) =>
  promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--import", "./test/helpers/hide-workflow-packages.mjs", "-e", `await import(${JSON.stringify(entry)}); console.log("loaded")`],
    { timeout: 60_000 }
  )

describe("the workflow packages are optional", () => {
  it("package.json lists them as optional peers (and dev dependencies), never as dependencies", () => {
    for (const name of workflowPackages) {
      expect(manifest.dependencies[name], name).toBeUndefined()
      expect(manifest.peerDependencies[name], name).toBeDefined()
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true)
    }
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(["./workflow", "./workflow/sqlite", "./workflow/postgres"]))
  })

  it("the main, direct and testing entries load with the workflow packages absent", async () => {
    for (const entry of ["./src/index.ts", "./src/direct.ts", "./src/testing/index.ts"]) {
      const { stdout } = await importWithout(entry)
      expect(stdout, entry).toContain("loaded")
    }
  }, 120_000)

  it("(the hook works: the workflow entry does not load without them)", async () => {
    const error = await importWithout("./src/workflow/index.ts").then(() => undefined, (e: unknown) => e as { stderr: string })
    expect(error?.stderr).toContain("hidden by the test")
  }, 60_000)
})
