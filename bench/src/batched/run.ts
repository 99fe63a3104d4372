/**
 * The batched-model scenarios (`BatchedLanguageModel.layer`), on OpenAI against the emulator
 * process, every batch final at its first status check (shared.ts `LIFECYCLE`):
 *
 * - `batched-vs-run`: 10,000 requests as one `Batch.run` (the baseline) and as 10,000 concurrent
 *   `LanguageModel.request` calls under the layer (one window, one batch), with a reference row
 *   (10,000 fibers awaiting Deferreds answered by one `Batch.run`), each measurement in a
 *   fresh child process (time, peak heap, peak RSS); runs alternate in rotating order, ratios
 *   per run to the baseline of the same run.
 * - `batched-overhead`: rounds of 100 concurrent callers against `Batch.run` of the same 100
 *   requests, in one child per run; the per-call overhead is the difference of the two times
 *   in the same round, divided by 100.
 *
 * Before each measurement (each child) the emulator settles: it forgets every batch (and with
 * them the default lifecycle, set again here) and runs a full collection.
 */
import { fileURLToPath } from "node:url"
import { type ChildMeasurement, runInChild } from "../lib/child.js"
import type { EmulatorEndpoints, EmulatorProcess } from "../lib/emulator.js"
import { median, type Summary, summarize } from "../lib/stats.js"
import {
  API_KEY,
  type ChildInput,
  type ChildOutput,
  type Contender,
  labels,
  LIFECYCLE,
  type OverheadContender,
  type OverheadInput,
  type OverheadOutput
} from "./shared.js"

export const batchedScenarioIds = ["batched-vs-run", "batched-overhead"] as const
export type BatchedScenarioId = (typeof batchedScenarioIds)[number]

export interface BatchedRow {
  readonly contender: Contender
  readonly label: string
  readonly size: number
  readonly wallMs: ReadonlyArray<number>
  readonly maxRssMB: ReadonlyArray<number>
  readonly peakHeapMB: ReadonlyArray<number>
  readonly startHeapMB: ReadonlyArray<number>
  /** Per run: wall time ÷ the baseline's in the same run. */
  readonly ratios: ReadonlyArray<number>
  /** Per run: heap peak ÷ the baseline's in the same run. */
  readonly heapRatios: ReadonlyArray<number>
  /** Per run: provider batches the emulator holds after the measurement (it forgot all before). */
  readonly emulatorBatches: ReadonlyArray<number>
  readonly wall?: Summary | undefined
  readonly ratio?: Summary | undefined
  readonly heapRatio?: Summary | undefined
  readonly rss?: number | undefined
  readonly heap?: number | undefined
  readonly startHeap?: number | undefined
  /** Problems seen: a result count unlike the size, or more than one batch. */
  readonly note?: string | undefined
}

export interface OverheadRow {
  readonly contender: OverheadContender
  readonly label: string
  /** Per round, the time of all callers' requests, ms. */
  readonly wallMs: ReadonlyArray<number>
  /** Per round, the child's CPU time, ms. */
  readonly cpuMs: ReadonlyArray<number>
  /** Per round: (this time − Batch.run's in the same round) ÷ callers, µs (layered rows only). */
  readonly overheadUs: ReadonlyArray<number>
  /** The same on CPU time, µs. */
  readonly cpuOverheadUs: ReadonlyArray<number>
  /** Per round: (this time − the reference's in the same round) ÷ callers, µs: the layer's own share (layered rows only). */
  readonly overReferenceUs: ReadonlyArray<number>
  readonly wall?: Summary | undefined
  readonly cpu?: Summary | undefined
  readonly overhead?: Summary | undefined
  readonly cpuOverhead?: Summary | undefined
  readonly overReference?: Summary | undefined
  readonly note?: string | undefined
}

export interface BatchedSection {
  readonly id: BatchedScenarioId
  readonly title: string
  /** Child processes run (measurements per contender for batched-vs-run). */
  readonly runs: number
  readonly wallMs: number
  readonly rows: ReadonlyArray<BatchedRow>
  /** batched-overhead only. */
  readonly overhead?: { readonly callers: number; readonly rounds: number; readonly maxWait: string; readonly rows: ReadonlyArray<OverheadRow> } | undefined
  readonly error?: string | undefined
}

export interface BatchedOptions {
  /** Runs of batched-vs-run (each: both contenders once, in a fresh child each). */
  readonly runs: number
  readonly size: number
  readonly maxWait: string
  readonly pollInterval: string
  /** batched-overhead: child processes, measured rounds per child, warm-up rounds per child. */
  readonly overheadRuns: number
  readonly overheadRounds: number
  readonly overheadWarmup: number
  readonly callers: number
  readonly overheadMaxWait: string
  readonly log: (line: string) => void
}

const child = fileURLToPath(new URL("./child.ts", import.meta.url))
const overheadChild = fileURLToPath(new URL("./overhead-child.ts", import.meta.url))

type Env = EmulatorEndpoints & Partial<Pick<EmulatorProcess, "settle">>

/** Forgets every batch, collects, then makes every batch final at its first status check. */
const prepareEmulator = async (env: Env): Promise<void> => {
  await env.settle?.({ forgetBatches: true })
  const response = await fetch(`${env.url}/v1/emulator/batch-lifecycle`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(LIFECYCLE)
  })
  if (!response.ok) throw new Error(`setting the emulator's batch lifecycle failed: HTTP ${response.status}`)
}

/** The provider batches the emulator holds (all created since it last forgot them). */
const batchesOnEmulator = async (env: Env): Promise<number> => {
  const response = await fetch(`${env.openaiBaseURL}/batches?limit=100`, { headers: { authorization: `Bearer ${API_KEY}` } })
  if (!response.ok) return Number.NaN
  return ((await response.json()) as { data: ReadonlyArray<unknown> }).data.length
}

const describe = (error: unknown): string => (error instanceof Error ? error.message.split("\n")[0]! : String(error))

export const runBatchedScenario = (id: BatchedScenarioId, env: Env, options: BatchedOptions): Promise<BatchedSection> =>
  id === "batched-vs-run" ? versusRun(env, options) : overhead(env, options)

const versusRun = async (env: Env, options: BatchedOptions): Promise<BatchedSection> => {
  const started = performance.now()
  const log = (line: string) => options.log(`[batched-vs-run] ${line}`)
  type Live = { -readonly [K in keyof BatchedRow]: BatchedRow[K] } & {
    wallMs: Array<number>; maxRssMB: Array<number>; peakHeapMB: Array<number>; startHeapMB: Array<number>
    ratios: Array<number>; heapRatios: Array<number>; emulatorBatches: Array<number>
  }
  const rows: Array<Live> = (["run", "batched", "floor"] as const).map((contender) => ({
    contender,
    label: contender === "batched" ? `${labels.batched} ({ maxWait: ${options.maxWait} })` : labels[contender],
    size: options.size,
    wallMs: [], maxRssMB: [], peakHeapMB: [], startHeapMB: [], ratios: [], heapRatios: [], emulatorBatches: []
  }))
  const notes = new Map<Contender, Set<string>>()
  const note = (c: Contender, text: string) => notes.set(c, (notes.get(c) ?? new Set()).add(text))
  const finish = (runs: number, error?: string): BatchedSection => ({
    id: "batched-vs-run",
    title: `Batched model vs Batch.run: ${options.size.toLocaleString("en-US")} OpenAI requests, one batch final at its first status check (child process each)`,
    runs, error, wallMs: performance.now() - started,
    rows: rows.map((r) => ({
      ...r,
      wall: r.wallMs.length > 0 ? summarize(r.wallMs) : undefined,
      ratio: r.ratios.length > 0 ? summarize(r.ratios) : undefined,
      heapRatio: r.heapRatios.length > 0 ? summarize(r.heapRatios) : undefined,
      rss: r.maxRssMB.length > 0 ? median(r.maxRssMB) : undefined,
      heap: r.peakHeapMB.length > 0 ? median(r.peakHeapMB) : undefined,
      startHeap: r.startHeapMB.length > 0 ? median(r.startHeapMB) : undefined,
      note: notes.has(r.contender) ? [...notes.get(r.contender)!].join("; ") : undefined
    }))
  })
  let done = 0
  try {
    for (let run = 0; run < options.runs; run++) {
      const shift = run % rows.length
      const measured = new Map<Contender, ChildMeasurement<ChildOutput>>()
      for (const row of [...rows.slice(shift), ...rows.slice(0, shift)]) {
        await prepareEmulator(env)
        const input: ChildInput = { contender: row.contender, baseURL: env.openaiBaseURL, size: options.size, maxWait: options.maxWait, pollInterval: options.pollInterval }
        const m = await runInChild<ChildOutput>(child, input, { timeoutMs: 300_000 })
        const batches = await batchesOnEmulator(env)
        measured.set(row.contender, m)
        row.wallMs.push(m.wallMs)
        row.maxRssMB.push(m.maxRssMB)
        row.peakHeapMB.push(m.peakHeapMB)
        row.startHeapMB.push(m.startHeapMB)
        row.emulatorBatches.push(batches)
        if (m.value.results !== options.size || m.value.succeeded !== options.size) note(row.contender, `${m.value.results} results (${m.value.succeeded} ok), expected ${options.size}`)
        if (batches !== 1) note(row.contender, `${batches} provider batches in a run, expected 1`)
        log(`run ${run + 1} ${row.contender}: ${m.wallMs.toFixed(0)} ms, RSS ${m.maxRssMB.toFixed(0)} MB, heap ${m.peakHeapMB.toFixed(0)} MB (start ${m.startHeapMB.toFixed(0)}), ${m.value.results} results (${m.value.succeeded} ok), ${batches} batch(es)${row.contender === "batched" ? `, ${m.value.layerBatches} by the layer` : ""}`)
      }
      const base = measured.get("run")!
      for (const row of rows) {
        const m = measured.get(row.contender)!
        row.ratios.push(m.wallMs / base.wallMs)
        row.heapRatios.push(m.peakHeapMB / base.peakHeapMB)
      }
      done++
    }
  } catch (error) {
    return finish(done, `run ${done + 1} failed: ${describe(error)}`)
  }
  return finish(done)
}

const overhead = async (env: Env, options: BatchedOptions): Promise<BatchedSection> => {
  const started = performance.now()
  const log = (line: string) => options.log(`[batched-overhead] ${line}`)
  const names: ReadonlyArray<OverheadContender> = ["run", "batched-maxWait", "batched-maxRequests", "floor"]
  const wall = new Map(names.map((n) => [n, [] as Array<number>]))
  const cpu = new Map(names.map((n) => [n, [] as Array<number>]))
  const over = new Map(names.map((n) => [n, [] as Array<number>]))
  const cpuOver = new Map(names.map((n) => [n, [] as Array<number>]))
  const overRef = new Map(names.map((n) => [n, [] as Array<number>]))
  const notes = new Map<OverheadContender, string>()
  const finish = (runs: number, error?: string): BatchedSection => ({
    id: "batched-overhead",
    title: `Batched model, per-call overhead: ${options.callers} concurrent callers vs Batch.run of the same ${options.callers} requests (one child per run, rounds in it)`,
    runs, error, wallMs: performance.now() - started, rows: [],
    overhead: {
      callers: options.callers,
      rounds: wall.get("run")!.length,
      maxWait: options.overheadMaxWait,
      rows: names.map((n) => ({
        contender: n,
        label: n === "batched-maxWait" ? `BatchedLanguageModel.layer, maxWait ${options.overheadMaxWait}` : labels[n],
        wallMs: wall.get(n)!, cpuMs: cpu.get(n)!, overheadUs: over.get(n)!, cpuOverheadUs: cpuOver.get(n)!, overReferenceUs: overRef.get(n)!,
        wall: wall.get(n)!.length > 0 ? summarize(wall.get(n)!) : undefined,
        cpu: cpu.get(n)!.length > 0 ? summarize(cpu.get(n)!) : undefined,
        overhead: over.get(n)!.length > 0 ? summarize(over.get(n)!) : undefined,
        cpuOverhead: cpuOver.get(n)!.length > 0 ? summarize(cpuOver.get(n)!) : undefined,
        overReference: overRef.get(n)!.length > 0 ? summarize(overRef.get(n)!) : undefined,
        note: notes.get(n)
      }))
    }
  })
  let done = 0
  try {
    for (let run = 0; run < options.overheadRuns; run++) {
      await prepareEmulator(env)
      const input: OverheadInput = {
        baseURL: env.openaiBaseURL, callers: options.callers, warmupRounds: options.overheadWarmup, rounds: options.overheadRounds,
        maxWait: options.overheadMaxWait, pollInterval: options.pollInterval
      }
      const m = await runInChild<OverheadOutput>(overheadChild, input, { timeoutMs: 600_000 })
      const runs = m.value.wallMs.run
      for (const n of names) {
        wall.get(n)!.push(...m.value.wallMs[n])
        cpu.get(n)!.push(...m.value.cpuMs[n])
        if (m.value.results[n] !== options.callers) notes.set(n, `${m.value.results[n]} results in the last round, expected ${options.callers}`)
        if (n === "run") continue
        m.value.wallMs[n].forEach((t, i) => over.get(n)!.push(((t - runs[i]!) / options.callers) * 1000))
        m.value.cpuMs[n].forEach((t, i) => cpuOver.get(n)!.push(((t - m.value.cpuMs.run[i]!) / options.callers) * 1000))
        if (n !== "floor") m.value.wallMs[n].forEach((t, i) => overRef.get(n)!.push(((t - m.value.wallMs.floor[i]!) / options.callers) * 1000))
      }
      log(`run ${run + 1}: ${runs.length} rounds; medians ${names.map((n) => `${n} ${median(m.value.wallMs[n]).toFixed(2)} ms`).join(", ")}`)
      done++
    }
  } catch (error) {
    return finish(done, `run ${done + 1} failed: ${describe(error)}`)
  }
  return finish(done)
}
