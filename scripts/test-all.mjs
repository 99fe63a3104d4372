#!/usr/bin/env node
// `npm test`: everything CI proves, in one command. Each step runs even when an earlier one
// failed, so one run lists every failure; the summary gives each step's result and time.
//   npm test                    all steps
//   npm test -- unit deps       only the named steps
import { spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

const steps = [
  ["typecheck", "the type-check of src, test and examples", ["run", "typecheck"]],
  ["deps", "import rules (dependency-cruiser)", ["run", "lint:deps"]],
  ["unused", "unused files, exports and dependencies (knip)", ["run", "lint:unused"]],
  ["unit", "the test suite and the examples (vitest)", ["run", "test:unit"]],
  ["package", "the packed package: publint, arethetypeswrong, fresh installs", ["run", "lint:package"]],
  ["docs", "the API reference (TypeDoc) and its JSDoc tags", ["run", "docs"]]
]

const only = process.argv.slice(2)
const unknown = only.filter((name) => !steps.some(([n]) => n === name))
if (unknown.length > 0) {
  console.error(`unknown step(s): ${unknown.join(", ")}; steps: ${steps.map(([n]) => n).join(", ")}`)
  process.exit(2)
}

const run = (args) =>
  new Promise((resolve) => {
    const child = spawn(npm, args, { cwd: root, stdio: "inherit" })
    child.on("error", () => resolve(1))
    child.on("exit", (code) => resolve(code ?? 1))
  })

const results = []
for (const [name, title, args] of steps) {
  if (only.length > 0 && !only.includes(name)) continue
  console.log(`\n━━ ${name}: ${title}`)
  const started = Date.now()
  const code = await run(args)
  results.push({ name, title, ok: code === 0, seconds: (Date.now() - started) / 1000 })
}

console.log("\n━━ summary")
for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(10)} ${r.seconds.toFixed(0).padStart(4)} s  ${r.title}`)
if (results.some((r) => !r.ok)) process.exit(1)
