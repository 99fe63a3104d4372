/**
 * A `LanguageModel` that sends ordinary requests through the provider's batch API, at the batch
 * price: provide {@link layer} over a provider model, and code written against `LanguageModel`
 * batches without a change. Concurrent `request` calls gather in windows; each window goes
 * through the batch lifecycle (split, queue limits, resubmission, polling or webhook completion:
 * every `Batch.run` option applies), and each caller's fiber resumes with its own response, or
 * with the error a direct call would have raised for its request.
 *
 * @example
 * import { BatchedLanguageModel, LanguageModel, ModelRequest } from "effect-llm-direct"
 * import * as OpenAi from "effect-llm-direct/openai"
 *
 * const answers = Effect.forEach(prompts, (p) => LanguageModel.request([ModelRequest.userTextPrompt(p)]), { concurrency: "unbounded" })
 * answers.pipe(Effect.provide(BatchedLanguageModel.layer({ maxWait: "2 seconds" }).pipe(Layer.provide(OpenAi.model("gpt-4o-mini")))))
 *
 * @since 0.2.0
 */
import { Context, Duration, Effect, Either, FiberSet, Layer, Option, Stream, type Tracer } from "effect"
import { type AiError, InvalidInputError } from "./AiError.js"
import { BatchRequest } from "./BatchData.js"
import * as BatchModel from "./BatchModel.js"
import type { RunOptions } from "./BatchRun.js"
import type { CostOptions } from "./Cost.js"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelMessage, ModelResponse } from "./Message.js"
import { ModelRequestParameters } from "./Parameters.js"
import * as Telemetry from "./Telemetry.js"
import { makePending, type PendingOptions } from "./batched/pending.js"
import { makeTracker, Progress } from "./batched/progress.js"
import { submitWindow } from "./batched/submission.js"
import { makeWindows, type Ticket } from "./batched/windows.js"
import { makeGate } from "./internal/batch/gate.js"
import { resubmitPolicy } from "./internal/batch/lifecycle.js"
import { effectiveLimits, queueLimitsOf } from "./internal/batch/plan.js"
import { requestKey } from "./internal/batched/requestKey.js"
import { checkCall } from "./internal/codec/callInput.js"
import { responseToEvents } from "./internal/stream/eventBuilder.js"

export {
  /**
   * One snapshot of a batched model's progress.
   *
   * @since 0.2.0
   * @category models
   */
  Progress
}

export type {
  /**
   * Pending mode's store.
   *
   * @since 0.2.0
   * @category options
   */
  PendingOptions
}

/**
 * Options of {@link layer}: where windows close, what streams and slow requests do, pending
 * mode and cost, and every option of `Batch.run` but `resumeKey` (pending mode keeps runs
 * across processes instead).
 *
 * @since 0.2.0
 * @category options
 */
export interface Options extends Omit<RunOptions, "resumeKey"> {
  /** A window is submitted this long after its first request (default 1 second). */
  readonly maxWait?: Duration.DurationInput | undefined
  /** A window is submitted once it holds this many requests (default: the provider's batch limit). */
  readonly maxRequests?: number | undefined
  /**
   * `"batch"` (default): a streamed request goes through the batch too, and its stream emits
   * the finished response's events. `"direct"`: streams go straight to the provider.
   */
  readonly streams?: "batch" | "direct" | undefined
  /**
   * A request still unanswered this long after its call is sent through the direct API; its
   * batch is cancelled once no caller waits on it. Default: never. Not used in pending mode.
   */
  readonly fallbackAfter?: Duration.DurationInput | undefined
  /**
   * Pending mode: a call submits its request and fails at once with BatchPendingError; the same
   * request made again (by a later run of the program) returns its response once the batch has
   * ended, from the store.
   */
  readonly pending?: PendingOptions | undefined
  /** Price the answered requests in {@link Progress} (`cost`, `saved`): `true` for the default prices. */
  readonly cost?: boolean | CostOptions | undefined
}

/**
 * What the layer adds next to its `LanguageModel`: its progress, and a way to submit now.
 *
 * @since 0.2.0
 * @category context
 */
export interface Service {
  /** A snapshot now, then one after each change, until the layer closes. */
  readonly progress: Stream.Stream<Progress>
  /** The progress now. */
  readonly snapshot: Effect.Effect<Progress>
  /** Submits the open window now, without waiting for `maxWait`. */
  readonly flush: Effect.Effect<void>
}

/**
 * The batched model's own service, provided by {@link layer} next to `LanguageModel`.
 *
 * @since 0.2.0
 * @category context
 */
export class BatchedLanguageModel extends Context.Tag("effect-llm-direct/BatchedLanguageModel")<BatchedLanguageModel, Service>() {}

/**
 * The progress of the batched model in context: a snapshot now, then one after each change.
 *
 * @example
 * yield* BatchedLanguageModel.progress.pipe(Stream.runForEach((p) => Console.log(`${p.done}/${p.total}`)), Effect.fork)
 *
 * @since 0.2.0
 * @category streams
 */
export const progress: Stream.Stream<Progress, never, BatchedLanguageModel> = Stream.unwrap(Effect.map(BatchedLanguageModel, (s) => s.progress))

/**
 * Submits the open window of the batched model in context now.
 *
 * @since 0.2.0
 * @category programs
 */
export const flush: Effect.Effect<void, never, BatchedLanguageModel> = Effect.flatMap(BatchedLanguageModel, (s) => s.flush)

const DEFAULT_MAX_WAIT: Duration.DurationInput = "1 second"

const checkOptions = (provider: string, options: Options): Either.Either<void, InvalidInputError> => {
  const bad = (reason: string) => Either.left(new InvalidInputError({ provider, reason }))
  if (options.maxRequests !== undefined && !(Number.isInteger(options.maxRequests) && options.maxRequests >= 1)) {
    return bad(`maxRequests must be a whole number of at least 1, got ${options.maxRequests}.`)
  }
  for (const name of ["maxWait", "fallbackAfter"] as const) {
    const value = options[name]
    if (value === undefined) continue
    const decoded = Duration.decodeUnknown(value)
    if (Option.isNone(decoded)) return bad(`${name} must be a duration (for example "2 seconds"), got ${JSON.stringify(value)}.`)
    if (name === "fallbackAfter" && Duration.toMillis(decoded.value) <= 0) return bad("fallbackAfter must be longer than 0; leave it out to never fall back.")
  }
  if (options.streams !== undefined && options.streams !== "batch" && options.streams !== "direct") {
    return bad(`streams must be "batch" or "direct", got ${JSON.stringify(options.streams)}.`)
  }
  return Either.void
}

/**
 * A `LanguageModel` whose requests go through the batch API of the `BatchModel` in context (the
 * `LanguageModel` in context serves direct streams and `fallbackAfter`). Every provider model
 * Layer provides both. Options are checked when the layer is built (InvalidInputError).
 *
 * - A window closes `maxWait` after its first request, at `maxRequests`, or when the next
 *   request would pass the provider's byte limit; it is then submitted as one `Batch.run`, its
 *   provider batches admitted by one gate for the whole layer (`maxConcurrentBatches`,
 *   `maxEnqueuedTokens` hold across windows).
 * - A request the provider's rules refuse fails only its caller; one whose batch line failed
 *   fails its caller with the error a direct call would have raised.
 * - Interruption: a caller interrupted before its window is submitted leaves the window; a
 *   submitted window's batches are cancelled once every caller waiting on them is interrupted
 *   (or has fallen back to a direct call); closing the layer's scope cancels the batches it
 *   still waits on.
 * - Each call keeps its `chat` span, linked to the `batch.run` span of its window.
 * - The per-call `retry` applies to direct calls only; a batch's transient failures are
 *   handled by `resubmit`.
 *
 * @example
 * const Batched = BatchedLanguageModel.layer({ maxWait: "5 seconds", pollInterval: "30 seconds" }).pipe(Layer.provide(Anthropic.model("claude-haiku-4-5")))
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<LanguageModel.LanguageModel | BatchedLanguageModel, InvalidInputError, LanguageModel.LanguageModel | BatchModel.BatchModel> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const direct = yield* LanguageModel.LanguageModel
      const model = yield* BatchModel.BatchModel
      yield* checkOptions(model.provider, options)
      const limits = yield* effectiveLimits(model.provider, model.limits, options)
      const queueLimits = yield* queueLimitsOf(model.provider, options)
      yield* resubmitPolicy(model.provider, options.resubmit)
      const tracker = makeTracker()
      yield* Effect.addFinalizer(() => Effect.sync(tracker.end))
      const counts = tracker.counts
      const cost = options.cost === undefined || options.cost === false ? undefined : options.cost === true ? {} : options.cost
      const runOptions: RunOptions = { ...options, resumeKey: undefined }
      const pending = options.pending === undefined ? undefined : makePending(model, runOptions, options.pending, tracker)
      // the windows' fibers (timers, submissions) belong to the layer: interrupted when it closes
      const fibers = yield* FiberSet.make<void>()
      const runFork = yield* FiberSet.runtime(fibers)<never>()
      const windows = makeWindows(
        {
          maxWait: Duration.decode(options.maxWait ?? DEFAULT_MAX_WAIT),
          maxRequests: options.maxRequests ?? model.limits.maxRequests,
          maxBytes: limits.maxBytes
        },
        (effect) => runFork(effect),
        tracker,
        pending?.submitWindow ?? submitWindow({ model, options: runOptions, gate: makeGate(queueLimits), tracker, cost })
      )
      yield* Effect.addFinalizer(() => windows.shutdown)
      const fallbackAfter = options.fallbackAfter === undefined || pending !== undefined ? undefined : Duration.decode(options.fallbackAfter)
      let next = 0

      /** The request as a batch line, and its upload size; what the provider refuses fails here. */
      const prepare = (messages: ReadonlyArray<ModelMessage>, call: LanguageModel.RequestOptions | undefined) =>
        Effect.suspend(() => {
          const checked = checkCall(model.provider, messages, call?.parameters)
          if (Either.isLeft(checked)) return Effect.fail(checked.left)
          const parameters = checked.right
          const customId = pending === undefined
            ? `r${next++}`
            : requestKey({ provider: model.provider, model: model.modelName, messages, parameters, settings: call?.settings })
          const request = BatchRequest.from({ customId, messages, parameters, settings: call?.settings })
          let size: number
          try {
            size = model.encodedSize(request)
          } catch {
            // a request the provider's encoding refuses: its own validation says why
            return Effect.flatMap(model.validate([request], { metadata: options.metadata }), () =>
              Effect.fail(new InvalidInputError({ provider: model.provider, reason: "the request cannot be encoded for a batch." })))
          }
          return Effect.succeed({ request, size })
        })

      const linkTo = (span: Tracer.Span, ticket: Ticket | undefined) =>
        Effect.sync(() => {
          const batch = ticket?.window.span
          if (batch !== undefined) span.addLinks([{ _tag: "SpanLink", span: batch, attributes: {} }])
        })

      // the caller waits on its ticket's callback: it joins the window when it starts waiting and
      // leaves it if interrupted before the answer
      const viaBatch = (request: BatchRequest, size: number, span: Tracer.Span | undefined): Effect.Effect<ModelResponse, AiError> => {
        let joined: Ticket | undefined
        const waited = Effect.async<ModelResponse, AiError>((resume) => {
          const ticket = windows.join(request.customId, request, size, resume)
          joined = ticket
          return Effect.sync(() => windows.leave(ticket, resume))
        })
        return span === undefined ? waited : Effect.ensuring(waited, Effect.suspend(() => linkTo(span, joined)))
      }

      const sendDirect = (messages: ReadonlyArray<ModelMessage>, call: LanguageModel.RequestOptions | undefined) =>
        Effect.zipRight(Effect.sync(() => {
          counts.direct += 1
          tracker.changed()
        }), direct.request(messages, call))

      const request = (messages: ReadonlyArray<ModelMessage>, call?: LanguageModel.RequestOptions): Effect.Effect<ModelResponse, AiError> =>
        Telemetry.traceRequest(
          call?.instrument,
          () => ({ provider: model.provider, model: model.modelName, settings: call?.settings ?? {}, parameters: call?.parameters, messages }),
          (span) =>
            Effect.flatMap(prepare(messages, call), ({ request, size }) => {
              if (pending !== undefined) {
                return Effect.flatMap(pending.lookup(request.customId), Option.match({
                  onSome: Effect.succeed,
                  onNone: () => viaBatch(request, size, span)
                }))
              }
              const batched = viaBatch(request, size, span)
              return fallbackAfter === undefined
                ? batched
                : Effect.flatten(Effect.timeoutTo(batched, {
                    duration: fallbackAfter,
                    onSuccess: Effect.succeed,
                    onTimeout: () => sendDirect(messages, call)
                  }))
            })
        )

      const requestStream = (messages: ReadonlyArray<ModelMessage>, call?: LanguageModel.RequestOptions) =>
        options.streams === "direct"
          ? Stream.unwrap(Effect.sync(() => {
              counts.direct += 1
              tracker.changed()
              return direct.requestStream(messages, call)
            }))
          : Stream.unwrap(Effect.map(request(messages, call), (response) =>
              Stream.fromIterable(responseToEvents(response, ModelRequestParameters.from(call?.parameters), 1))))

      const service: LanguageModel.Service = { provider: model.provider, modelName: model.modelName, request, requestStream }
      return Context.make(LanguageModel.LanguageModel, service).pipe(
        Context.add(BatchedLanguageModel, { progress: tracker.stream, snapshot: Effect.sync(tracker.snapshot), flush: windows.flush })
      )
    })
  )
