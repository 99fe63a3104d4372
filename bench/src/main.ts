/**
 * `npm run bench`: starts the emulator in a child process, runs every scenario in interleaved
 * rounds (lib/rounds.ts), prints one table on stdout (progress goes to stderr) and writes the
 * raw figures to bench/results/<time>.json.
 *
 * Environment (all optional):
 *   BENCH_SCENARIOS=openai-request,openai-stream   only these scenarios
 *   BENCH_ROUNDS=15         rounds per scenario
 *   BENCH_BUDGET_S=12       time for the rounds of one scenario (the batch size N follows)
 *   BENCH_WARMUP_MS=1000    warm-up per contender
 *   BENCH_GC=1              force a full GC before each round (off: it made every contender
 *                           2-3 times slower, as V8 re-grows its heap and re-tiers code)
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { startEmulatorProcess } from "./lib/emulator.js"
import { runScenario, type ScenarioResult } from "./lib/rounds.js"
import { renderTable } from "./lib/table.js"
import { scenarios } from "./scenarios/index.js"

const started = performance.now()
const num = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw)
  return Number.isFinite(n) && n > 0 ? n : fallback
}
const only = (process.env.BENCH_SCENARIOS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
const selected = only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.id))
if (selected.length === 0) {
  console.error(`no scenario matches BENCH_SCENARIOS=${process.env.BENCH_SCENARIOS}; known: ${scenarios.map((s) => s.id).join(", ")}`)
  process.exit(2)
}
const log = (line: string) => process.stderr.write(`${line}\n`)

const emulator = await startEmulatorProcess()
log(`emulator: pid ${emulator.pid} at ${emulator.url}`)
const results: Array<ScenarioResult> = []
try {
  for (const scenario of selected) {
    results.push(await runScenario(scenario, emulator, {
      warmupMs: num("BENCH_WARMUP_MS", 1_000),
      rounds: Math.round(num("BENCH_ROUNDS", 15)),
      budgetMs: num("BENCH_BUDGET_S", 12) * 1_000,
      minBatch: 3,
      maxBatch: 2_000,
      minRounds: Math.min(7, Math.round(num("BENCH_ROUNDS", 15))),
      gcEachRound: process.env.BENCH_GC === "1",
      log
    }))
  }
} finally {
  await emulator.stop()
}

const wallS = (performance.now() - started) / 1000
const cpu = cpus()[0]?.model.trim() ?? "unknown CPU"
const header = [
  `effect-llm-direct bench · node ${process.version} · ${process.platform} ${process.arch} · ${availableParallelism()} CPUs (${cpu}) · emulator in a child process on loopback`,
  "ratio to raw = the contender's batch time ÷ the raw SDK's batch time in the same round (N sequential ops each, rotating order); median over rounds.",
  "per op = batch time ÷ N; CPU per op = this process's CPU time ÷ N (the emulator runs in its own process); CPU ratio = the same ratio on CPU time; medians over rounds.",
  `Bench wall time ${wallS.toFixed(1)} s (load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}).`
]
console.log(renderTable(results, header))

const dir = new URL("../results/", import.meta.url)
mkdirSync(dir, { recursive: true })
const file = new URL(`${new Date().toISOString().replace(/[:.]/g, "-")}.json`, dir)
writeFileSync(file, `${JSON.stringify({ node: process.version, cpu, wallS, results }, null, 2)}\n`)
log(`figures: ${file.pathname}`)

const failed = results.some((s) => s.error !== undefined || s.contenders.some((c) => c.skipped?.startsWith("failed") === true))
process.exit(failed ? 1 : 0)
