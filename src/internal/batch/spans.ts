/**
 * Spans of the batch lifecycle. The GenAI conventions define none for provider batch APIs, so
 * the names are the library's own, one per call of the lifecycle: `batch.run` (internal: the
 * whole `Batch.run`), and client spans `batch.create`, `batch.poll` (a status check made by
 * `run` / `watch`), `batch.status` (a `Batch.status` call), `batch.results`, `batch.cancel`,
 * `batch.list`. They carry `gen_ai.operation.name` "batch", `gen_ai.provider.name`,
 * `gen_ai.request.model`, and `batch.*` attributes: the id, status and counts of the batch as
 * the call left it; `error.type` on failure.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect, FiberRef, Option, type Scope, Stream } from "effect"
import type { Batch } from "../../BatchData.js"
import * as Telemetry from "../../Telemetry.js"

/**
 * Attribute names on batch spans, next to the GenAI ones (`gen_ai.provider.name`, `gen_ai.request.model`).
 *
 * @since 0.1.0
 * @category constants
 */
export const BatchAttributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  /** The provider's batch id. */
  id: "batch.id",
  /** Our status (see BatchStatus). */
  status: "batch.status",
  /** Requests in the batch (on run: in the whole run). */
  requestCount: "batch.request_count",
  /** Requests that succeeded, as the provider counts them. */
  completedCount: "batch.completed_count",
  /** Requests that errored, expired or were cancelled, as the provider counts them. */
  failedCount: "batch.failed_count",
  /** Provider batches of a run (after splitting, resumed ones included). */
  batchCount: "batch.batch_count",
  /** Whether a run resumed batches recorded under its resumeKey. */
  resumed: "batch.resumed",
  /** Results a `batch.results` span delivered, or a run returned. */
  resultCount: "batch.result_count",
  /** Of those, the failed ones (provider errors, expired, cancelled, missing). */
  failedResultCount: "batch.failed_result_count",
  /** Batches a `batch.list` span delivered. */
  listedCount: "batch.listed_count",
  errorType: "error.type"
} as const

/**
 * The attributes every batch span starts with.
 *
 * @since 0.1.0
 * @category utils
 */
export const modelAttributes = (model: { readonly provider: string; readonly modelName: string }): Record<string, unknown> => ({
  [BatchAttributes.operationName]: "batch",
  [BatchAttributes.providerName]: model.provider,
  [BatchAttributes.requestModel]: model.modelName
})

/**
 * The attributes of one batch snapshot.
 *
 * @since 0.1.0
 * @category utils
 */
export const batchAttributes = (batch: Batch): Record<string, unknown> => ({
  [BatchAttributes.id]: batch.id,
  [BatchAttributes.status]: batch.status,
  [BatchAttributes.requestCount]: batch.requestCount,
  [BatchAttributes.completedCount]: batch.completedCount,
  [BatchAttributes.failedCount]: batch.failedCount
})

/**
 * Records a snapshot on the current span.
 *
 * @since 0.1.0
 * @category utils
 */
export const annotateBatch = (batch: Batch): Effect.Effect<void> => Effect.annotateCurrentSpan(batchAttributes(batch))

/**
 * Records a failure's tag on the current span.
 *
 * @since 0.1.0
 * @category utils
 */
export const annotateError = (error: { readonly _tag: string }): Effect.Effect<void> =>
  Effect.annotateCurrentSpan(BatchAttributes.errorType, error._tag)

/**
 * Records how many results a run returned and how many of them failed.
 *
 * @since 0.1.0
 * @category utils
 */
export const annotateResults = (results: Iterable<{ readonly isSuccessful: boolean }>): Effect.Effect<void> =>
  Effect.suspend(() => {
    let count = 0
    let failed = 0
    for (const r of results) {
      count += 1
      if (!r.isSuccessful) failed += 1
    }
    return Effect.annotateCurrentSpan({ [BatchAttributes.resultCount]: count, [BatchAttributes.failedResultCount]: failed })
  })

// Tallies what a stream delivers and records it on the span current when the stream starts (its
// own span, when used inside Stream.withSpan), once, when the stream ends, fails or is stopped:
// the span object is kept because finalizers no longer see it as the current span.
const tally = <A, E, R>(self: Stream.Stream<A, E, R>, failed: (a: A) => boolean, record: (count: number, failures: number) => Record<string, unknown>) =>
  Stream.unwrap(Effect.map(Effect.option(Effect.currentSpan), (span) => {
    if (Option.isNone(span)) return self
    let count = 0
    let failures = 0
    return self.pipe(
      Stream.mapChunks((chunk) => {
        count += chunk.length
        for (const a of chunk) if (failed(a)) failures += 1
        return chunk
      }),
      Stream.ensuring(Effect.sync(() => {
        for (const [key, value] of Object.entries(record(count, failures))) span.value.attribute(key, value)
      }))
    )
  }))

/**
 * How many results a results stream delivered, and how many of them failed: the stream counts them itself.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResultTally {
  count: number
  failures: number
}

/**
 * The stream `make` builds, given counters to fill as it delivers results (undefined when no
 * span is current: nothing to record), and records them on the span current when it starts
 * (`batch.result_count`, `batch.failed_result_count`) once, when it ends, fails or is stopped.
 * The results stream counts in the per-chunk pass it already makes, rather than through a stage
 * of its own.
 *
 * @since 0.1.0
 * @category utils
 */
export const withResultTally = <A, E, R>(make: (tally: ResultTally | undefined) => Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.unwrap(Effect.map(Effect.option(Effect.currentSpan), (span) => {
    if (Option.isNone(span)) return make(undefined)
    const counts: ResultTally = { count: 0, failures: 0 }
    return Stream.ensuring(make(counts), Effect.sync(() => {
      span.value.attribute(BatchAttributes.resultCount, counts.count)
      span.value.attribute(BatchAttributes.failedResultCount, counts.failures)
    }))
  }))

/**
 * Records how many batches a list stream delivered (`batch.listed_count`) on its span.
 *
 * @since 0.1.0
 * @category utils
 */
export const countListed = <A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  tally(self, () => false, (count) => ({ [BatchAttributes.listedCount]: count }))

/**
 * Applies a batch call's `instrument` option to the whole call (its nested spans included):
 * `false` turns tracing off; otherwise, where the program provided no tracer, the global one
 * (`Telemetry.configure`) is used if it traces every call or `instrument` is true.
 *
 * @since 0.1.0
 * @category utils
 */
export const instrumented = <A, E, R>(self: Effect.Effect<A, E, R>, instrument: boolean | undefined): Effect.Effect<A, E, R> =>
  instrument === false
    ? Effect.withTracerEnabled(self, false)
    : Effect.tracerWith((current) => {
        const tracer = Telemetry.tracerFor(current, instrument)
        return tracer === undefined || tracer === current ? self : Effect.withTracer(self, tracer)
      })

/**
 * {@link instrumentedStream} from inside a stream's own scoped effect, saving the stage it adds:
 * applies `instrument` for the rest of the scope (the stream's run) and says whether the call's
 * span would be recorded. With `instrument: false`, or without a tracer (Effect's built-in one
 * exports nothing), it would not: the caller then skips the span and what only the span needs
 * (counting results), so that, as the README promises, next to nothing is paid untraced.
 *
 * @since 0.1.0
 * @category utils
 */
export const tracingScoped = (instrument: boolean | undefined): Effect.Effect<boolean, never, Scope.Scope> =>
  instrument === false
    ? Effect.as(Effect.locallyScoped(FiberRef.currentTracerEnabled, false), false)
    : Effect.tracerWith((current) => {
        const tracer = Telemetry.tracerFor(current, instrument)
        return tracer === undefined
          ? Effect.succeed(false)
          : tracer === current
            ? Effect.succeed(true)
            : Effect.as(Effect.withTracerScoped(tracer), true)
      })

/**
 * {@link instrumented} for a stream: the setting lasts while the stream runs.
 *
 * @since 0.1.0
 * @category utils
 */
export const instrumentedStream = <A, E, R>(self: Stream.Stream<A, E, R>, instrument: boolean | undefined): Stream.Stream<A, E, R> =>
  Stream.unwrapScoped(
    instrument === false
      ? Effect.as(Effect.locallyScoped(FiberRef.currentTracerEnabled, false), self)
      : Effect.tracerWith((current) => {
          const tracer = Telemetry.tracerFor(current, instrument)
          return tracer === undefined || tracer === current ? Effect.succeed(self) : Effect.as(Effect.withTracerScoped(tracer), self)
        })
  )
