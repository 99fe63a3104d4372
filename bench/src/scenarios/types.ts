/**
 * What a scenario is: a set of contenders that do the same work against the emulator, the first
 * of them the baseline (the raw SDK) that the others are divided by, round by round.
 */
import type { EmulatorEndpoints } from "../lib/emulator.js"

/** One prepared contender: `run` is one operation (one request, one whole stream). */
export interface Op {
  /**
   * One operation; its time is what is measured. A stream's operation returns the time from the
   * call to its first text delta (ms, `performance.now()`), reported as "1st event".
   */
  readonly run: () => Promise<void | number>
  /**
   * Runs one operation and describes its output (text, delta count), to check once, before
   * measuring, that every contender did the same work as the baseline.
   */
  readonly sample: () => Promise<Sample>
  /** Frees what `prepare` made (runtimes, clients). */
  readonly close?: () => Promise<void>
}

/** What one operation produced, compared across contenders. */
export interface Sample {
  readonly text: string
  /** Text deltas seen (streams). */
  readonly deltas?: number
}

/** A contender not runnable here (a provider module not built yet, ...): skipped with the reason. */
export class Unavailable extends Error {}

export interface Contender {
  /** The row label. */
  readonly label: string
  /** Another library (or the raw SDK on another API): shown for comparison, the goal is not its. */
  readonly peer?: boolean
  readonly prepare: (env: EmulatorEndpoints) => Promise<Op>
}

/** A scenario measured in interleaved rounds, ratios to its first contender. */
export interface Scenario {
  readonly id: string
  /** The table's section title. */
  readonly title: string
  /** The ratio goal of every non-baseline contender (1.05 requests, 1.10 streams). */
  readonly goal: number
  /** The baseline first. */
  readonly contenders: ReadonlyArray<Contender>
  /** Compares a contender's sample with the baseline's; returns a problem, or undefined. */
  readonly compare?: (baseline: Sample, other: Sample) => string | undefined
}
