/**
 * How a batched model submits a closed window and answers its callers: the window's requests
 * go through the batch lifecycle as one run (`Batch.run`'s machinery, with the admission gate
 * every window of the layer shares, so queue limits hold across windows), and each result
 * settles its caller's ticket with the response or the error a direct call would have raised.
 *
 * @since 0.2.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { Cause, Effect, Exit, Option } from "effect"
import type { AiError, BatchError, InvalidInputError } from "../AiError.js"
import type { BatchResult } from "../BatchData.js"
import type * as BatchModel from "../BatchModel.js"
import { type RunHooks, type RunOptions, runWith } from "../BatchRun.js"
import * as Cost from "../Cost.js"
import type { Gate } from "../internal/batch/gate.js"
import { fromBatchError, fromResultError } from "../internal/batched/answers.js"
import type { Tracker } from "./progress.js"
import { settle, type Ticket, type Window } from "./windows.js"

/**
 * What every window of a layer shares.
 *
 * @since 0.2.0
 * @category models
 */
export interface Submitter {
  readonly model: BatchModel.Service
  readonly options: RunOptions
  readonly gate: Gate
  readonly tracker: Tracker
  /** Prices each window's results into the tracker, when the layer's `cost` option is set. */
  readonly cost: Cost.CostOptions | undefined
}

// a run without a resumeKey never looks the store up; it is given one only for its type
const noStore = KeyValueStore.make({
  get: () => Effect.succeed(Option.none()),
  getUint8Array: () => Effect.succeed(Option.none()),
  set: () => Effect.void,
  remove: () => Effect.void,
  clear: Effect.void,
  size: Effect.succeed(0)
})

/**
 * The requests of `tickets` the provider's rules reject on their own, each with its error (a
 * window's list failed validation: only those requests' callers fail).
 *
 * @since 0.2.0
 * @category utils
 */
export const rejectedAlone = (
  model: BatchModel.Service,
  tickets: ReadonlyArray<Ticket>,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<ReadonlyArray<readonly [Ticket, InvalidInputError]>> =>
  Effect.map(
    Effect.forEach(tickets, (ticket) => Effect.either(model.validate([ticket.request], { metadata }))),
    (checked) => checked.flatMap((either, i) => (either._tag === "Left" ? [[tickets[i]!, either.left] as const] : []))
  )

const price = (submitter: Submitter, results: ReadonlyArray<BatchResult>): Effect.Effect<void> => {
  const options = submitter.cost
  if (options === undefined) return Effect.void
  return Cost.cost(results, options).pipe(
    Effect.map((bill) => {
      const counts = submitter.tracker.counts
      counts.cost += bill.totalCost
      counts.saved += bill.batchSavings + bill.cacheSavings
      submitter.tracker.changed()
    }),
    Effect.catchAll((error) => Effect.logWarning(`Batched model: ${error.message}`))
  )
}

/**
 * Submits a closed window and settles every ticket in it.
 *
 * @since 0.2.0
 * @category programs
 */
export const submitWindow = (submitter: Submitter) => (window: Window): Effect.Effect<void> => {
  const { model, options, tracker } = submitter
  const counts = tracker.counts
  const hooks: RunHooks & { created: number } = {
    created: 0,
    gate: submitter.gate,
    onSpan: (span) => { window.span = span },
    onCreated: (batch) => {
      hooks.created += 1
      window.batchIds.push(batch.id)
      counts.liveBatches += 1
      counts.batches += 1
      tracker.changed()
    },
    onEnded: () => {
      counts.liveBatches -= 1
      tracker.changed()
    }
  }
  const failAll = (tickets: ReadonlyArray<Ticket>, exit: Exit.Exit<never, AiError>) => {
    for (const ticket of tickets) settle(tracker, ticket, exit)
    tracker.changed()
  }
  const runTickets = (tickets: ReadonlyArray<Ticket>): Effect.Effect<void> =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        runWith(model, tickets.map((t) => t.request), options, hooks).pipe(Effect.provideService(KeyValueStore.KeyValueStore, noStore))
      )
      if (Exit.isSuccess(exit)) {
        const byId = new Map(tickets.map((t) => [t.customId, t]))
        const batchIds = window.batchIds.join(", ")
        for (const result of exit.value) {
          const ticket = byId.get(result.customId)
          if (ticket === undefined) continue
          settle(tracker, ticket, result.isSuccessful ? Exit.succeed(result.response) : Exit.fail(fromResultError(model.provider, batchIds, result.error)))
        }
        tracker.changed()
        return yield* price(submitter, exit.value)
      }
      const failure = Cause.failureOption(exit.cause)
      // interrupted (the layer closed) or a defect: the callers see the same
      if (Option.isNone(failure)) return failAll(tickets, Exit.failCause(Cause.map(exit.cause, () => undefined as never)))
      const error: AiError | BatchError | { readonly _tag: string } = failure.value
      if (error._tag === "InvalidInputError" && hooks.created === 0 && tickets.length > 1) {
        // the list was refused before anything was created: fail only the requests refused on
        // their own, and submit the others
        const rejected = yield* rejectedAlone(model, tickets, options.metadata)
        if (rejected.length > 0) {
          for (const [ticket, reason] of rejected) settle(tracker, ticket, Exit.fail(reason))
          const refused = new Set(rejected.map(([ticket]) => ticket))
          const rest = tickets.filter((t) => !refused.has(t))
          return yield* rest.length > 0 ? runTickets(rest) : Effect.sync(() => tracker.changed())
        }
      }
      if (isBatchOrAiError(error)) return failAll(tickets, Exit.fail(fromBatchError(error)))
      // a store failure cannot happen without a resumeKey
      return failAll(tickets, Exit.die(error))
    })
  return runTickets([...window.tickets.values()])
}

const isBatchOrAiError = (error: { readonly _tag: string }): error is AiError | BatchError =>
  error._tag !== "SystemError" && error._tag !== "BadArgument"
