#!/usr/bin/env node
// The package as it would be published: checks that package.json matches the entry table, builds
// dist/, packs the tarball, lints it (publint, @arethetypeswrong/cli: every entry point resolves
// with types under node10, node16 from CommonJS and from ESM, and bundlers), then installs it into
// fresh projects (scripts/smoke-package.mjs).
//   node scripts/check-package.mjs [--no-build]
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
// a dev tool's command (some tools' exports hide their package.json from require)
const bin = (pkg, name) => {
  const dir = join(root, "node_modules", pkg)
  return join(dir, JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).bin[name])
}
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

const step = (title, command, args) =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    console.log(`\n── ${title}`)
    const child = spawn(command, args, { cwd: root, stdio: "inherit" })
    child.on("error", reject)
    child.on("exit", (code) => {
      console.log(`── ${title}: ${code === 0 ? "ok" : `failed (${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      code === 0 ? resolve() : reject(new Error(`${title} failed`))
    })
  })

const dir = mkdtempSync(join(tmpdir(), "effect-llm-direct-package-"))
try {
  await step("entry points in package.json", process.execPath, ["scripts/package-entries.mjs", "--check"])
  if (!process.argv.includes("--no-build")) await step("build", process.execPath, ["scripts/build.mjs"])
  // dist/ is built above: pack it as it is
  await step("pack", npm, ["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"])
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz")))
  await step("publint", process.execPath, [bin("publint", "publint"), "run", "--strict", tarball])
  await step("arethetypeswrong", process.execPath, [bin("@arethetypeswrong/cli", "attw"), "--format", "table-flipped", "--no-color", tarball])
  await step("smoke: the README's install line in fresh projects", process.execPath, ["scripts/smoke-package.mjs", tarball])
} catch (error) {
  console.error(error.message)
  process.exitCode = 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
