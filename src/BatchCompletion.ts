/**
 * Learning that a batch finished from events rather than polls alone: the {@link BatchEvent}s a
 * verified webhook delivers, and {@link webhook}, the `completion` option of `Batch.run`. Each
 * event for one of a run's batches wakes its wait; polling goes on at a fallback interval so a
 * lost event costs latency, not results.
 *
 * @since 0.2.0
 */
import { type Duration, Effect, PubSub, Queue, type Scope, Stream } from "effect"
import type { PollSchedule } from "./BatchData.js"

/**
 * A provider event about a batch, as a verified webhook delivers it: OpenAI's `batch.completed`,
 * `batch.failed`, `batch.expired`, `batch.cancelled` (`data.id` is the batch id). Other types
 * are ignored.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchEvent {
  readonly type: string
  readonly data: { readonly id: string }
}

/**
 * The event types that announce a batch's final status.
 *
 * @since 0.1.0
 * @category constants
 */
export const finalEventTypes: ReadonlyArray<string> = ["batch.completed", "batch.failed", "batch.expired", "batch.cancelled"]

/**
 * How a run learns that a batch finished besides polling: a source of {@link BatchEvent}s (see
 * {@link webhook}). Each event for one of the run's batches wakes its wait: the status is
 * checked once right away, and the run finishes on a final status without further polls.
 *
 * @since 0.1.0
 * @category models
 */
export interface Completion {
  readonly _tag: "Webhook"
  /** The events, as a Stream (each batch runs it) or a PubSub (each batch subscribes to it). */
  readonly events: Stream.Stream<BatchEvent> | PubSub.PubSub<BatchEvent>
  /** The fallback poll schedule while no event has come (default every hour). */
  readonly fallback: PollSchedule
}

/**
 * Options of {@link webhook}.
 *
 * @since 0.1.0
 * @category options
 */
export interface WebhookOptions {
  /**
   * Poll on this schedule too, so that a lost event costs latency, not results (default every
   * hour). It replaces `pollInterval`; a run's `schedule`, when given, wins over it.
   */
  readonly fallback?: PollSchedule | undefined
}

const DEFAULT_WEBHOOK_FALLBACK: Duration.DurationInput = "1 hour"

/**
 * Completion by webhook: `Batch.run(requests, { completion: Batch.webhook(events) })`. `events`
 * are the verified events your HTTP route receives (for OpenAI, `OpenAi.webhookHandler`
 * publishes them to the `OpenAiWebhooks` PubSub). Prefer the PubSub itself over a Stream: each
 * batch subscribes to it before its first status check, so no event can slip between the two;
 * a Stream you pass must be one that every batch may run (a `Stream.fromPubSub`, not a queue
 * that batches would take turns on).
 *
 * @example
 * const hooks = yield* OpenAi.OpenAiWebhooks
 * const results = yield* Batch.run(requests, { completion: Batch.webhook(hooks.events, { fallback: "30 minutes" }) })
 *
 * @since 0.1.0
 * @category streams
 */
export const webhook = (events: Stream.Stream<BatchEvent> | PubSub.PubSub<BatchEvent>, options?: WebhookOptions): Completion => ({
  _tag: "Webhook",
  events,
  fallback: options?.fallback ?? DEFAULT_WEBHOOK_FALLBACK
})

/**
 * A signal that succeeds each time a final event for this batch has come, listening from now on.
 * @internal
 *
 * @since 0.2.0
 * @category streams
 */
export const wakeUps = (completion: Completion, batchId: string): Effect.Effect<Effect.Effect<void>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const signal = yield* Queue.sliding<void>(1)
    const events = Stream.StreamTypeId in completion.events
      ? (completion.events as Stream.Stream<BatchEvent>)
      : Stream.fromQueue(yield* PubSub.subscribe(completion.events as PubSub.PubSub<BatchEvent>))
    yield* events.pipe(
      // read defensively: a source may carry other kinds of events, some without `data.id`
      Stream.filter((event) => finalEventTypes.includes(event.type) && (event.data as { readonly id?: unknown } | undefined)?.id === batchId),
      Stream.runForEach(() => Queue.offer(signal, undefined)),
      Effect.forkScoped
    )
    return Queue.take(signal)
  })
