/**
 * Profiles one contender of one scenario: `npm run profile -- <scenario> <contender> [seconds]`
 * (contender 0 is the raw SDK baseline). It warms the contender up against the emulator child
 * process, then records a CPU profile of the measured loop only (the inspector's profiler, so
 * start-up and warm-up stay out), writes results/profiles/<scenario>-<contender>.cpuprofile (for
 * Chrome DevTools or speedscope) and prints where the time went (lib/cpuprofile.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { performance } from "node:perf_hooks"
import { type CpuProfile, summarize } from "./lib/cpuprofile.js"
import { startEmulatorProcess } from "./lib/emulator.js"
import { scenarios } from "./scenarios/index.js"

const [id, index = "1", seconds = "5"] = process.argv.slice(2)
const scenario = scenarios.find((s) => s.id === id)
const contender = scenario?.contenders[Number(index)]
if (scenario === undefined || contender === undefined) {
  console.error(`usage: npm run profile -- <${scenarios.map((s) => s.id).join("|")}> <contender index> [seconds]`)
  process.exit(2)
}

const emulator = await startEmulatorProcess()
const session = new Session()
let ops = 0
let elapsed = 0
let profile: CpuProfile
try {
  const op = await contender.prepare(emulator)
  for (let i = 0; i < 300; i++) await op.run()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.start")
  const start = performance.now()
  const until = start + Number(seconds) * 1000
  while (performance.now() < until && ops < 1_000_000) {
    await op.run()
    ops++
  }
  elapsed = performance.now() - start
  profile = (await session.post("Profiler.stop")).profile as CpuProfile
  await op.close?.()
} finally {
  session.disconnect()
  await emulator.stop()
}
const dir = new URL("../results/profiles/", import.meta.url)
mkdirSync(dir, { recursive: true })
const file = new URL(`${scenario.id}-${index}.cpuprofile`, dir)
writeFileSync(file, JSON.stringify(profile))
console.log(`${scenario.id} · ${contender.label}: ${ops} ops, ${(elapsed / ops).toFixed(3)} ms per op (profiler on) → ${file.pathname}`)
for (const line of summarize(profile, { top: Number(process.env.PROFILE_TOP ?? 25) })) console.log(line)
