/**
 * The shared runner: warm up every contender, size a batch from the baseline's speed, then run
 * interleaved rounds. Each round runs every contender for one batch of N sequential operations,
 * in an order that rotates from round to round, and divides each contender's batch time by the
 * baseline's batch time of the same round. Whatever drifts during the run (CPU frequency, the
 * emulator's heap, other load on the machine) hits both sides of a ratio alike, which a
 * comparison of two separate runs cannot promise.
 */
import { performance } from "node:perf_hooks"
import type { EmulatorEndpoints } from "./emulator.js"
import { median, type Summary, summarize } from "./stats.js"
import { type Op, type Sample, type Scenario, Unavailable } from "../scenarios/types.js"

export interface RoundsOptions {
  /** Warm-up time per contender (two passes in alternating order), ms. */
  readonly warmupMs: number
  /** Rounds per scenario. */
  readonly rounds: number
  /** The time all rounds of the scenario should take, ms; the batch size N is sized to it. */
  readonly budgetMs: number
  readonly minBatch: number
  readonly maxBatch: number
  /** Rounds a scenario runs even past its budget. */
  readonly minRounds: number
  /** Force a full GC (outside the timed region) before each round, when --expose-gc is on. */
  readonly gcEachRound: boolean
  readonly log: (line: string) => void
}

export interface ContenderResult {
  readonly label: string
  readonly baseline: boolean
  readonly peer?: boolean | undefined
  /** Why it was not measured. */
  readonly skipped?: string | undefined
  /** A warning found while checking its output against the baseline's. */
  readonly note?: string | undefined
  readonly sample?: Sample | undefined
  /** Per round: batch time / N, ms. */
  readonly perOpMs: ReadonlyArray<number>
  /** Per round: this process's CPU time (user + system) / N, ms; the emulator's is not in it. */
  readonly cpuPerOpMs: ReadonlyArray<number>
  /** Per round: batch time / the baseline's batch time in the same round. */
  readonly ratios: ReadonlyArray<number>
  /** Per round: CPU time / the baseline's CPU time in the same round. */
  readonly cpuRatios: ReadonlyArray<number>
  readonly perOp?: Summary | undefined
  readonly cpuPerOp?: Summary | undefined
  readonly ratio?: Summary | undefined
  readonly cpuRatio?: Summary | undefined
  /** Streams: per round, the median time from the call to the first text delta, ms. */
  readonly firstEvent?: Summary | undefined
  /** Streams: per round, that median ÷ the baseline's in the same round. */
  readonly firstEventRatio?: Summary | undefined
}

export interface ScenarioResult {
  readonly id: string
  readonly title: string
  readonly goal: number
  /** The mean batch size N (it is re-sized between rounds). */
  readonly batch: number
  /** N of each round. */
  readonly batches: ReadonlyArray<number>
  readonly rounds: number
  readonly wallMs: number
  readonly contenders: ReadonlyArray<ContenderResult>
  /** Set when the scenario could not run at all (its baseline failed). */
  readonly error?: string | undefined
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 200)

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect) collect()
}

/** Runs `op` repeatedly for at least `ms`; returns the mean time per operation. */
const warm = async (op: Op, ms: number): Promise<number> => {
  let n = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < ms && n < 100_000) {
    await op.run()
    n++
    elapsed = performance.now() - start
  }
  return elapsed / n
}

export const runScenario = async (scenario: Scenario, env: EmulatorEndpoints, options: RoundsOptions): Promise<ScenarioResult> => {
  const started = performance.now()
  const log = (line: string) => options.log(`[${scenario.id}] ${line}`)
  interface Live {
    readonly label: string
    readonly baseline: boolean
    readonly peer?: boolean | undefined
    op?: Op
    skipped?: string
    note?: string
    sample?: Sample
    perOpMs: Array<number>
    cpuPerOpMs: Array<number>
    ratios: Array<number>
    cpuRatios: Array<number>
    firstEventMs: Array<number>
    firstEventRatios: Array<number>
  }
  const live: Array<Live> = scenario.contenders.map((c, i) => ({ label: c.label, baseline: i === 0, peer: c.peer, perOpMs: [], cpuPerOpMs: [], ratios: [], cpuRatios: [], firstEventMs: [], firstEventRatios: [] }))

  // prepare and check outputs
  for (const [i, contender] of scenario.contenders.entries()) {
    const entry = live[i]!
    try {
      entry.op = await contender.prepare(env)
      entry.sample = await entry.op.sample()
    } catch (error) {
      entry.skipped = error instanceof Unavailable ? error.message : `failed: ${describe(error)}`
      if (entry.op?.close) await entry.op.close().catch(() => undefined)
      entry.op = undefined
      log(`${entry.label}: skipped (${entry.skipped})`)
    }
  }
  const base = live[0]!
  const finish = (batches: ReadonlyArray<number>, rounds: number, error?: string): ScenarioResult => ({
    id: scenario.id,
    title: scenario.title,
    goal: scenario.goal,
    batch: batches.length === 0 ? 0 : Math.round(batches.reduce((a, b) => a + b, 0) / batches.length),
    batches,
    rounds,
    wallMs: performance.now() - started,
    error,
    contenders: live.map((c) => ({
      label: c.label,
      baseline: c.baseline,
      peer: c.peer,
      skipped: c.skipped,
      note: c.note,
      sample: c.sample,
      perOpMs: c.perOpMs,
      cpuPerOpMs: c.cpuPerOpMs,
      ratios: c.ratios,
      cpuRatios: c.cpuRatios,
      perOp: c.perOpMs.length > 0 ? summarize(c.perOpMs) : undefined,
      cpuPerOp: c.cpuPerOpMs.length > 0 ? summarize(c.cpuPerOpMs) : undefined,
      ratio: c.ratios.length > 0 ? summarize(c.ratios) : undefined,
      cpuRatio: c.cpuRatios.length > 0 ? summarize(c.cpuRatios) : undefined,
      firstEvent: c.firstEventMs.length > 0 ? summarize(c.firstEventMs) : undefined,
      firstEventRatio: c.firstEventRatios.length > 0 ? summarize(c.firstEventRatios) : undefined
    }))
  })
  if (base.op === undefined) return finish([], 0, `baseline ${base.label} could not run: ${base.skipped}`)
  for (const entry of live.slice(1)) {
    if (entry.sample === undefined || base.sample === undefined) continue
    const problem = scenario.compare?.(base.sample, entry.sample)
    if (problem !== undefined) {
      entry.note = problem
      log(`${entry.label}: ${problem}`)
    }
  }
  const running = live.filter((c): c is Live & { op: Op } => c.op !== undefined)

  // warm-up: two passes, the second in reverse order; calibrate on the second
  const opMs = new Map<string, number>()
  for (const pass of [0, 1]) {
    const order = pass === 0 ? running : [...running].reverse()
    for (const c of order) opMs.set(c.label, await warm(c.op, options.warmupMs / 2))
  }
  // N so that all rounds take about the budget: each round runs every contender for N ops
  // and re-sized after each round from what the rounds really take (another process's load can
  // make them much slower than the warm-up); past 1.5 budgets the scenario stops after its
  // minimum number of rounds
  const rounds = options.rounds
  const clampBatch = (n: number) => Math.max(options.minBatch, Math.min(options.maxBatch, Math.round(n)))
  let batch = clampBatch(options.budgetMs / (rounds * running.reduce((sum, c) => sum + opMs.get(c.label)!, 0)))
  const batches: Array<number> = []
  log(`warm: ${running.map((c) => `${c.label} ${opMs.get(c.label)!.toFixed(3)} ms`).join(", ")}; ${rounds} rounds × ${batch} ops`)

  const roundsStarted = performance.now()
  let done = 0
  try {
    for (let round = 0; round < rounds; round++) {
      const roundStart = performance.now()
      await runRound(round)
      batches.push(batch)
      done++
      const elapsed = performance.now() - roundsStarted
      if (elapsed > 1.5 * options.budgetMs && done >= options.minRounds) {
        log(`over budget after ${done} rounds; stopping`)
        break
      }
      const left = rounds - done
      if (left > 0) {
        const perOpRound = (performance.now() - roundStart) / batch
        const target = Math.max(0, options.budgetMs - elapsed) / left
        batch = clampBatch(Math.min(batch * 2, Math.max(batch / 2, target / perOpRound)))
      }
    }
  } catch (error) {
    for (const c of running) await c.op.close?.().catch(() => undefined)
    return finish(batches, done, `round ${done + 1} failed: ${describe(error)}`)
  }
  for (const c of running) await c.op.close?.().catch(() => undefined)
  return finish(batches, done)

  async function runRound(round: number): Promise<void> {
    if (options.gcEachRound) gc()
    const shift = round % running.length
    const order = [...running.slice(shift), ...running.slice(0, shift)]
    const times = new Map<Live, { wall: number; cpu: number; first: number | undefined }>()
    for (const c of order) {
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      const firsts: Array<number> = []
      for (let i = 0; i < batch; i++) {
        const first = await c.op.run()
        if (typeof first === "number") firsts.push(first)
      }
      const wall = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      times.set(c, { wall, cpu: (cpu.user + cpu.system) / 1000, first: firsts.length > 0 ? median(firsts) : undefined })
    }
    const baseTime = times.get(base)!
    for (const c of running) {
      const t = times.get(c)!
      c.perOpMs.push(t.wall / batch)
      c.cpuPerOpMs.push(t.cpu / batch)
      c.ratios.push(t.wall / baseTime.wall)
      c.cpuRatios.push(t.cpu / baseTime.cpu)
      if (t.first !== undefined && baseTime.first !== undefined) {
        c.firstEventMs.push(t.first)
        c.firstEventRatios.push(t.first / baseTime.first)
      }
    }
  }
}
