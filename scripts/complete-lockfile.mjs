#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages npm left out.
//
// Why: the registry this project's machines reach serves stale metadata for some
// foreign-platform packages (e.g. @rollup/rollup-darwin-arm64 lags behind rollup), so
// `npm install` cannot resolve them, writes a lock without them, and `npm ci` then rejects
// that lock as out of sync. The entries added here carry the exact version the parent pins and
// the platform fields (os / cpu / libc) that make `npm ci` skip them on other platforms, which
// is what a lock written against the full registry contains. Run after `npm install`:
//   node scripts/complete-lockfile.mjs [path/to/package-lock.json]
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"

const file = process.argv[2] ?? "package-lock.json"
const lock = JSON.parse(readFileSync(file, "utf8"))
const packages = lock.packages
const platformCache = new Map()

const platformOf = (name) => {
  if (!platformCache.has(name)) {
    const out = execFileSync("npm", ["view", name, "os", "cpu", "libc", "license", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    platformCache.set(name, out.trim() === "" ? {} : JSON.parse(out))
  }
  return platformCache.get(name)
}

// where npm would look for `name` from the package at `path`: nested first, then up to the root
const resolves = (path, name) => {
  let base = path
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate]) return true
    if (base === "") return false
    const i = base.lastIndexOf("node_modules/")
    base = i <= 0 ? "" : base.slice(0, i - 1)
  }
}

let added = 0
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolves(path, name) || !/^\d+\.\d+\.\d+/.test(spec)) continue
    const platform = platformOf(name)
    // the root slot when free (where npm puts them), else next to the package that wants it
    const where = packages[`node_modules/${name}`] === undefined ? `node_modules/${name}` : `${path}/node_modules/${name}`
    packages[where] = {
      version: spec,
      ...(entry.dev === true ? { dev: true } : {}),
      optional: true,
      ...(platform.os ? { os: [].concat(platform.os) } : {}),
      ...(platform.cpu ? { cpu: [].concat(platform.cpu) } : {}),
      ...(platform.libc ? { libc: [].concat(platform.libc) } : {}),
      ...(platform.license ? { license: platform.license } : {})
    }
    added++
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))))
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
console.log(`added ${added} platform packages to ${file}`)
