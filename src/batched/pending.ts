/**
 * Pending mode of a batched model: a request is submitted in a provider batch and its caller
 * fails at once with BatchPendingError; the store remembers the request by its key (its model,
 * messages, parameters and settings). The same request made again finds it there: once the
 * batch has ended, every response of the batch is read into the store and returned from it,
 * so running a whole program again makes no provider call.
 *
 * Store entries, under `effect-llm-direct/batched/<key>`: `Submitted` (provider, batch id,
 * custom id) until the batch ends, then `Answered` (the response). A request that failed in
 * its batch is delivered as its error once and removed, so the next run submits it again.
 *
 * @since 0.2.0
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import { Clock, Deferred, Duration, Effect, Either, Exit, FiberId, Option, Schema, Stream } from "effect"
import { type AiError, BatchPendingError, type InvalidInputError } from "../AiError.js"
import type { Batch, BatchRequest } from "../BatchData.js"
import type * as BatchModel from "../BatchModel.js"
import type { RunOptions } from "../BatchRun.js"
import { ModelResponse } from "../Message.js"
import * as Retry from "../Retry.js"
import { policyOf, planRun, resultsOf, submit } from "../internal/batch/calls.js"
import { parts } from "../internal/batch/plan.js"
import { fromResultError } from "../internal/batched/answers.js"
import type { Tracker } from "./progress.js"
import { rejectedAlone } from "./submission.js"
import { settle, type Ticket, type Window } from "./windows.js"

const Entry = Schema.Union(
  Schema.TaggedStruct("Submitted", { provider: Schema.String, batchId: Schema.String, customId: Schema.String }),
  Schema.TaggedStruct("Answered", { response: ModelResponse })
)
type Entry = typeof Entry.Type

const prefix = "effect-llm-direct/batched/"

/**
 * What pending mode needs.
 *
 * @since 0.2.0
 * @category options
 */
export interface PendingOptions {
  /** Where submitted requests and read responses are kept between runs (a file-system store for scripts). */
  readonly store: KeyValueStore.KeyValueStore
}

/**
 * The pending mode of one layer.
 *
 * @since 0.2.0
 * @category models
 */
export interface Pending {
  /**
   * What the store holds for the request: its response (`Some`), nothing (`None`: submit it), or,
   * for a request whose batch is still running, a failure with BatchPendingError.
   */
  readonly lookup: (key: string) => Effect.Effect<Option.Option<ModelResponse>, AiError>
  /** Submits a closed window and fails each of its callers with BatchPendingError. */
  readonly submitWindow: (window: Window) => Effect.Effect<void>
}

type Outcome = { readonly _tag: "Running"; readonly checkedAt: number } | { readonly _tag: "Ended"; readonly answers: Map<string, Either.Either<ModelResponse, AiError>> }

/**
 * Pending mode over a store. A batch seen running is not checked again for `pollInterval`
 * (default 60 seconds) in this process.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makePending = (model: BatchModel.Service, options: RunOptions, pending: PendingOptions, tracker: Tracker): Pending => {
  const store = pending.store.forSchema(Entry)
  const retry = policyOf(options.retry)
  const recheck = Duration.toMillis(Duration.decode(options.pollInterval ?? "60 seconds"))
  const outcomes = new Map<string, Deferred.Deferred<Outcome, AiError>>()
  const counts = tracker.counts

  // a store that cannot be read or written is an environment failure, not the request's
  const read = (key: string): Effect.Effect<Option.Option<Entry>> =>
    store.get(prefix + key).pipe(
      Effect.catchTag("ParseError", (e) =>
        Effect.as(Effect.logWarning(`Pending store entry ${key} could not be read (${e.message}); submitting the request again.`), Option.none<Entry>())),
      Effect.orDie
    )
  const write = (key: string, entry: Entry) => Effect.orDie(store.set(prefix + key, entry))
  const remove = (key: string) => Effect.orDie(pending.store.remove(prefix + key))

  /** Reads an ended batch into the store: its responses kept, its failures removed (to be submitted again). */
  const readEnded = (batch: Batch): Effect.Effect<Outcome, AiError> =>
    Effect.gen(function* () {
      const answers = new Map<string, Either.Either<ModelResponse, AiError>>()
      yield* resultsOf(model, batch, retry).pipe(
        Stream.mapEffect((result) => {
          if (result.isSuccessful) {
            answers.set(result.customId, Either.right(result.response))
            return write(result.customId, { _tag: "Answered", response: result.response })
          }
          answers.set(result.customId, Either.left(fromResultError(model.provider, batch.id, result.error)))
          return remove(result.customId)
        }, { concurrency: 16 }),
        Stream.runDrain
      )
      return { _tag: "Ended", answers } as const
    })

  /** The batch's outcome, checked once per process (a running one again after `recheck`). */
  const outcomeOf = (batchId: string): Effect.Effect<Outcome, AiError> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const known = outcomes.get(batchId)
      if (known !== undefined) {
        const outcome = yield* Deferred.await(known)
        if (outcome._tag === "Ended" || now - outcome.checkedAt < recheck) return outcome
      }
      const deferred = Deferred.unsafeMake<Outcome, AiError>(FiberId.none)
      outcomes.set(batchId, deferred)
      const exit = yield* Effect.exit(
        Effect.flatMap(Retry.retry(model.status(batchId), retry), (batch): Effect.Effect<Outcome, AiError> =>
          batch.isComplete ? readEnded(batch) : Effect.succeed({ _tag: "Running", checkedAt: now }))
      )
      if (Exit.isFailure(exit)) outcomes.delete(batchId)
      yield* Deferred.done(deferred, exit)
      return yield* exit
    })

  const lookup = (key: string): Effect.Effect<Option.Option<ModelResponse>, AiError> =>
    Effect.flatMap(read(key), (entry) => {
      if (Option.isNone(entry)) return Effect.succeed(Option.none())
      const found = entry.value
      if (found._tag === "Answered") return Effect.succeed(Option.some(found.response))
      return Effect.flatMap(outcomeOf(found.batchId), (outcome) => {
        if (outcome._tag === "Running") {
          counts.pending += 1
          tracker.changed()
          return Effect.fail(new BatchPendingError({ provider: found.provider, batchId: found.batchId, customId: found.customId, requestKey: key }))
        }
        const answer = outcome.answers.get(found.customId)
        if (answer !== undefined) return Either.match(answer, { onLeft: Effect.fail, onRight: (r) => Effect.succeed(Option.some(r)) })
        // the batch ended without a line for it: submit it again next time
        return Effect.zipRight(
          remove(key),
          Effect.fail(fromResultError(found.provider, found.batchId, { code: "missing", message: "the ended batch has no result for this request" }))
        )
      })
    })

  const pendingOn = (ticket: Ticket, batch: Batch) => {
    if (ticket.answered) return
    const waiting = ticket.resumes.length > 0
    settle(tracker, ticket, Exit.fail(new BatchPendingError({ provider: model.provider, batchId: batch.id, customId: ticket.customId, requestKey: ticket.customId })))
    // settle counted it as failed: it is pending
    if (waiting) {
      counts.failed -= 1
      counts.pending += 1
    }
  }

  const submitWindow = (window: Window): Effect.Effect<void> =>
    Effect.gen(function* () {
      let tickets = [...window.tickets.values()]
      const fail = (ticket: Ticket, error: AiError) => settle(tracker, ticket, Exit.fail(error))
      let plan = yield* Effect.either(planRun(model, tickets.map((t) => t.request), options))
      if (Either.isLeft(plan) && tickets.length > 1) {
        const rejected = yield* rejectedAlone(model, tickets, options.metadata)
        for (const [ticket, reason] of rejected) fail(ticket, reason)
        const refused = new Set(rejected.map(([t]) => t))
        tickets = tickets.filter((t) => !refused.has(t))
        if (rejected.length > 0 && tickets.length > 0) plan = yield* Effect.either(planRun(model, tickets.map((t) => t.request), options))
      }
      if (Either.isLeft(plan)) {
        const error: InvalidInputError = plan.left
        for (const ticket of tickets) fail(ticket, error)
        return tracker.changed()
      }
      const byId = new Map(tickets.map((t) => [t.customId, t]))
      const chunks = yield* Effect.either(parts(plan.right.split, tickets.map((t) => t.request)))
      if (Either.isLeft(chunks)) {
        for (const ticket of tickets) fail(ticket, chunks.left)
        return tracker.changed()
      }
      // each part created and recorded together: a batch is never left unrecorded
      yield* Effect.forEach(chunks.right, (chunk: ReadonlyArray<BatchRequest>) =>
        Effect.uninterruptible(
          submit(model, chunk, options).pipe(
            Effect.retry({ schedule: retry, while: (e) => e._tag === "RateLimitError" }),
            Effect.tap((batch) =>
              Effect.forEach(chunk, (r) => write(r.customId, { _tag: "Submitted", provider: model.provider, batchId: batch.id, customId: r.customId }), {
                concurrency: 16,
                discard: true
              })),
            Effect.match({
              onFailure: (error) => {
                for (const r of chunk) fail(byId.get(r.customId)!, error)
              },
              onSuccess: (batch) => {
                counts.batches += 1
                window.batchIds.push(batch.id)
                for (const r of chunk) pendingOn(byId.get(r.customId)!, batch)
              }
            }),
            Effect.zipLeft(Effect.sync(() => tracker.changed()))
          )
        ), { concurrency: options.concurrency ?? "unbounded", discard: true })
    })

  return { lookup, submitWindow }
}
