/**
 * The batch scenarios: reading the results of complete 10,000- and 50,000-request batches, and
 * submitting a 50,000-request batch, each measurement in a fresh child process (a process's
 * peak RSS only grows). Runs alternate: every run measures each contender once per size, in an
 * order that rotates from run to run; figures are medians over runs, ratios per run to the raw
 * SDK's measurement of the same run. Before each measurement the emulator process settles (a
 * full collection; for a submission, after forgetting the batches earlier runs submitted), so
 * every contender meets the same server and none pays for another's garbage.
 */
import { fileURLToPath } from "node:url"
import { type ChildMeasurement, runInChild } from "../lib/child.js"
import type { EmulatorEndpoints, EmulatorProcess } from "../lib/emulator.js"
import { median, type Summary, summarize } from "../lib/stats.js"
import { createCompleteBatch } from "./create.js"
import { type ChildInput, type ChildOutput, type Contender, contenderLabel, type Provider } from "./shared.js"

export interface BatchRow {
  readonly provider: Provider
  readonly job: "read" | "submit"
  readonly size: number
  readonly contender: Contender
  readonly label: string
  readonly skipped?: string | undefined
  readonly wallMs: ReadonlyArray<number>
  readonly maxRssMB: ReadonlyArray<number>
  readonly peakHeapMB: ReadonlyArray<number>
  readonly startHeapMB: ReadonlyArray<number>
  readonly ratios: ReadonlyArray<number>
  readonly wall?: Summary | undefined
  readonly ratio?: Summary | undefined
  readonly rss?: number | undefined
  readonly heap?: number | undefined
  /** Median heap when the measurement started (modules loaded, client built). */
  readonly startHeap?: number | undefined
  /** Problems seen: a result count or success count unlike the baseline's. */
  readonly note?: string | undefined
}

export interface BatchSection {
  readonly id: string
  readonly title: string
  readonly runs: number
  readonly wallMs: number
  readonly rows: ReadonlyArray<BatchRow>
  readonly error?: string | undefined
}

export interface BatchOptions {
  readonly runs: number
  /** Runs of the submission scenarios. */
  readonly submitRuns: number
  readonly sizes: ReadonlyArray<number>
  readonly submitSize: number
  readonly log: (line: string) => void
}

const readChild = fileURLToPath(new URL("./read-child.ts", import.meta.url))
const submitChild = fileURLToPath(new URL("./submit-child.ts", import.meta.url))

/**
 * Contenders per provider and job; a reason when one cannot run here. Vercel's OpenAI batches
 * run on /v1/responses, whose result lines the emulator's batch module answers with chat
 * completion bodies, which Vercel's converter rejects (every line would be a failure): its
 * reading is not comparable, so it is left out.
 */
const contenders = (provider: Provider, job: "read" | "submit"): Array<{ contender: Contender; skipped?: string }> => [
  { contender: "raw" },
  { contender: "ours" },
  provider === "openai" && job === "read"
    ? { contender: "vercel", skipped: "the emulator's batch output for /v1/responses lines holds chat.completion bodies, which Vercel's Responses converter rejects" }
    : { contender: "vercel" }
]

export const batchScenarioIds = ["openai-batch-read", "anthropic-batch-read", "openai-batch-submit", "anthropic-batch-submit"] as const

export const runBatchScenario = async (
  id: (typeof batchScenarioIds)[number],
  env: EmulatorEndpoints & Partial<Pick<EmulatorProcess, "settle">>,
  options: BatchOptions
): Promise<BatchSection> => {
  const started = performance.now()
  const provider: Provider = id.startsWith("openai") ? "openai" : "anthropic"
  const job = id.endsWith("read") ? "read" : "submit"
  const sizes = job === "read" ? options.sizes : [options.submitSize]
  const baseURL = provider === "openai" ? env.openaiBaseURL : env.anthropicBaseURL
  const log = (line: string) => options.log(`[${id}] ${line}`)
  const title = job === "read"
    ? `${provider === "openai" ? "OpenAI" : "Anthropic"} batch results: read a complete batch (child process each)`
    : `${provider === "openai" ? "OpenAI" : "Anthropic"} batch submission (child process each)`
  const list = contenders(provider, job)
  type Live = { -readonly [K in keyof BatchRow]: BatchRow[K] } & { wallMs: Array<number>; maxRssMB: Array<number>; peakHeapMB: Array<number>; startHeapMB: Array<number>; ratios: Array<number> }
  const rows: Array<Live> = sizes.flatMap((size) =>
    list.map(({ contender, skipped }) => ({
      provider, job, size, contender, label: contenderLabel(provider, contender, job), skipped,
      wallMs: [] as Array<number>, maxRssMB: [] as Array<number>, peakHeapMB: [] as Array<number>, startHeapMB: [] as Array<number>, ratios: [] as Array<number>
    }))
  )
  const finish = (runs: number, error?: string): BatchSection => ({
    id, title, runs, error, wallMs: performance.now() - started,
    rows: rows.map((r) => ({
      ...r,
      wall: r.wallMs.length > 0 ? summarize(r.wallMs) : undefined,
      ratio: r.ratios.length > 0 ? summarize(r.ratios) : undefined,
      rss: r.maxRssMB.length > 0 ? median(r.maxRssMB) : undefined,
      heap: r.peakHeapMB.length > 0 ? median(r.peakHeapMB) : undefined,
      startHeap: r.startHeapMB.length > 0 ? median(r.startHeapMB) : undefined
    }))
  })
  let batchIds: Map<number, string>
  try {
    batchIds = new Map()
    if (job === "read") {
      for (const size of sizes) {
        const t = performance.now()
        batchIds.set(size, await createCompleteBatch(provider, env, size))
        log(`created a complete ${size}-request batch in ${((performance.now() - t) / 1000).toFixed(1)} s`)
      }
    }
  } catch (error) {
    return finish(0, `creating the batches failed: ${error instanceof Error ? error.message : String(error)}`)
  }
  let done = 0
  try {
    const runs = job === "read" ? options.runs : options.submitRuns
    for (let run = 0; run < runs; run++) {
      for (const size of sizes) {
        const here = rows.filter((r) => r.size === size && r.skipped === undefined)
        const shift = (run + size) % here.length
        const order = [...here.slice(shift), ...here.slice(0, shift)]
        const measured = new Map<Contender, ChildMeasurement<ChildOutput>>()
        for (const row of order) {
          const input: ChildInput = { provider, contender: row.contender, baseURL, size, batchId: batchIds.get(size) }
          // every measurement starts from the same emulator: collected, and for a submission
          // without the batches earlier runs submitted (emulator-process.ts)
          await env.settle?.({ forgetBatches: job === "submit" })
          const m = await runInChild<ChildOutput>(job === "read" ? readChild : submitChild, input, { timeoutMs: 300_000 })
          measured.set(row.contender, m)
          row.wallMs.push(m.wallMs)
          row.maxRssMB.push(m.maxRssMB)
          row.peakHeapMB.push(m.peakHeapMB)
          row.startHeapMB.push(m.startHeapMB)
          log(`run ${run + 1} ${size} ${row.contender}: ${m.wallMs.toFixed(0)} ms, RSS ${m.maxRssMB.toFixed(0)} MB, heap ${m.peakHeapMB.toFixed(0)} MB, ${m.value.results} results (${m.value.succeeded} ok)`)
        }
        const base = measured.get("raw")!
        for (const row of here) {
          const m = measured.get(row.contender)!
          row.ratios.push(m.wallMs / base.wallMs)
          const expected = size
          if (m.value.results !== expected || (job === "read" && m.value.succeeded !== base.value.succeeded)) {
            row.note = `${m.value.results} results (${m.value.succeeded} ok), expected ${expected} (${base.value.succeeded} ok)`
          }
        }
      }
      done++
    }
  } catch (error) {
    return finish(done, `run ${done + 1} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
  }
  return finish(done)
}
