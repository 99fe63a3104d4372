/** The one table `npm run bench` prints. */
import type { ContenderResult, ScenarioResult } from "./rounds.js"

const ms = (x: number): string => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(3)} ms`)
const r = (x: number): string => x.toFixed(3)

const row = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>): string =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()

const cellsOf = (c: ContenderResult, goal: number): Array<string> => {
  const first = c.firstEvent === undefined ? "—" : `${ms(c.firstEvent.median)}${c.baseline || c.firstEventRatio === undefined ? "" : ` ×${c.firstEventRatio.median.toFixed(2)}`}`
  if (c.skipped !== undefined) return [c.label, "—", "—", "—", "—", "—", "—", "—", `skipped: ${c.skipped}`]
  const perOp = c.perOp ? ms(c.perOp.median) : "—"
  const cpu = c.cpuPerOp ? ms(c.cpuPerOp.median) : "—"
  if (c.baseline || c.ratio === undefined) return [c.label, perOp, cpu, "1 (base)", "—", "—", "1 (base)", first, ""]
  const verdict = c.peer === true ? "(peer)" : c.ratio.median <= goal ? `≤ ${goal.toFixed(2)} met` : `≤ ${goal.toFixed(2)} MISSED`
  return [
    c.label,
    perOp,
    cpu,
    r(c.ratio.median),
    `${r(c.ratio.min)}–${r(c.ratio.max)}`,
    `${r(c.ratio.q1)}–${r(c.ratio.q3)}`,
    c.cpuRatio ? r(c.cpuRatio.median) : "—",
    first,
    c.note !== undefined ? `${verdict} (!) ${c.note}` : verdict
  ]
}

export const renderTable = (results: ReadonlyArray<ScenarioResult>, header: ReadonlyArray<string>): string => {
  const head = ["contender", "per op", "CPU per op", "ratio to raw", "spread min–max", "IQR", "CPU ratio", "1st event", "goal"]
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

/** The batch section: one fresh process per measurement, medians over runs. */
export const renderBatchTable = (sections: ReadonlyArray<import("../batch/run.js").BatchSection>): string => {
  type Row = import("../batch/run.js").BatchRow
  const mb = (x: number | undefined): string => (x === undefined ? "—" : `${x.toFixed(0)} MB`)
  const s = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`)
  const verdict = (section: import("../batch/run.js").BatchSection, row: Row): string => {
    if (row.contender !== "ours" || row.ratio === undefined) return ""
    if (row.job === "submit") {
      // issue #10: at most 1.2x the raw SDK's time and 1.5x its heap peak
      const raw = section.rows.find((r) => r.contender === "raw" && r.size === row.size)
      const heap = raw?.heap !== undefined && row.heap !== undefined ? row.heap / raw.heap : undefined
      return [
        `time ≤ 1.20 ${row.ratio.median <= 1.2 ? "met" : "MISSED"}`,
        ...(heap !== undefined ? [`heap ${r(heap)}× raw ≤ 1.50 ${heap <= 1.5 ? "met" : "MISSED"}`] : [])
      ].join(" · ")
    }
    const parts = [`time ≤ 1.20 ${row.ratio.median <= 1.2 ? "met" : "MISSED"}`]
    const sizes = [...new Set(section.rows.map((r) => r.size))].sort((a, b) => a - b)
    if (row.size === sizes.at(-1) && sizes.length > 1) {
      const small = section.rows.find((r) => r.contender === "ours" && r.size === sizes[0])
      if (small?.rss !== undefined && small.heap !== undefined && row.rss !== undefined && row.heap !== undefined) {
        const rss = row.rss - small.rss
        const heap = row.heap - small.heap
        parts.push(`growth from ${sizes[0]! / 1000}k: RSS ${rss >= 0 ? "+" : ""}${rss.toFixed(0)} MB, heap ${heap >= 0 ? "+" : ""}${heap.toFixed(0)} MB; < 64 MB ${Math.max(rss, heap) < 64 ? "met" : "MISSED"}`)
    }
    }
    return parts.join(" · ")
  }
  const cells = (section: import("../batch/run.js").BatchSection, row: Row): Array<string> => {
    const size = row.size.toLocaleString("en-US")
    if (row.skipped !== undefined) return [row.label, size, "—", "—", "—", "—", "—", "—", `skipped: ${row.skipped}`]
    if (row.wall === undefined) return [row.label, size, "—", "—", "—", "—", "—", "—", ""]
    const base = row.contender === "raw"
    const note = row.note !== undefined ? ` (!) ${row.note}` : ""
    return [
      row.label,
      size,
      s(row.wall.median),
      base ? "1 (base)" : r(row.ratio!.median),
      base ? "—" : `${r(row.ratio!.min)}–${r(row.ratio!.max)}`,
      mb(row.rss),
      mb(row.heap),
      mb(row.startHeap),
      verdict(section, row) + note
    ]
  }
  const head = ["contender", "requests", "time", "ratio to raw", "spread min–max", "peak RSS", "heap peak", "heap at start", "goal"]
  const body = sections.flatMap((section) => section.rows.map((row) => cells(section, row)))
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => (i === head.length - 1 ? 0 : c[i]!.length))))
  const lines = [row(head, widths), "-".repeat(widths.reduce((a, b) => a + b + 2, -2))]
  for (const section of sections) {
    lines.push(`${section.title} · ${section.runs} runs · ${(section.wallMs / 1000).toFixed(1)} s${section.error !== undefined ? ` · ERROR: ${section.error}` : ""}`)
    for (const x of section.rows) lines.push(`  ${row(cells(section, x), widths.map((w, i) => (i === 0 ? w - 2 : w)))}`)
  }
  return lines.join("\n")
}

/**
 * The batched-model section: batched-vs-run (time and heap ratios to Batch.run, goals ≤ 1.10×
 * time and ≤ 1.2× heap peak), then batched-overhead (µs per call over Batch.run).
 */
export const renderBatchedTable = (sections: ReadonlyArray<import("../batched/run.js").BatchedSection>): string => {
  const mb = (x: number | undefined): string => (x === undefined ? "—" : `${x.toFixed(0)} MB`)
  const s = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`)
  const us = (x: number): string => `${x.toFixed(1)} µs`
  const lines: Array<string> = []
  const versus = sections.filter((x) => x.id === "batched-vs-run")
  if (versus.length > 0) {
    const head = ["contender", "requests", "time", "time ratio", "min–max", "peak RSS", "heap peak", "heap ratio", "min–max", "heap at start", "goal"]
    const body = versus.flatMap((section) =>
      section.rows.map((row) => {
        const size = row.size.toLocaleString("en-US")
        if (row.wall === undefined) return [row.label, size, "—", "—", "—", "—", "—", "—", "—", "—", ""]
        const base = row.contender === "run"
        const goal = base || row.ratio === undefined || row.heapRatio === undefined
          ? ""
          : row.contender === "floor"
          ? "(reference)"
          : `time ≤ 1.10 ${row.ratio.median <= 1.1 ? "met" : "MISSED"} · heap ≤ 1.20 ${row.heapRatio.median <= 1.2 ? "met" : "MISSED"}`
        return [
          row.label,
          size,
          s(row.wall.median),
          base ? "1 (base)" : r(row.ratio!.median),
          base ? "—" : `${r(row.ratio!.min)}–${r(row.ratio!.max)}`,
          mb(row.rss),
          mb(row.heap),
          base ? "1 (base)" : r(row.heapRatio!.median),
          base ? "—" : `${r(row.heapRatio!.min)}–${r(row.heapRatio!.max)}`,
          mb(row.startHeap),
          goal + (row.note !== undefined ? ` (!) ${row.note}` : "")
        ]
      })
    )
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => (i === head.length - 1 ? 0 : c[i]!.length + (i === 0 ? 2 : 0)))))
    lines.push(row(head, widths), "-".repeat(widths.reduce((a, b) => a + b + 2, -2)))
    let at = 0
    for (const section of versus) {
      lines.push(`${section.title} · ${section.runs} runs · ${(section.wallMs / 1000).toFixed(1)} s${section.error !== undefined ? ` · ERROR: ${section.error}` : ""}`)
      for (const _ of section.rows) lines.push(`  ${row(body[at++]!, widths.map((w, i) => (i === 0 ? w - 2 : w)))}`)
    }
  }
  const overhead = sections.filter((x) => x.id === "batched-overhead")
  if (overhead.length > 0) {
    if (lines.length > 0) lines.push("")
    const head = ["contender", "callers", "time per round", "CPU per round", "overhead per call", "min–max", "IQR", "CPU overhead per call", "over reference per call"]
    const body = overhead.flatMap((section) =>
      (section.overhead?.rows ?? []).map((o) => {
        const callers = String(section.overhead!.callers)
        if (o.wall === undefined) return [o.label, callers, "—", "—", "—", "—", "—", "—", "—"]
        const base = o.contender === "run"
        const note = o.note !== undefined ? ` (!) ${o.note}` : ""
        return [
          o.label + note,
          callers,
          s(o.wall.median),
          o.cpu ? s(o.cpu.median) : "—",
          base || o.overhead === undefined ? "0 (base)" : us(o.overhead.median),
          base || o.overhead === undefined ? "—" : `${us(o.overhead.min)}–${us(o.overhead.max)}`,
          base || o.overhead === undefined ? "—" : `${us(o.overhead.q1)}–${us(o.overhead.q3)}`,
          base || o.cpuOverhead === undefined ? "—" : us(o.cpuOverhead.median),
          o.overReference === undefined ? "—" : `${us(o.overReference.median)} (${us(o.overReference.q1)}–${us(o.overReference.q3)})`
        ]
      })
    )
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length + (i === 0 ? 2 : 0))))
    lines.push(row(head, widths), "-".repeat(widths.reduce((a, b) => a + b + 2, -2)))
    let at = 0
    for (const section of overhead) {
      const shape = section.overhead !== undefined ? ` · ${section.runs} runs × ${section.overhead.rounds / Math.max(1, section.runs)} rounds` : ""
      lines.push(`${section.title}${shape} · ${(section.wallMs / 1000).toFixed(1)} s${section.error !== undefined ? ` · ERROR: ${section.error}` : ""}`)
      for (const _ of section.overhead?.rows ?? []) lines.push(`  ${row(body[at++]!, widths.map((w, i) => (i === 0 ? w - 2 : w)))}`)
    }
  }
  return lines.join("\n")
}
