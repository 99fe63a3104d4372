/**
 * Where the batched model's cost over `Batch.run` comes from, by variants of batched-vs-run's
 * reference (variants-child.ts), each in a fresh process, `runs` times in rotating order:
 * `node --expose-gc --import tsx src/batched/variants.ts [runs] [size]` prints the median time
 * and heap peak of each, and its difference from the reference's in the same run.
 */
import { fileURLToPath } from "node:url"
import { runInChild } from "../lib/child.js"
import { startEmulatorProcess } from "../lib/emulator.js"
import { median } from "../lib/stats.js"
import { API_KEY, LIFECYCLE } from "./shared.js"
import type { Variant, VariantInput } from "./variants-child.js"

const [runsArg = "5", sizeArg = "10000"] = process.argv.slice(2)
const variants: ReadonlyArray<Variant> = ["reference", "acquireUseRelease", "async", "encodedSize", "layer"]
const child = fileURLToPath(new URL("./variants-child.ts", import.meta.url))
const emulator = await startEmulatorProcess()
const wall = new Map(variants.map((v) => [v, [] as Array<number>]))
const heap = new Map(variants.map((v) => [v, [] as Array<number>]))
try {
  for (let run = 0; run < Number(runsArg); run++) {
    const order = [...variants.slice(run % variants.length), ...variants.slice(0, run % variants.length)]
    for (const variant of order) {
      await emulator.settle({ forgetBatches: true })
      await fetch(`${emulator.url}/v1/emulator/batch-lifecycle`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(LIFECYCLE) })
      const input: VariantInput = { variant, baseURL: emulator.openaiBaseURL, size: Number(sizeArg), pollInterval: "5 millis" }
      const m = await runInChild<{ results: number }>(child, input, { timeoutMs: 300_000 })
      if (m.value.results !== input.size) throw new Error(`${variant}: ${m.value.results} results, expected ${input.size}`)
      wall.get(variant)!.push(m.wallMs)
      heap.get(variant)!.push(m.peakHeapMB)
      process.stderr.write(`run ${run + 1} ${variant}: ${m.wallMs.toFixed(0)} ms, heap ${m.peakHeapMB.toFixed(0)} MB\n`)
    }
  }
} finally {
  await emulator.stop()
}
const diff = (xs: ReadonlyArray<number>, base: ReadonlyArray<number>) => median(xs.map((x, i) => x - base[i]!))
for (const v of variants) {
  const w = wall.get(v)!
  const h = heap.get(v)!
  console.log(`${v.padEnd(18)} time ${median(w).toFixed(0).padStart(5)} ms (${diff(w, wall.get("reference")!) >= 0 ? "+" : ""}${diff(w, wall.get("reference")!).toFixed(0)} vs reference)  heap peak ${median(h).toFixed(0)} MB (${diff(h, heap.get("reference")!) >= 0 ? "+" : ""}${diff(h, heap.get("reference")!).toFixed(1)})`)
}
