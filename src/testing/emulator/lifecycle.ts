/**
 * What the providers' emulated batch lifecycles share: the header that picks a lifecycle, how
 * many requests a batch finishes, how its progress grows per status call, and how its result
 * lines are laid out (order, left out, written twice, written a group at a time).
 *
 * @since 0.2.0
 */
import { fnv1a } from "./digest.js"

/**
 * The request header that carries a batch lifecycle as JSON, on every provider's batch create.
 *
 * @since 0.2.0
 * @category constants
 */
export const batchLifecycleHeaderName = "x-emulator-batch"

/**
 * The header for a client's `defaultHeaders` that gives the batches it creates this lifecycle.
 *
 * @since 0.2.0
 * @category constructors
 */
export const lifecycleHeader = <Lifecycle>(lifecycle: Lifecycle): Record<string, string> => ({
  [batchLifecycleHeaderName]: JSON.stringify(lifecycle)
})

/**
 * The requests a batch of `n` finishes: all of them, or for an end that cuts it short (expired,
 * cancelled) the first `processed` (default half).
 *
 * @since 0.2.0
 * @category utils
 */
export const finishedCount = (n: number, cutShort: boolean, processed: number | undefined): number =>
  cutShort ? Math.min(n, processed ?? Math.floor(n / 2)) : n

/**
 * The requests finished after `statusCalls` of `calls`: a share of `target` growing with each.
 *
 * @since 0.2.0
 * @category utils
 */
export const finishedBy = (target: number, statusCalls: number, calls: number): number =>
  Math.min(target, Math.floor((target * statusCalls) / calls))

/**
 * How a batch's result lines are laid out.
 *
 * @since 0.2.0
 * @category models
 */
export interface ResultLayout {
  /** Line order (default "shuffled", a fixed permutation: never submission order). */
  readonly order?: "submission" | "reversed" | "shuffled" | undefined
  /** Custom ids whose line is written twice (the copy at the end). */
  readonly duplicate?: ReadonlyArray<string> | undefined
  /** Custom ids left out. */
  readonly omit?: ReadonlyArray<string> | undefined
}

/**
 * How a batch's result lines are laid out and written.
 *
 * @since 0.2.0
 * @category models
 */
export interface ResultFileLayout extends ResultLayout {
  /** Whether requests unfinished at expiry or cancellation get a line (default true, as the real API). */
  readonly unprocessedLines?: boolean | undefined
  /** Result lines per write of a download (default 1000). */
  readonly linesPerChunk?: number | undefined
  /** Milliseconds between those writes (default none). */
  readonly chunkDelayMs?: number | undefined
}

/**
 * Result items in their written order: the omitted left out, the rest in the layout's order
 * (the "shuffled" one keyed on the batch id, so a download read again has the same order), then
 * a copy of each duplicated one.
 *
 * @since 0.2.0
 * @category utils
 */
export const arrange = <A>(items: ReadonlyArray<A>, idOf: (item: A) => string, batchId: string, layout: ResultLayout): Array<A> => {
  const omitted = new Set(layout.omit ?? [])
  const kept = items.filter((item) => !omitted.has(idOf(item)))
  const order = layout.order ?? "shuffled"
  if (order === "reversed") kept.reverse()
  else if (order === "shuffled") {
    const keys = new Map(kept.map((item) => [idOf(item), fnv1a(`${batchId}:${idOf(item)}`)]))
    kept.sort((x, y) => keys.get(idOf(x))! - keys.get(idOf(y))!)
  }
  const copies: Array<A> = []
  for (const id of layout.duplicate ?? []) {
    const item = kept.find((k) => idOf(k) === id)
    if (item !== undefined) copies.push(item)
  }
  return [...kept, ...copies]
}

/**
 * Lines in writes of `linesPerChunk` (default 1000), each write ending in a newline.
 *
 * @since 0.2.0
 * @category utils
 */
export const chunkLines = (lines: ReadonlyArray<string>, linesPerChunk: number | undefined): Array<string> => {
  const per = Math.max(1, linesPerChunk ?? 1000)
  const chunks: Array<string> = []
  for (let i = 0; i < lines.length; i += per) chunks.push(`${lines.slice(i, i + per).join("\n")}\n`)
  return chunks
}

/**
 * `controls` with a `lifecycle` property that reads and writes `holder.lifecycle`: the default
 * lifecycle a test sets on the controls is the one the routes use.
 *
 * @since 0.2.0
 * @category constructors
 */
export const withLifecycle = <Lifecycle, Controls extends object>(
  holder: { lifecycle: Lifecycle | undefined },
  controls: Controls
): Controls & { lifecycle: Lifecycle | undefined } =>
  Object.defineProperty(controls, "lifecycle", {
    get: () => holder.lifecycle,
    set: (value: Lifecycle | undefined) => {
      holder.lifecycle = value
    },
    enumerable: true
  }) as Controls & { lifecycle: Lifecycle | undefined }
