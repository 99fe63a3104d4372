/**
 * The `BatchModel` capability: one provider's batch API (create, status, results, cancel, list).
 * Provider layers (`OpenAi.model`, `Anthropic.model`) and test layers (`TestModel`,
 * `FunctionModel`, `SimulatedBatch`) provide it. Programs use the `Batch` module (`Batch.run`,
 * `Batch.watch`, `Batch.results`, ...), which adds validation, retries, deduplication, ordering
 * and cancellation on top of this raw service; a program that needs batches but has no
 * `BatchModel` in context does not compile.
 *
 * A provider writes an {@link Implementation} (single attempts, provider order, raw lines) and
 * turns it into the service with {@link make}.
 *
 * @since 0.1.0
 */
import { Context, Effect, Stream } from "effect"
import type { AiError, InvalidInputError } from "./AiError.js"
import type { Batch, BatchRequest, BatchResult } from "./BatchData.js"

/**
 * The most one provider batch may hold; larger request lists are split by `Batch.run`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Requests per batch (OpenAI 50,000; Anthropic 100,000). */
  readonly maxRequests: number
  /** Bytes of the upload per batch, as measured by `encodedSize` (OpenAI 200 MB; Anthropic 256 MB). */
  readonly maxBytes: number
}

/**
 * Options of a create call.
 *
 * @since 0.1.0
 * @category options
 */
export interface CreateOptions {
  /** Key/value labels stored with the batch where the provider supports them (OpenAI). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
}

/**
 * Options of a list call.
 *
 * @since 0.1.0
 * @category options
 */
export interface ListOptions {
  /** At most this many batches in total (default: all, newest first). */
  readonly limit?: number | undefined
  /** Start after this batch id (a provider cursor). */
  readonly after?: string | undefined
}

/**
 * What a `BatchModel` does. Every call is a single attempt; `Batch.*` adds retries.
 *
 * @since 0.1.0
 * @category context
 */
export interface Service {
  /** The provider's name: "openai", "anthropic", "test", ... */
  readonly provider: string
  /** The default model of the batch's requests. */
  readonly modelName: string
  /** The provider's size limits of one batch. */
  readonly limits: Limits
  /** Provider-specific checks of a whole request list, before any network call. */
  readonly validate: (requests: ReadonlyArray<BatchRequest>, options: CreateOptions) => Effect.Effect<void, InvalidInputError>
  /** Bytes one request takes in the provider's upload (a JSONL line, an array item), for splitting. */
  readonly encodedSize: (request: BatchRequest) => number
  /**
   * The sum of `encodedSize` over a whole list, where the provider can count it faster than
   * request by request (a list that fits one batch then needs no per-request sizes).
   */
  readonly encodedBytes?: ((requests: ReadonlyArray<BatchRequest>) => number) | undefined
  /** Submits one provider batch; the returned Batch carries the requests' custom ids. */
  readonly create: (requests: ReadonlyArray<BatchRequest>, options: CreateOptions) => Effect.Effect<Batch, AiError>
  /** The batch as the provider sees it now; custom ids of a given Batch are carried over. */
  readonly status: (batch: Batch | string) => Effect.Effect<Batch, AiError>
  /** The provider's result lines, in provider order (raw: duplicates and omissions possible). */
  readonly results: (batch: Batch | string) => Stream.Stream<BatchResult, AiError>
  /** Asks the provider to cancel; returns the batch (usually `cancelling`). */
  readonly cancel: (batch: Batch | string) => Effect.Effect<Batch, AiError>
  /** The provider's batches, newest first, fetched page by page as the stream is consumed. */
  readonly list: (options?: ListOptions) => Stream.Stream<Batch, AiError>
}

/**
 * The `BatchModel` service Tag.
 *
 * @since 0.1.0
 * @category context
 */
export class BatchModel extends Context.Tag("effect-llm-direct/BatchModel")<BatchModel, Service>() {}

/**
 * What a provider implements; {@link make} turns it into a {@link Service}. Each function is
 * one attempt (no retries) that calls the SDK with the fiber's `AbortSignal`.
 *
 * - `create` uploads and creates; it runs uninterruptibly under a timeout in `Batch.run`, so it
 *   must not wait on anything but the provider. Its Batch needs no `customIds` (filled in here).
 * - `status` / `cancel` get the batch id and return a fresh {@link Batch}: map the provider's
 *   status with `Batch.statusFromOpenAi` / `Batch.statusFromAnthropic`, put batch-level errors
 *   in `errors`, provider fields (JSON-safe) in `details`.
 * - `results` gets the complete Batch (with its `details`, e.g. file ids) and streams one
 *   {@link BatchResult} per provider line, reading the file as a stream. Map a provider's
 *   expired / cancelled line to the codes "expired" / "cancelled"; leave deduplication, unknown
 *   ids and requests without a line to `Batch.results`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Implementation {
  readonly provider: string
  readonly modelName: string
  readonly limits: Limits
  /** Provider rules (custom id pattern, one model per batch, metadata limits); default none. */
  readonly validate?: ((requests: ReadonlyArray<BatchRequest>, options: CreateOptions) => Effect.Effect<void, InvalidInputError>) | undefined
  /** Must not throw for a request `validate` accepted. */
  readonly encodedSize: (request: BatchRequest) => number
  /** The sum of `encodedSize` over a list, if cheaper to count at once; must not throw for a list `validate` accepted. */
  readonly encodedBytes?: ((requests: ReadonlyArray<BatchRequest>) => number) | undefined
  readonly create: (requests: ReadonlyArray<BatchRequest>, options: CreateOptions) => Effect.Effect<Batch, AiError>
  readonly status: (batchId: string) => Effect.Effect<Batch, AiError>
  readonly results: (batch: Batch) => Stream.Stream<BatchResult, AiError>
  readonly cancel: (batchId: string) => Effect.Effect<Batch, AiError>
  /** All batches, newest first; `after` is the provider cursor (`limit` is applied by {@link make}). */
  readonly list: (options: ListOptions) => Stream.Stream<Batch, AiError>
}

// A provider can only report the custom ids it was just given; keep the ones we already know.
const carryIds = (previous: Batch | string, next: Batch): Batch =>
  typeof previous === "string" || next.customIds.length > 0 || previous.id !== next.id ? next : next.withCustomIds(previous.customIds)

/**
 * Builds the service from a provider implementation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (impl: Implementation): Service => {
  const status = (batch: Batch | string) =>
    Effect.map(impl.status(typeof batch === "string" ? batch : batch.id), (next) => carryIds(batch, next))
  return {
    provider: impl.provider,
    modelName: impl.modelName,
    limits: impl.limits,
    validate: impl.validate ?? (() => Effect.void),
    encodedSize: impl.encodedSize,
    encodedBytes: impl.encodedBytes,
    create: (requests, options) =>
      Effect.map(impl.create(requests, options), (batch) => batch.withCustomIds(requests.map((r) => r.customId))),
    status,
    results: (batch) => (typeof batch === "string" ? Stream.unwrap(Effect.map(status(batch), impl.results)) : impl.results(batch)),
    cancel: (batch) => Effect.map(impl.cancel(typeof batch === "string" ? batch : batch.id), (next) => carryIds(batch, next)),
    list: (options) => {
      const all = impl.list(options ?? {})
      return options?.limit === undefined ? all : Stream.take(all, options.limit)
    }
  }
}

/**
 * Creates one provider batch (raw: no validation, no retry). Prefer `Batch.create`.
 *
 * @since 0.1.0
 * @category programs
 */
export const create = (
  requests: ReadonlyArray<BatchRequest>,
  options: CreateOptions = {}
): Effect.Effect<Batch, AiError, BatchModel> => Effect.flatMap(BatchModel, (model) => model.create(requests, options))

/**
 * The batch's current state (raw: one attempt). Prefer `Batch.status`.
 *
 * @since 0.1.0
 * @category programs
 */
export const status = (batch: Batch | string): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) => model.status(batch))

/**
 * The provider's result lines (raw). Prefer `Batch.results`, which gives one result per id.
 *
 * @since 0.1.0
 * @category streams
 */
export const results = (batch: Batch | string): Stream.Stream<BatchResult, AiError, BatchModel> =>
  Stream.unwrap(Effect.map(BatchModel, (model) => model.results(batch)))

/**
 * Asks the provider to cancel (raw: one attempt). Prefer `Batch.cancel`.
 *
 * @since 0.1.0
 * @category programs
 */
export const cancel = (batch: Batch | string): Effect.Effect<Batch, AiError, BatchModel> =>
  Effect.flatMap(BatchModel, (model) => model.cancel(batch))

/**
 * The provider's batches, newest first (raw).
 *
 * @since 0.1.0
 * @category streams
 */
export const list = (options?: ListOptions): Stream.Stream<Batch, AiError, BatchModel> =>
  Stream.unwrap(Effect.map(BatchModel, (model) => model.list(options)))
