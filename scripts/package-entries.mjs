#!/usr/bin/env node
// The package's entry points, in one place: the `exports` map, `typesVersions` (for TypeScript's
// old `node10` resolution), `main` / `module` / `types` in package.json, TypeDoc's entry points
// and knip's entry files are all derived from the table below.
//
// To add an entry point: add a line here (subpath → module path under src/, without extension),
// then run `node scripts/package-entries.mjs` to rewrite package.json. CI runs it with `--check`,
// which fails when package.json and the table disagree.
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** subpath → module under src/ (no extension) */
export const entries = {
  ".": "index",
  "./direct": "direct/index",
  "./openai": "openai",
  "./anthropic": "anthropic",
  "./azure": "azure",
  "./google": "google",
  "./testing": "testing/index",
  "./workflow": "workflow/index",
  "./workflow/sqlite": "workflow/sqlite",
  "./workflow/postgres": "workflow/postgres"
}

/** the TypeScript sources of the entry points, relative to the package root */
export const sourceFiles = Object.values(entries).map((module) => `src/${module}.ts`)

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

const build = (format, module) => ({
  types: `./dist/${format}/${module}.d.ts`,
  default: `./dist/${format}/${module}.js`
})

/** the manifest fields the table determines */
export const manifestFields = () => {
  const exports = {}
  const typesVersions = {}
  for (const [subpath, module] of Object.entries(entries)) {
    exports[subpath] = { import: build("esm", module), require: build("cjs", module) }
    if (subpath !== ".") typesVersions[subpath.slice(2)] = [`./dist/cjs/${module}.d.ts`]
  }
  exports["./package.json"] = "./package.json"
  return {
    main: `./dist/cjs/${entries["."]}.js`,
    module: `./dist/esm/${entries["."]}.js`,
    types: `./dist/cjs/${entries["."]}.d.ts`,
    typesVersions: { "*": typesVersions },
    exports
  }
}

const main = () => {
  const file = join(root, "package.json")
  const text = readFileSync(file, "utf8")
  const manifest = JSON.parse(text)
  const fields = manifestFields()
  const stale = Object.keys(fields).filter((key) => JSON.stringify(manifest[key]) !== JSON.stringify(fields[key]))
  if (process.argv.includes("--check")) {
    if (stale.length > 0) {
      console.error(`package.json is out of step with scripts/package-entries.mjs (${stale.join(", ")}); run: node scripts/package-entries.mjs`)
      process.exit(1)
    }
    console.log(`package entries: ${Object.keys(entries).length} entry points, package.json in step`)
    return
  }
  // rewrite in place, keeping the other fields where they are (new fields go after "files")
  const next = {}
  for (const [key, value] of Object.entries(manifest)) {
    next[key] = key in fields ? fields[key] : value
    if (key === "files") for (const k of Object.keys(fields)) if (!(k in manifest)) next[k] = fields[k]
  }
  for (const k of Object.keys(fields)) if (!(k in next)) next[k] = fields[k]
  writeFileSync(file, JSON.stringify(next, null, 2) + "\n")
  console.log(stale.length > 0 ? `package.json: rewrote ${stale.join(", ")}` : "package.json already in step")
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
