/**
 * `npm run bench`: starts the emulator in a child process, runs every scenario in interleaved
 * rounds (lib/rounds.ts), prints one table on stdout (progress goes to stderr) and writes the
 * raw figures to bench/results/<time>.json.
 *
 * Environment (all optional):
 *   BENCH_SCENARIOS=openai-request,openai-stream   only these scenarios
 *   BENCH_ROUNDS=15         rounds per scenario
 *   BENCH_BUDGET_S=8        time for the rounds of one scenario (the batch size N follows)
 *   BENCH_WARMUP_MS=600     warm-up per contender
 *   BENCH_GC=1              force a full GC before each round (off: it made every contender
 *                           2-3 times slower, as V8 re-grows its heap and re-tiers code)
 *   BENCH_BATCH_RUNS=7      runs of the reading scenarios (one child process per measurement; a median of 3 moved by ±0.15)
 *   BENCH_BATCH_SIZES=10000,50000   batch sizes read
 *   BENCH_SUBMIT_SIZE=50000 requests in a submitted batch
 *   BENCH_SUBMIT_RUNS=7     runs of the submission scenarios (a median of 3 moved by ±0.1)
 *   BENCH_BATCHED_SIZE=10000        requests in batched-vs-run (its runs: BENCH_BATCH_RUNS)
 *   BENCH_BATCHED_MAX_WAIT=20 millis   the layer's maxWait in batched-vs-run
 *   BENCH_BATCHED_POLL=5 millis        pollInterval of both contenders (batches are final at the first check)
 *   BENCH_OVERHEAD_CALLERS=100      concurrent callers in batched-overhead
 *   BENCH_OVERHEAD_RUNS=3           its child processes; BENCH_OVERHEAD_ROUNDS=50 measured rounds each,
 *                                   after BENCH_OVERHEAD_WARMUP=20; BENCH_OVERHEAD_MAX_WAIT=1 millis
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { startEmulatorProcess } from "./lib/emulator.js"
import { runScenario, type ScenarioResult } from "./lib/rounds.js"
import { renderBatchedTable, renderBatchTable, renderTable } from "./lib/table.js"
import { batchScenarioIds, type BatchSection, runBatchScenario } from "./batch/run.js"
import { batchedScenarioIds, type BatchedSection, runBatchedScenario } from "./batched/run.js"
import { scenarios } from "./scenarios/index.js"

const started = performance.now()
const num = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw)
  return Number.isFinite(n) && n > 0 ? n : fallback
}
const only = (process.env.BENCH_SCENARIOS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
const selected = only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.id))
const selectedBatch = only.length === 0 ? [...batchScenarioIds] : batchScenarioIds.filter((id) => only.includes(id))
const selectedBatched = only.length === 0 ? [...batchedScenarioIds] : batchedScenarioIds.filter((id) => only.includes(id))
if (selected.length === 0 && selectedBatch.length === 0 && selectedBatched.length === 0) {
  console.error(`no scenario matches BENCH_SCENARIOS=${process.env.BENCH_SCENARIOS}; known: ${[...scenarios.map((s) => s.id), ...batchScenarioIds, ...batchedScenarioIds].join(", ")}`)
  process.exit(2)
}
const log = (line: string) => process.stderr.write(`${line}\n`)

const emulator = await startEmulatorProcess()
log(`emulator: pid ${emulator.pid} at ${emulator.url}`)
const results: Array<ScenarioResult> = []
const batchResults: Array<BatchSection> = []
const batchedResults: Array<BatchedSection> = []
const text = (name: string, fallback: string): string => process.env[name]?.trim() || fallback
try {
  for (const scenario of selected) {
    results.push(await runScenario(scenario, emulator, {
      warmupMs: num("BENCH_WARMUP_MS", 600),
      rounds: Math.round(num("BENCH_ROUNDS", 15)),
      budgetMs: num("BENCH_BUDGET_S", 8) * 1_000,
      minBatch: 3,
      maxBatch: 2_000,
      minRounds: Math.min(7, Math.round(num("BENCH_ROUNDS", 15))),
      gcEachRound: process.env.BENCH_GC === "1",
      log
    }))
  }
  for (const id of selectedBatch) {
    batchResults.push(await runBatchScenario(id, emulator, {
      runs: Math.round(num("BENCH_BATCH_RUNS", 7)),
      submitRuns: Math.round(num("BENCH_SUBMIT_RUNS", 7)),
      sizes: (process.env.BENCH_BATCH_SIZES ?? "10000,50000").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0),
      submitSize: Math.round(num("BENCH_SUBMIT_SIZE", 50_000)),
      log
    }))
  }
  for (const id of selectedBatched) {
    batchedResults.push(await runBatchedScenario(id, emulator, {
      runs: Math.round(num("BENCH_BATCH_RUNS", 7)),
      size: Math.round(num("BENCH_BATCHED_SIZE", 10_000)),
      maxWait: text("BENCH_BATCHED_MAX_WAIT", "20 millis"),
      pollInterval: text("BENCH_BATCHED_POLL", "5 millis"),
      callers: Math.round(num("BENCH_OVERHEAD_CALLERS", 100)),
      overheadRuns: Math.round(num("BENCH_OVERHEAD_RUNS", 3)),
      overheadRounds: Math.round(num("BENCH_OVERHEAD_ROUNDS", 50)),
      overheadWarmup: Math.round(num("BENCH_OVERHEAD_WARMUP", 20)),
      overheadMaxWait: text("BENCH_OVERHEAD_MAX_WAIT", "1 millis"),
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
const batchHeader = [
  "",
  "Batches: each figure from a fresh child process running the compiled bench on plain Node (start-up and module loading excluded, then a full GC); time = median over runs; ratio to raw = median of per-run ratios.",
  "peak RSS = the child's maximum resident set (getrusage, exact, includes Node and the loaded modules); heap peak = the largest heapUsed + arrayBuffers sampled every 5 ms and every 1,000 results; heap at start = the same when the measurement began, after the GC (modules and client), inside the peak."
]
const batchedHeader = [
  "",
  "Batched models: BatchedLanguageModel.layer over OpenAi.model against Batch.run on the same model; every batch final at its first status check (the emulator's lifecycle { statusCalls: 1 }), so no poll wait.",
  "batched-vs-run: a fresh child per measurement as above; ratios per run to Batch.run's time and heap peak in the same run (median, min–max). batched-overhead: one child per run, rounds of N concurrent callers in it after warm-up rounds;",
  "overhead per call = (the contender's time for the N calls − Batch.run's time for the same N requests in the same round) ÷ N, median over rounds (IQR): it includes the N callers' fibers (Effect.forEach, unbounded), each call's request building, the window (its maxWait, for the maxWait row), answering each caller;",
  "the reference row (fibers awaiting Deferreds, no layer) is the callers' fibers' share alone; over reference = (the layer's time − the reference's in the same round) ÷ N, the layer's own share."
]
console.log([
  renderTable(results, header),
  ...(batchResults.length > 0 ? [...batchHeader, renderBatchTable(batchResults)] : []),
  ...(batchedResults.length > 0 ? [...batchedHeader, renderBatchedTable(batchedResults)] : [])
].join("\n"))

const dir = new URL("../results/", import.meta.url)
mkdirSync(dir, { recursive: true })
const file = new URL(`${new Date().toISOString().replace(/[:.]/g, "-")}.json`, dir)
writeFileSync(file, `${JSON.stringify({ node: process.version, cpu, wallS, loadAverage: loadavg(), results, batchResults, batchedResults }, null, 2)}\n`)
log(`figures: ${file.pathname}`)

const failed = results.some((s) => s.error !== undefined || s.contenders.some((c) => c.skipped?.startsWith("failed") === true)) || batchResults.some((s) => s.error !== undefined) || batchedResults.some((s) => s.error !== undefined)
process.exit(failed ? 1 : 0)
