/**
 * The durable driver of the batch lifecycle: the workflow's body. It takes the lifecycle's
 * decisions (the plan, admission under the queue limits, what each status means, resubmission
 * rounds) over journaled state, and carries each out as a journaled activity or a durable sleep,
 * so that a replay after a restart takes the same decisions in the same order.
 *
 * @since 0.2.0
 * @internal
 */
import * as DurableClock from "@effect/workflow/DurableClock"
import { WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import { Duration, Effect, Either } from "effect"
import { BatchTimeoutError, InvalidInputError, isRetryable } from "../AiError.js"
import type { Batch, BatchRequest } from "../BatchData.js"
import { BatchModel, type Service as BatchModelService } from "../BatchModel.js"
import { planRun, type RunPlan } from "../internal/batch/calls.js"
import { admitCount, endingOf, failedError, nextBackoff, type Refusal, requeueStep } from "../internal/batch/lifecycle.js"
import { partTokens, parts as splitParts, type QueueLimits } from "../internal/batch/plan.js"
import { beginActivity, cancelledOnEnd, createPart, keepsLabels, resubmitRound, slim, statusRound } from "./activities.js"
import { defaultQueueBackoff, type RunPayload, RunResult } from "./runData.js"

/**
 * A part of the run: one provider batch's requests, its label, and the batch once created. A
 * part that submits the requests of a queue-refused batch again carries `refused` until it is
 * created.
 */
interface Part {
  readonly index: number
  readonly requests: ReadonlyArray<BatchRequest>
  /** The estimated tokens of its requests (0 without `maxEnqueuedTokens`). */
  readonly tokens: number
  readonly label: string
  batch: Batch | undefined
  /** Its batch is final and was counted (a finish, or a refusal that made the next part). */
  settled: boolean
  /** For a part resubmitting a refused batch: that batch, and the finishes counted when it was refused. */
  readonly refused: { readonly batch: Batch; readonly finishesBefore: number } | undefined
  /** Its `queueBackoff` wait is over (or it need not wait: another part finished). */
  ready: boolean
  /** `queueBackoff` waits its chain of refused batches has used. */
  backoffs: number
}

/** Created and not final. */
const isLive = (part: Part): boolean => part.batch !== undefined && !part.batch.isComplete
/** Resubmitting a refused batch, not created yet: it keeps the refused batch's place in the budget. */
const isRequeued = (part: Part): boolean => part.batch === undefined && part.refused !== undefined
const refusalOf = (part: Part): Refusal => ({ finishesAtRefusal: part.refused!.finishesBefore, backoffOver: part.ready })
const tokensOf = (part: Part): number => part.tokens

/**
 * Which parts to create in this round, by the lifecycle's queue decisions over the journaled
 * state: a refused part when {@link requeueStep} says so, new parts first come first served as
 * {@link admitCount} admits them. A replay admits the same parts in the same order (activity
 * names are per part index).
 */
const admit = (parts: ReadonlyArray<Part>, limits: QueueLimits, finishes: number): ReadonlyArray<Part> => {
  const live = parts.filter(isLive).length
  const requeued = parts.filter((p) => isRequeued(p) && requeueStep(refusalOf(p), finishes, live) === "submit")
  const held = parts.filter((p) => isLive(p) || isRequeued(p))
  const state = { running: held.length, enqueuedTokens: held.reduce((sum, p) => sum + p.tokens, 0) }
  const waiting = parts.filter((p) => p.batch === undefined && p.refused === undefined)
  return [...requeued, ...waiting.slice(0, admitCount(state, waiting, tokensOf, limits))]
}

/**
 * The plan of a run from its payload, the same for the client (before anything is journaled)
 * and the workflow body: the lifecycle's plan, with the journaled token figures when the run was
 * started with `estimateTokens`.
 *
 * @since 0.2.0
 * @category utils
 */
export const planOf = (
  model: BatchModelService,
  payload: RunPayload,
  estimate: ((request: BatchRequest) => number) | undefined
): Effect.Effect<RunPlan, InvalidInputError> => {
  const journaled = payload.tokens === undefined ? undefined : new Map(payload.requests.map((r, i) => [r.customId, payload.tokens![i]!]))
  return Effect.tap(
    planRun(model, payload.requests, payload, estimate ?? (journaled !== undefined ? (r: BatchRequest) => journaled.get(r.customId)! : undefined)),
    () =>
      (payload.queueBackoff ?? []).every(Duration.isFinite)
        ? Effect.void
        : new InvalidInputError({ provider: model.provider, reason: "queueBackoff's waits must be finite durations." })
  )
}

/**
 * The workflow's body: the lifecycle's decisions carried out as activities and durable sleeps (and replayed after a restart).
 *
 * @since 0.2.0
 * @category programs
 */
export const execute = (payload: RunPayload, executionId: string) =>
  Effect.gen(function* () {
    const model = yield* BatchModel
    // ---- plan: pure over the payload, so a replay gets the same parts
    const plan = yield* planOf(model, payload, undefined)
    const chunks = yield* splitParts(plan.split, payload.requests)
    const labelled = yield* keepsLabels(model, chunks[0]!, payload.metadata)
    if (!labelled) {
      yield* Effect.logWarning(
        `${model.provider} keeps no batch metadata: a crash between a create and its journal write could create that batch again.`
      )
    }
    let nextIndex = 0
    const partOf = (requests: ReadonlyArray<BatchRequest>, refused?: Part["refused"], backoffs = 0): Part => {
      const index = nextIndex++
      const tokens = partTokens(requests, plan.tokensOf, plan.queueLimits.maxEnqueuedTokens)
      return { index, requests, tokens, label: `${executionId}/${index}`, batch: undefined, settled: false, refused, ready: false, backoffs }
    }
    // the current round's parts, one per slot in submission order; a refused part's slot takes the part resubmitting it
    let parts: Array<Part> = chunks.map((requests) => partOf(requests))
    const byId = new Map(payload.requests.map((r) => [r.customId, r]))
    const backoff = payload.queueBackoff ?? defaultQueueBackoff

    const instance = yield* WorkflowInstance
    const since = yield* beginActivity
    const interval = payload.pollInterval
    const timeout = payload.timeout === undefined ? Infinity : Duration.toMillis(payload.timeout)
    const done: Array<ReadonlyArray<Batch>> = []
    const refused: Array<Batch> = []
    let finishes = 0
    let failedCount = 0 // requests whose last attempt failed, as each ended round is counted
    let slept = 0

    for (let round = 0, poll = 0; ; poll++) {
      // ---- create what is admitted; each created batch is cancelled if the run fails or is interrupted
      for (const part of admit(parts, plan.queueLimits, finishes)) {
        part.batch = yield* cancelledOnEnd(instance, createPart(part, { since, labelled, metadata: payload.metadata }))
      }
      // ---- one status round over the unfinished batches
      const open = parts.filter(isLive)
      const polled = open.length === 0 ? Either.right([]) : yield* Effect.either(statusRound(poll, open.map((p) => p.batch!)))
      if (Either.isLeft(polled)) {
        // an outage outlasting the retries costs a round, not a run that may have hours to go
        if (!isRetryable(polled.left)) return yield* polled.left
        yield* Effect.logWarning(`Status round ${poll} failed (${polled.left.message}); checking again after the next sleep.`)
      } else {
        open.forEach((part, i) => {
          part.batch = polled.right[i]!.withCustomIds(part.requests.map((r) => r.customId))
        })
      }
      // ---- what each batch's status means: results, a full provider queue (submit again), or a failed run
      const finishesBefore = finishes
      for (const [slot, part] of parts.entries()) {
        if (part.settled || part.batch === undefined) continue
        const ending = endingOf(part.batch)
        if (ending === "running") continue
        part.settled = true
        if (ending === "queueFull") {
          // nothing ran, nothing is billed, and the batch is final: no two live batches for the same requests
          yield* Effect.logInfo(`Batch ${part.batch.id} failed with token_limit_exceeded; submitting its ${part.requests.length} requests again when the queue has room.`)
          refused.push(slim(part.batch))
          parts[slot] = partOf(part.requests, { batch: part.batch, finishesBefore }, part.backoffs)
        } else if (ending === "failed") {
          return yield* failedError(part.batch, model.provider)
        } else {
          finishes += 1
        }
      }
      // ---- a round ended: read it for resubmission, or finish
      if (parts.every((p) => p.settled)) {
        const batches = parts.map((p) => p.batch!)
        done.push(batches)
        if (round >= plan.policy.times) {
          // the last round's results are not read here: the provider's counts
          failedCount += batches.reduce((n, b) => n + b.failedCount, 0)
          break
        }
        const order = parts.flatMap((p) => p.requests.map((r) => r.customId))
        const again = yield* resubmitRound(round, batches, order, plan.policy)
        failedCount += again.failed - again.customIds.length
        if (again.customIds.length === 0) break
        round += 1
        yield* Effect.logInfo(`Submitting ${again.customIds.length} failed requests again (round ${round} of at most ${plan.policy.times}).`)
        parts = (yield* splitParts(plan.split, again.customIds.map((id) => byId.get(id)!))).map((requests) => partOf(requests))
        continue
      }
      // ---- polling ends with the timeout: what is not final then fails the run
      if (slept >= timeout) {
        const unfinished = parts.find(isLive) ?? parts.find((p) => !p.settled)
        return yield* new BatchTimeoutError({
          batchId: unfinished?.batch?.id ?? unfinished?.refused?.batch.id ?? "(not created)",
          provider: model.provider,
          timeout: payload.timeout!
        })
      }
      if (parts.some(isLive)) {
        yield* DurableClock.sleep({ name: `poll/${poll}`, duration: interval, inMemoryThreshold: Duration.zero })
        slept += Duration.toMillis(interval)
        continue
      }
      // ---- nothing live: the refused parts that must wait out their backoff (or the run fails)
      const waiting = parts.filter((p) => isRequeued(p) && requeueStep(refusalOf(p), finishes, 0) === "backoff")
      if (waiting.length === 0) continue // something is admitted next round
      const exhausted = waiting.find((p) => nextBackoff(backoff, p.backoffs) === undefined)
      if (exhausted !== undefined) return yield* failedError(exhausted.refused!.batch, model.provider)
      const wait = waiting.map((p) => nextBackoff(backoff, p.backoffs)!).reduce((a, b) => Duration.max(a, b))
      yield* DurableClock.sleep({ name: `backoff/${waiting[0]!.index}`, duration: wait, inMemoryThreshold: Duration.zero })
      slept += Duration.toMillis(wait)
      for (const part of waiting) {
        part.ready = true
        part.backoffs += 1
      }
    }

    const batches = done.flat()
    return new RunResult({
      batches,
      requestCount: payload.requests.length,
      completedCount: batches.reduce((n, b) => n + b.completedCount, 0),
      failedCount,
      roundSizes: done.length > 1 ? done.map((round) => round.length) : [],
      refused
    })
  })
