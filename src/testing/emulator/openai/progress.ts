/**
 * How an emulated OpenAI batch advances: one step per status call (`validating`, `in_progress`
 * with growing counts, `finalizing`, final), at create for `statusCalls: 0`, or on a timer for
 * `finishAfterMs`; a cancel lands at the next status call.
 *
 * @since 0.2.0
 */
import { finishedBy, finishedCount } from "../lifecycle.js"
import { fail, finish, scriptedFailure } from "./results.js"
import { type BatchState, finalStatuses, now, type OpenAiState } from "./state.js"

type Json = Record<string, unknown>

/** Requests finished after `polls` status calls. */
const processedBy = (b: BatchState, polls: number): number => {
  const lc = b.lifecycle
  const target = finishedCount(b.statuses.length, lc.outcome === "expired" || lc.outcome === "cancelled", lc.processed)
  return finishedBy(target, polls, Math.max(1, lc.statusCalls ?? 3))
}

/** Ends a batch with its lifecycle's outcome, every request (or its `processed` share) done. */
const end = (state: OpenAiState, b: BatchState) => {
  const lc = b.lifecycle
  const outcome = lc.outcome ?? "completed"
  if (outcome === "failed") return fail(state, b, scriptedFailure(lc))
  finish(state, b, outcome, finishedCount(b.statuses.length, outcome !== "completed", lc.processed))
}

/**
 * One status call's step of the lifecycle.
 *
 * @since 0.2.0
 * @category utils
 */
export const advance = (state: OpenAiState, b: BatchState): void => {
  if (finalStatuses.has(b.status)) return
  b.polls += 1
  const lc = b.lifecycle
  if (b.validationErrors.length > 0) return fail(state, b, b.validationErrors)
  // a batch that ends on a timer is in progress until then (or until a cancel lands)
  if (lc.finishAfterMs !== undefined) {
    if (b.status === "cancelling") return finish(state, b, "cancelled", b.cancelledAfter ?? 0)
    b.status = "in_progress"
    b.times.in_progress ??= now()
    return
  }
  if (lc.outcome === "failed") return fail(state, b, scriptedFailure(lc))
  if (b.status === "cancelling") return finish(state, b, "cancelled", b.cancelledAfter ?? 0)
  const calls = lc.statusCalls ?? 3
  if (b.polls >= calls) {
    const outcome = lc.outcome ?? "completed"
    return finish(state, b, outcome, outcome === "completed" ? b.statuses.length : processedBy(b, calls))
  }
  if (calls >= 3 && b.polls === calls - 1) {
    b.status = "finalizing"
    b.times.finalizing ??= now()
    b.processed = processedBy(b, b.polls)
    return
  }
  b.status = "in_progress"
  b.times.in_progress ??= now()
  b.processed = processedBy(b, b.polls)
}

/**
 * What happens to a new batch before any status call: with `finishAfterMs` it ends on its own
 * after that long (unless final or cancelling by then); with `statusCalls: 0` it is final at
 * once (failed when its input was rejected).
 *
 * @since 0.2.0
 * @category utils
 */
export const start = (state: OpenAiState, b: BatchState, rejected: ReadonlyArray<Json>): void => {
  const lifecycle = b.lifecycle
  if (lifecycle.finishAfterMs !== undefined && rejected.length === 0) {
    const timer = setTimeout(() => {
      state.timers.delete(timer)
      if (finalStatuses.has(b.status) || b.status === "cancelling") return
      end(state, b)
    }, lifecycle.finishAfterMs)
    timer.unref()
    state.timers.add(timer)
  } else if ((lifecycle.statusCalls ?? 3) <= 0) {
    if (rejected.length > 0) fail(state, b, rejected)
    else if (lifecycle.outcome === "failed") advance(state, b)
    else end(state, b)
  }
}
