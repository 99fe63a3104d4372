/** The one table `npm run bench` prints. */
import type { ContenderResult, ScenarioResult } from "./rounds.js"

const ms = (x: number): string => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(3)} ms`)
const r = (x: number): string => x.toFixed(3)

const row = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>): string =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()

const cellsOf = (c: ContenderResult, goal: number): Array<string> => {
  if (c.skipped !== undefined) return [c.label, "—", "—", "—", "—", "—", "—", `skipped: ${c.skipped}`]
  const perOp = c.perOp ? ms(c.perOp.median) : "—"
  const cpu = c.cpuPerOp ? ms(c.cpuPerOp.median) : "—"
  if (c.baseline || c.ratio === undefined) return [c.label, perOp, cpu, "1 (base)", "—", "—", "1 (base)", ""]
  const verdict = c.ratio.median <= goal ? `≤ ${goal.toFixed(2)} met` : `≤ ${goal.toFixed(2)} MISSED`
  return [
    c.label,
    perOp,
    cpu,
    r(c.ratio.median),
    `${r(c.ratio.min)}–${r(c.ratio.max)}`,
    `${r(c.ratio.q1)}–${r(c.ratio.q3)}`,
    c.cpuRatio ? r(c.cpuRatio.median) : "—",
    c.note !== undefined ? `${verdict} (!) ${c.note}` : verdict
  ]
}

export const renderTable = (results: ReadonlyArray<ScenarioResult>, header: ReadonlyArray<string>): string => {
  const head = ["contender", "per op", "CPU per op", "ratio to raw", "spread min–max", "IQR", "CPU ratio", "goal"]
  const body = results.flatMap((s) => s.contenders.map((c) => cellsOf(c, s.goal)))
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => (i === head.length - 1 ? 0 : cells[i]!.length))))
  const lines: Array<string> = [...header, "", row(head, widths), "-".repeat(widths.reduce((a, b) => a + b + 2, -2))]
  for (const s of results) {
    const shape = s.rounds > 0 ? ` · ${s.rounds} rounds × ~${s.batch} ops · ${(s.wallMs / 1000).toFixed(1)} s` : ""
    lines.push(`${s.title}${shape}${s.error !== undefined ? ` · ERROR: ${s.error}` : ""}`)
    for (const c of s.contenders) lines.push(`  ${row(cellsOf(c, s.goal), widths.map((w, i) => (i === 0 ? w - 2 : w)))}`)
  }
  return lines.join("\n")
}
