/**
 * Measurements that need a process of their own: peak memory (a process's maximum resident set
 * only grows, so two contenders in one process would blur each other) and one-shot timings of
 * large jobs (reading 10,000 / 50,000 batch results). The parent runs a scenario file with
 * `runInChild(file, input)`; the file calls `childMain(measure)`, which times `measure(input)`,
 * samples the heap while it runs, and reports on one stdout line.
 */
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { compiledScript } from "./compiled.js"
import { tsxArgs } from "./emulator.js"

export interface ChildMeasurement<T> {
  /** Time of `measure(input)`, ms. */
  readonly wallMs: number
  /** The process's peak resident set size, MB (getrusage maxrss: includes Node's own baseline). */
  readonly maxRssMB: number
  /** The largest heapUsed + arrayBuffers sampled every 5 ms (and at each {@link probe}) while `measure` ran, MB. */
  readonly peakHeapMB: number
  /** heapUsed + arrayBuffers when `measure` started, after a full collection, MB: the loaded modules and the prepared client. */
  readonly startHeapMB: number
  /** What `measure` returned (JSON). */
  readonly value: T
}

const MARK = "BENCH_CHILD_RESULT "

let peak = 0
/**
 * Samples the heap now. The timer samples every 5 ms, but a loop that does not yield (a
 * synchronous parse of 50,000 lines) starves it; measured code calls this every so often
 * (every 1,000 results) so its peak is seen however it schedules its work.
 */
export const probe = (): void => {
  const m = process.memoryUsage()
  const used = m.heapUsed + m.arrayBuffers
  if (used > peak) peak = used
}

/**
 * Parent side: runs `file` (a TypeScript module calling {@link childMain}) in a fresh Node process,
 * as compiled JavaScript on plain Node (lib/compiled.ts), with `--expose-gc` for the collection
 * before the measurement.
 */
export const runInChild = async <T>(
  file: string,
  input: unknown,
  options?: { readonly timeoutMs?: number; readonly nodeArgs?: ReadonlyArray<string>; readonly env?: Readonly<Record<string, string>> }
): Promise<ChildMeasurement<T>> => {
  // BENCH_CHILD_TSX=1: the sources under tsx, as before the compiled children (to compare)
  const args = process.env.BENCH_CHILD_TSX === "1" ? tsxArgs(file) : [await compiledScript(file)]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", ...(options?.nodeArgs ?? []), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...options?.env, BENCH_CHILD_INPUT: JSON.stringify(input ?? null) }
    })
    let result: ChildMeasurement<T> | undefined
    const timer = setTimeout(() => child.kill("SIGKILL"), options?.timeoutMs ?? 120_000)
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith(MARK)) result = JSON.parse(line.slice(MARK.length)) as ChildMeasurement<T>
      else process.stderr.write(`[child] ${line}\n`)
    })
    child.once("error", reject)
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      if (result !== undefined && code === 0) resolve(result)
      else reject(new Error(`${file} ended (code ${code}, signal ${signal}) without a result`))
    })
  })
}

/** Child side: measures `measure(input)` and reports to the parent, then exits. */
export const childMain = async <I, T>(measure: (input: I) => Promise<T>): Promise<never> => {
  const input = JSON.parse(process.env.BENCH_CHILD_INPUT ?? "null") as I
  const sample = probe
  // the garbage of module loading and client setup is collected first: how much of it is still
  // uncollected when the job starts depends on when V8 last collected, not on the job
  ;(globalThis as { gc?: () => void }).gc?.()
  peak = 0
  const atStart = process.memoryUsage()
  const sampler = setInterval(sample, 5)
  const start = performance.now()
  const value = await measure(input)
  const wallMs = performance.now() - start
  sample()
  clearInterval(sampler)
  const result: ChildMeasurement<T> = { wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024, peakHeapMB: peak / 2 ** 20, startHeapMB: (atStart.heapUsed + atStart.arrayBuffers) / 2 ** 20, value }
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`, () => process.exit(0))
  return new Promise<never>(() => undefined)
}
