/** Order statistics for small samples (per-round figures). */

const sorted = (xs: ReadonlyArray<number>): Array<number> => [...xs].sort((a, b) => a - b)

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = sorted(xs)
  const at = (s.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo)
}

export const median = (xs: ReadonlyArray<number>): number => quantile(xs, 0.5)

export interface Summary {
  readonly median: number
  readonly q1: number
  readonly q3: number
  readonly min: number
  readonly max: number
  readonly n: number
}

export const summarize = (xs: ReadonlyArray<number>): Summary => ({
  median: median(xs),
  q1: quantile(xs, 0.25),
  q3: quantile(xs, 0.75),
  min: xs.length === 0 ? Number.NaN : Math.min(...xs),
  max: xs.length === 0 ? Number.NaN : Math.max(...xs),
  n: xs.length
})
