/**
 * Reads a V8 CPU profile: self time by package, the top functions by self time, and the
 * library's own functions by inclusive time (so "where does the overhead go" has numbers).
 */

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
export interface CpuProfile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const packageOf = (url: string): string => {
  if (url === "") return "(native / GC / idle)"
  if (url.startsWith("node:")) return "node internals"
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.includes("/dist/")) return "effect-llm-direct"
  if (url.includes("/bench/")) return "bench harness"
  return url.replace(/^file:\/\//, "")
}

const keyOf = (node: Node): string => {
  const { functionName, url, lineNumber } = node.callFrame
  return `${functionName || "(anonymous)"}  ${packageOf(url)}${url ? ` ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}` : ""}`
}

/** The report as lines. `focus`: packages whose functions are listed by inclusive time. */
export const summarize = (profile: CpuProfile, options?: { readonly top?: number; readonly focus?: ReadonlyArray<string> }): Array<string> => {
  const top = options?.top ?? 25
  const focus = options?.focus ?? ["effect-llm-direct"]
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const groups = new Map<string, number>()
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const node = byId.get(id)!
    groups.set(packageOf(node.callFrame.url), (groups.get(packageOf(node.callFrame.url)) ?? 0) + dt)
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + dt)
    // every function on the stack once, so recursion counts once
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(byId.get(at)!))
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + dt)
  })
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`
  const sortDesc = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])
  return [
    `${(total / 1000).toFixed(0)} ms sampled`,
    "self time by package:",
    ...sortDesc(groups).slice(0, 12).map(([k, t]) => `  ${pct(t)}  ${k}`),
    `top ${top} functions by self time:`,
    ...sortDesc(self).slice(0, top).map(([k, t]) => `  ${pct(t)}  ${k}`),
    `top ${top} functions of ${focus.join(", ")} by inclusive time:`,
    ...sortDesc(inclusive).filter(([k]) => focus.some((f) => k.includes(`  ${f}`))).slice(0, top).map(([k, t]) => `  ${pct(t)}  ${k}`)
  ]
}
