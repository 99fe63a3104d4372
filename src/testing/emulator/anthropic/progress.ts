/**
 * How an emulated Anthropic message batch advances: `in_progress` with growing counts, one step
 * per status call, until it ends; a cancel makes it `canceling` until the next status call(s).
 * Its results are written when processing ends, as the real file is.
 *
 * @since 0.2.0
 */
import type { RouteContext } from "../context.js"
import { finishedBy, finishedCount } from "../lifecycle.js"
import { buildChunks } from "./results.js"
import type { BatchState } from "./state.js"

/**
 * Requests finished so far: a share growing with the status calls, fixed once ended or cancelled.
 *
 * @since 0.2.0
 * @category utils
 */
export const processedNow = (b: BatchState): number => {
  if (b.ended !== undefined) return b.ended.processed
  if (b.cancelInitiatedAt !== undefined) return b.cancelProcessed
  const calls = b.lifecycle.statusCalls ?? 3
  const target = finishedCount(b.customIds.length, (b.lifecycle.outcome ?? "completed") !== "completed", b.lifecycle.processed)
  return calls <= 0 ? target : finishedBy(target, b.polls, calls)
}

/**
 * Ends processing: the requests finished by now answered, the rest canceled or expired.
 *
 * @since 0.2.0
 * @category utils
 */
export const end = (context: RouteContext, b: BatchState, now: number): void => {
  if (b.cancelInitiatedAt !== undefined) {
    b.ended = { at: now, processed: b.cancelProcessed, rest: "canceled" }
  } else {
    const outcome = b.lifecycle.outcome ?? "completed"
    const processed = finishedCount(b.customIds.length, outcome !== "completed", b.lifecycle.processed)
    if (outcome === "cancelled") b.cancelInitiatedAt = now
    b.ended = { at: now, processed, rest: outcome === "expired" ? "expired" : "canceled" }
  }
  // written when processing ends, as the real file is: the first download is as fast as any
  // (benchmarks time downloads of 50,000 lines)
  b.chunks = buildChunks(context, b)
}

/**
 * One status call's step of the lifecycle.
 *
 * @since 0.2.0
 * @category utils
 */
export const advance = (context: RouteContext, b: BatchState, now: number): void => {
  if (b.ended !== undefined) return
  if (b.cancelInitiatedAt !== undefined) {
    b.cancelPolls += 1
    if (b.cancelPolls >= (b.lifecycle.cancelStatusCalls ?? 1)) end(context, b, now)
    return
  }
  b.polls += 1
  if (b.polls >= (b.lifecycle.statusCalls ?? 3)) end(context, b, now)
}
