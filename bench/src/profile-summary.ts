/**
 * Summarizes a .cpuprofile (or the newest one in a folder):
 * `node --import tsx src/profile-summary.ts results/profiles [top] [focus packages, comma-separated]`
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { type CpuProfile, summarize } from "./lib/cpuprofile.js"

const [target = "results/profiles", top = "25", focus = "effect-llm-direct"] = process.argv.slice(2)
const newest = (dir: string): string =>
  join(dir, readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs)[0] ?? "")
const file = statSync(target).isDirectory() ? newest(target) : target
console.log(file)
for (const line of summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, { top: Number(top), focus: focus.split(",") })) console.log(line)
