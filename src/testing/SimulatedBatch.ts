/**
 * An in-memory `BatchModel` on the Effect clock: batches advance per status call (or per unit of
 * clock time), so `Batch.run` tests run instantly under `TestClock`. A function answers each
 * request; a script decides the lifecycle (completed, partly errored, expired, cancelled,
 * failed), the shape of the result lines (out of order, duplicated, left out) and faults on any
 * call. `TestModel` and `FunctionModel` provide their `BatchModel` through it.
 *
 * @example
 * const sim = yield* SimulatedBatch.make({
 *   answer: (request) => textResponse(`Answer to ${request.customId}`),
 *   lifecycle: { statusCalls: 3, order: "reversed", omit: ["q2"] },
 *   faults: { status: [new RateLimitError({ provider: "test" })] }
 * })
 * const results = yield* Batch.run(requests).pipe(Effect.provide(sim.layer))
 * const creates = yield* sim.callCount("create") // 1
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Either, Layer, Schema, Stream } from "effect"
import { type AiError, BatchErrorItem, InvalidRequestError, NotFoundError } from "../AiError.js"
import {
  Batch,
  BatchRequest,
  type BatchResult,
  BatchResultFailure,
  BatchResultSuccess,
  type BatchStatus,
  ResultError,
  ResultErrorCode
} from "../BatchData.js"
import * as BatchModel from "../BatchModel.js"
import { ModelResponse, TextPart } from "../Message.js"

/**
 * A call the simulation received. `n` counts calls of the same kind from 0.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly op: Op
  readonly n: number
  /** Clock time of the call, in milliseconds. */
  readonly at: number
  readonly batchId?: string | undefined
}

/**
 * The kinds of call.
 *
 * @since 0.1.0
 * @category models
 */
export type Op = "create" | "status" | "results" | "cancel" | "list"

/**
 * A fault: fail the call, or (for results) fail after emitting some lines.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = AiError | { readonly afterLines: number; readonly error: AiError }

/**
 * Faults by kind of call: the n-th entry is the fault of the n-th call of that kind (`undefined`
 * for none); or a function of the call.
 *
 * @since 0.1.0
 * @category options
 */
export type Faults = { readonly [K in Op]?: ReadonlyArray<Fault | undefined> } | ((call: Call) => Fault | undefined)

/**
 * How a batch ends.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = "completed" | "failed" | "expired" | "cancelled"

/**
 * The order of result lines: by submission, reversed, or any permutation of the ids.
 *
 * @since 0.1.0
 * @category options
 */
export type Order = "submission" | "reversed" | ((customIds: ReadonlyArray<string>) => ReadonlyArray<string>)

/**
 * The script of one batch's life.
 *
 * @since 0.1.0
 * @category options
 */
export interface Lifecycle {
  /**
   * Status calls until the batch is final (default 2, or unlimited when `duration` is set); 0
   * completes it at create, so `Batch.run` needs no poll (useful outside TestClock).
   */
  readonly statusCalls?: number | undefined
  /** Or clock time after create until it is final (checked at each status call). */
  readonly duration?: Duration.DurationInput | undefined
  /** How it ends (default "completed"). */
  readonly outcome?: Outcome | undefined
  /** Requests (in submission order) processed before an expired / cancelled end (default half). */
  readonly processed?: number | undefined
  /** Batch-level errors of a "failed" outcome. */
  readonly errors?: ReadonlyArray<BatchErrorItem> | undefined
  /** The order of the result lines (default submission). */
  readonly order?: Order | undefined
  /** Ids whose line is sent a second time, as an error with code "duplicate" (so first-wins shows). */
  readonly duplicate?: ReadonlyArray<string> | undefined
  /** Ids left out of the results. */
  readonly omit?: ReadonlyArray<string> | undefined
  /** Whether unprocessed requests of an expired / cancelled batch get a line (default true). */
  readonly unprocessedLines?: boolean | undefined
}

/**
 * What the answer function returns: a response, an error result, or an Effect of either.
 *
 * @since 0.1.0
 * @category models
 */
export type Answer = ModelResponse | ResultError | Effect.Effect<ModelResponse, AiError | ResultError>

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The provider name (default "test"). */
  readonly provider?: string | undefined
  /** The model name (default "test-model"). */
  readonly modelName?: string | undefined
  /** Size limits (default 100,000 requests, 256 MB). */
  readonly limits?: Partial<BatchModel.Limits> | undefined
  /** Answers one request; an AiError becomes an error result coded with its tag. Default: echo text. */
  readonly answer?: ((request: BatchRequest) => Answer) | undefined
  /** The lifecycle of every batch, or per batch (by creation index). */
  readonly lifecycle?: Lifecycle | ((index: number, requests: ReadonlyArray<BatchRequest>) => Lifecycle) | undefined
  /** Faults to inject. */
  readonly faults?: Faults | undefined
  /** Clock time a create takes (the batch exists only at its end). */
  readonly createDelay?: Duration.DurationInput | undefined
  /** Provider rules to check. */
  readonly validate?: BatchModel.Implementation["validate"]
  /** Bytes of one request (default: its JSON, plus a newline). */
  readonly encodedSize?: ((request: BatchRequest) => number) | undefined
}

/**
 * A running simulation: the service, and what it saw.
 *
 * @since 0.1.0
 * @category models
 */
export interface Simulation {
  readonly service: BatchModel.Service
  /** The service as a Layer. */
  readonly layer: Layer.Layer<BatchModel.BatchModel>
  /** Every call so far, in order. */
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  /** How many calls of a kind were made. */
  readonly callCount: (op: Op) => Effect.Effect<number>
  /** Every batch as it is now (without advancing any). */
  readonly batches: Effect.Effect<ReadonlyArray<Batch>>
}

interface SimBatch {
  readonly id: string
  readonly createdAt: number
  readonly customIds: ReadonlyArray<string>
  readonly metadata: Readonly<Record<string, string>> | undefined
  readonly answers: ReadonlyArray<Either.Either<ModelResponse, ResultError>>
  readonly lifecycle: Lifecycle
  readonly statusCalls: number
  polls: number
  cancelAt: number | undefined
  final: { readonly status: Outcome; readonly processed: number; readonly at: number } | undefined
}

const echo = (provider: string, modelName: string) => (request: BatchRequest): Answer =>
  new ModelResponse({
    parts: [new TextPart({ content: `Simulated response for ${request.customId}` })],
    modelName: request.model ?? modelName,
    providerName: provider,
    finishReason: "stop"
  })

const toEither = (answer: Answer): Effect.Effect<Either.Either<ModelResponse, ResultError>> => {
  const effect = answer instanceof ModelResponse || answer instanceof ResultError ? Effect.succeed(answer) : answer
  return Effect.match(effect, {
    onFailure: (e) => Either.left(e instanceof ResultError ? e : new ResultError({ code: e._tag, message: e.message })),
    onSuccess: (a) => (a instanceof ResultError ? Either.left(a) : Either.right(a))
  })
}

const defaultSize = (request: BatchRequest): number =>
  Buffer.byteLength(JSON.stringify(Schema.encodeSync(BatchRequest)(request))) + 1

/**
 * Builds a simulation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Simulation> =>
  Effect.sync(() => {
    const provider = options.provider ?? "test"
    const modelName = options.modelName ?? "test-model"
    const answer = options.answer ?? echo(provider, modelName)
    const batches = new Map<string, SimBatch>()
    const calls: Array<Call> = []
    const counts = new Map<Op, number>()

    const faultOf = (call: Call): Fault | undefined => {
      const faults = options.faults
      if (faults === undefined) return undefined
      return typeof faults === "function" ? faults(call) : faults[call.op]?.[call.n]
    }
    /** Logs a call and fails it if a fault is scripted (a results fault may come later). */
    const enter = (op: Op, batchId?: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => {
        const n = counts.get(op) ?? 0
        counts.set(op, n + 1)
        const call: Call = { op, n, at, batchId }
        calls.push(call)
        const fault = faultOf(call)
        return fault !== undefined && !("afterLines" in fault) ? Effect.fail(fault) : Effect.succeed(fault)
      })

    const find = (id: string) => {
      const sim = batches.get(id)
      return sim === undefined
        ? Effect.fail(new NotFoundError({ provider, detail: `no batch ${id}` }))
        : Effect.succeed(sim)
    }

    const successes = (sim: SimBatch, processed: number) =>
      sim.answers.slice(0, processed).filter(Either.isRight).length

    const snapshot = (sim: SimBatch): Batch => {
      const n = sim.customIds.length
      const processed = sim.final?.processed ?? Math.min(n, Math.floor((n * sim.polls) / sim.statusCalls))
      const completed = successes(sim, processed)
      const status: BatchStatus =
        sim.final !== undefined
          ? sim.final.status
          : sim.cancelAt !== undefined
            ? "cancelling"
            : sim.polls === 0
              ? "validating"
              : sim.statusCalls >= 3 && sim.polls >= sim.statusCalls - 1
                ? "finalizing"
                : "in_progress"
      const ended = sim.final !== undefined
      return new Batch({
        id: sim.id,
        provider,
        status,
        requestCount: n,
        completedCount: completed,
        // at the end every request not succeeded has failed (errored, expired or cancelled)
        failedCount: ended ? n - completed : processed - completed,
        createdAt: new Date(sim.createdAt),
        ...(sim.final !== undefined ? { completedAt: new Date(sim.final.at) } : {}),
        // like a real provider, a status answer does not list the custom ids
        customIds: [],
        errors: sim.final?.status === "failed" ? (sim.lifecycle.errors ?? []) : [],
        // the create's metadata is kept, as OpenAI keeps it, so a lookup by label can find the batch
        details: { simulated: true, polls: sim.polls, ...(sim.metadata !== undefined ? { metadata: sim.metadata } : {}) }
      })
    }

    const finish = (sim: SimBatch, now: number) => {
      const n = sim.customIds.length
      const outcome = sim.lifecycle.outcome ?? "completed"
      const processed =
        outcome === "completed" ? n : outcome === "failed" ? 0 : Math.min(n, sim.lifecycle.processed ?? Math.floor(n / 2))
      sim.final = { status: outcome, processed, at: now }
    }

    const advance = (sim: SimBatch, now: number) => {
      if (sim.final !== undefined) return
      sim.polls += 1
      if (sim.cancelAt !== undefined) {
        sim.final = { status: "cancelled", processed: sim.cancelAt, at: now }
        return
      }
      const duration = sim.lifecycle.duration
      if (sim.polls >= sim.statusCalls || (duration !== undefined && now - sim.createdAt >= Duration.toMillis(duration))) finish(sim, now)
    }

    const lines = (sim: SimBatch): ReadonlyArray<BatchResult> => {
      const final = sim.final
      if (final === undefined || final.status === "failed") return []
      const lifecycle = sim.lifecycle
      const byId = new Map<string, BatchResult>()
      sim.customIds.forEach((customId, i) => {
        const answer = sim.answers[i]!
        if (i < final.processed) {
          byId.set(customId, Either.isRight(answer)
            ? new BatchResultSuccess({ customId, response: answer.right })
            : new BatchResultFailure({ customId, error: answer.left }))
        } else if (lifecycle.unprocessedLines !== false) {
          const code = final.status === "expired" ? ResultErrorCode.expired : ResultErrorCode.cancelled
          byId.set(customId, new BatchResultFailure({ customId, error: new ResultError({ code, message: `request ${code}` }) }))
        }
      })
      const order = lifecycle.order ?? "submission"
      const ids = order === "submission" ? sim.customIds : order === "reversed" ? [...sim.customIds].reverse() : order(sim.customIds)
      const omitted = new Set(lifecycle.omit ?? [])
      const out = ids.flatMap((id) => {
        const line = byId.get(id)
        return line === undefined || omitted.has(id) ? [] : [line]
      })
      for (const id of lifecycle.duplicate ?? []) {
        out.push(new BatchResultFailure({ customId: id, error: new ResultError({ code: "duplicate", message: "a duplicated line" }) }))
      }
      return out
    }

    const impl: BatchModel.Implementation = {
      provider,
      modelName,
      limits: { maxRequests: options.limits?.maxRequests ?? 100_000, maxBytes: options.limits?.maxBytes ?? 256 * 1024 * 1024 },
      validate: options.validate,
      encodedSize: options.encodedSize ?? defaultSize,
      create: (requests, createOptions) =>
        Effect.gen(function* () {
          yield* enter("create")
          if (options.createDelay !== undefined) yield* Effect.sleep(options.createDelay)
          const answers = yield* Effect.forEach(requests, (r) => toEither(answer(r)))
          const index = batches.size
          const lifecycle =
            typeof options.lifecycle === "function" ? options.lifecycle(index, requests) : (options.lifecycle ?? {})
          const sim: SimBatch = {
            id: `batch_${provider}_${index + 1}`,
            createdAt: yield* Clock.currentTimeMillis,
            customIds: requests.map((r) => r.customId),
            metadata: createOptions.metadata,
            answers,
            lifecycle,
            statusCalls: lifecycle.statusCalls ?? (lifecycle.duration !== undefined ? Infinity : 2),
            polls: 0,
            cancelAt: undefined,
            final: undefined
          }
          batches.set(sim.id, sim)
          if (sim.statusCalls <= 0) finish(sim, sim.createdAt)
          return snapshot(sim)
        }),
      status: (id) =>
        Effect.gen(function* () {
          yield* enter("status", id)
          const sim = yield* find(id)
          advance(sim, yield* Clock.currentTimeMillis)
          return snapshot(sim)
        }),
      results: (batch) =>
        Stream.unwrap(Effect.gen(function* () {
          const fault = yield* enter("results", batch.id)
          const sim = yield* find(batch.id)
          if (sim.final === undefined) {
            return yield* new InvalidRequestError({ provider, status: 400, detail: `batch ${batch.id} is not complete` })
          }
          const all = lines(sim)
          return fault === undefined
            ? Stream.fromIterable(all)
            : Stream.concat(Stream.fromIterable(all.slice(0, fault.afterLines)), Stream.fail(fault.error))
        })),
      cancel: (id) =>
        Effect.gen(function* () {
          yield* enter("cancel", id)
          const sim = yield* find(id)
          if (sim.final === undefined && sim.cancelAt === undefined) {
            sim.cancelAt = Math.min(sim.customIds.length, Math.floor((sim.customIds.length * sim.polls) / sim.statusCalls))
          }
          return snapshot(sim)
        }),
      list: (listOptions) =>
        Stream.unwrap(Effect.map(enter("list"), () => {
          const newestFirst = [...batches.values()].reverse()
          const start = listOptions.after === undefined ? 0 : newestFirst.findIndex((b) => b.id === listOptions.after) + 1
          return Stream.fromIterable(newestFirst.slice(start).map(snapshot))
        }))
    }

    const service = BatchModel.make(impl)
    return {
      service,
      layer: Layer.succeed(BatchModel.BatchModel, service),
      calls: Effect.sync(() => [...calls]),
      callCount: (op) => Effect.sync(() => counts.get(op) ?? 0),
      batches: Effect.sync(() => [...batches.values()].map((sim) => snapshot(sim).withCustomIds(sim.customIds)))
    }
  })

/**
 * A simulated `BatchModel` as a Layer (for `TestModel` / `FunctionModel`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<BatchModel.BatchModel> =>
  Layer.unwrapEffect(Effect.map(make(options), (sim) => sim.layer))
