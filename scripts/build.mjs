#!/usr/bin/env node
// Builds dist/: ES modules in dist/esm (tsconfig.build.json) and CommonJS in dist/cjs
// (tsconfig.build.cjs.json), each with its own declarations, so `import` and `require` both get
// JavaScript and types of their own format. The two compilations run side by side.
import { spawn } from "node:child_process"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")

const compile = (project) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, "-p", project], { cwd: root, stdio: "inherit" })
    child.on("error", reject)
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p ${project} exited with ${code}`))))
  })

rmSync(join(root, "dist"), { recursive: true, force: true })
const results = await Promise.allSettled([compile("tsconfig.build.json"), compile("tsconfig.build.cjs.json")])
const failed = results.filter((r) => r.status === "rejected")
if (failed.length > 0) {
  for (const f of failed) console.error(f.reason.message)
  process.exit(1)
}
// the package is "type": "module"; these mark each folder's format for Node and TypeScript
mkdirSync(join(root, "dist/cjs"), { recursive: true })
writeFileSync(join(root, "dist/cjs/package.json"), JSON.stringify({ type: "commonjs" }) + "\n")
writeFileSync(join(root, "dist/esm/package.json"), JSON.stringify({ type: "module" }) + "\n")
console.log("built dist/esm and dist/cjs")
