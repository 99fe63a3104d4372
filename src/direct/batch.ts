/**
 * The batch functions: pydantic-ai's `model_request_batch` and the single-batch calls, as
 * Promises over the `Batch` programs.
 *
 * @since 0.2.0
 */
import { KeyValueStore } from "@effect/platform/KeyValueStore"
import { Effect, Option, Stream } from "effect"
import { InvalidInputError } from "../AiError.js"
import * as Batch from "../Batch.js"
import * as LanguageModel from "../LanguageModel.js"
import type * as BatchModel from "../BatchModel.js"
import { make as fileStore } from "./fileStore.js"
import {
  type BatchCallOptions,
  type BatchCreateOptions,
  type BatchModelInput,
  type BatchRequestTuple,
  type BatchRunOptions,
  type BatchSummaryOptions,
  createOptions,
  runOptions,
  toBatchRequests
} from "./batchOptions.js"
import { runPromise, runtimeFor } from "./runtimes.js"
import * as Lifecycle from "../internal/batch/lifecycle.js"

type Requests = ReadonlyArray<BatchRequestTuple | Batch.BatchRequestInput>

const runBatch = <A, E>(model: BatchModelInput, effect: Effect.Effect<A, E, BatchModel.BatchModel>, signal: AbortSignal | undefined): Promise<A> =>
  runPromise(runtimeFor(model), effect, signal)

/**
 * A run of `Batch.run` or `Batch.runWithSummary` (`program`) with the facade's options; with a
 * `resumeKey`, the run is recorded in a file store in `resumeDirectory`.
 */
const runRequests = <A>(
  model: BatchModelInput,
  requests: Requests,
  options: BatchSummaryOptions | undefined,
  program: {
    (requests: ReadonlyArray<Batch.BatchRequestInput>, options: Batch.SummaryOptions & { readonly resumeKey: string }): Effect.Effect<A, unknown, BatchModel.BatchModel | KeyValueStore>
    (requests: ReadonlyArray<Batch.BatchRequestInput>, options: Batch.SummaryOptions & { readonly resumeKey?: undefined }): Effect.Effect<A, unknown, BatchModel.BatchModel>
  }
): Promise<A> => {
  const batchRequests = toBatchRequests(requests, options)
  const run = runOptions(options)
  const resumeKey = options?.resumeKey
  const effect = resumeKey === undefined
    ? program(batchRequests, run)
    : program(batchRequests, { ...run, resumeKey }).pipe(
      Effect.provideService(KeyValueStore, fileStore(options?.resumeDirectory ?? ".effect-llm-direct/batches"))
    )
  return runBatch(model, options?.primeCache === true ? Effect.zipRight(primed(batchRequests), effect) : effect, options?.signal)
}

/** `Batch.primeCache` with the model's own `LanguageModel` (a model string provides one; a Layer may not). */
const primed = (requests: ReadonlyArray<Batch.BatchRequestInput>) =>
  Effect.flatMap(Effect.serviceOption(LanguageModel.LanguageModel), Option.match({
    onNone: () => Effect.fail(new InvalidInputError({ reason: "primeCache needs a model that provides a LanguageModel too: pass a model string, or a Layer that provides both (OpenAi.model, Anthropic.model, ...)." })),
    onSome: (model) => Effect.asVoid(Effect.provideService(Batch.primeCache(requests), LanguageModel.LanguageModel, model))
  }))

/**
 * Runs requests through the provider's batch API (half price, own rate limits): submits, polls,
 * and resolves with one result per request, in submission order (`Batch.run`). Rejects with
 * BatchTimeoutError after `timeout` seconds (the batch is cancelled first); aborting `signal`
 * cancels the batch (unless `resumeKey` is set, which leaves it running for the next call).
 *
 * @example
 * import { modelRequestBatch, ModelRequest } from "effect-llm-direct/direct"
 *
 * const results = await modelRequestBatch("openai:gpt-4o-mini", [
 *   ["math-1", [ModelRequest.userTextPrompt("What is 2 + 2?")]],
 *   ["math-2", [ModelRequest.userTextPrompt("What is the square root of 144?")]]
 * ], { pollInterval: 60, timeout: 1800 }) // seconds
 *
 * @since 0.1.0
 * @category programs
 */
export const modelRequestBatch = (model: BatchModelInput, requests: Requests, options?: BatchRunOptions): Promise<ReadonlyArray<Batch.BatchResult>> =>
  runRequests(model, requests, options, Batch.run)

/**
 * {@link modelRequestBatch}, then the results' summed usage and, with `cost`, what they cost in
 * US dollars (`Batch.runWithSummary`: your `prices`, else `@pydantic/genai-prices` when
 * installed; batch price discount applied). Results without usage or without a price are
 * counted, not guessed.
 *
 * @example
 * import { modelRequestBatchWithSummary, ModelRequest } from "effect-llm-direct/direct"
 *
 * const requests = [["q1", [ModelRequest.userTextPrompt("What is 2 + 2?")]]] as const
 * const { usage, cost } = await modelRequestBatchWithSummary("openai:gpt-4o-mini", requests, { cost: true })
 * console.log(`${usage.totalTokens} tokens, $${cost?.totalCost.toFixed(4)}`)
 *
 * @since 0.1.0
 * @category programs
 */
export const modelRequestBatchWithSummary = (model: BatchModelInput, requests: Requests, options?: BatchSummaryOptions): Promise<Batch.BatchSummary> =>
  runRequests(model, requests, options, Batch.runWithSummary)

/**
 * Submits a batch and resolves at once with it (usually `validating`); poll with
 * {@link batchStatus}, then read {@link batchResults}.
 *
 * @example
 * import { batchCreate, ModelRequest } from "effect-llm-direct/direct"
 *
 * const batch = await batchCreate("openai:gpt-4o-mini", [["q1", [ModelRequest.userTextPrompt("What is 2 + 2?")]]])
 * console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
 *
 * @since 0.1.0
 * @category programs
 */
export const batchCreate = (model: BatchModelInput, requests: Requests, options?: BatchCreateOptions): Promise<Batch.Batch> =>
  runBatch(model, Batch.create(toBatchRequests(requests, options), createOptions(options)), options?.signal)

const callOptions = (options: BatchCallOptions | undefined): Batch.CallOptions =>
  options?.instrument !== undefined ? { instrument: options.instrument } : {}

/**
 * The batch as it is now.
 *
 * @since 0.1.0
 * @category programs
 */
export const batchStatus = (model: BatchModelInput, batch: Batch.Batch | string, options?: BatchCallOptions): Promise<Batch.Batch> =>
  runBatch(model, Batch.status(batch, callOptions(options)), options?.signal)

// Batch.results streams in provider order (memory stays bounded); a Promise holds them all, so
// they are given back in the order they were submitted, by the lifecycle's own ordering
const inSubmissionOrder = (results: Array<Batch.BatchResult>, batch: Batch.Batch | string): Array<Batch.BatchResult> =>
  typeof batch === "string" || batch.customIds.length === 0
    ? results
    : Lifecycle.inSubmissionOrder(batch.customIds, [results], (id) => Batch.unanswered(id, batch))

/**
 * The results of a finished batch. Given the Batch object that `batchCreate` / `batchStatus`
 * returned, there is one result per submitted request, in submission order (requests the
 * provider left out included); given only an id, the provider's lines in its order.
 *
 * @since 0.1.0
 * @category programs
 */
export const batchResults = (model: BatchModelInput, batch: Batch.Batch | string, options?: BatchCallOptions): Promise<Array<Batch.BatchResult>> =>
  runBatch(model, Effect.map(Stream.runCollect(Batch.results(batch, callOptions(options))), (chunk) => inSubmissionOrder(Array.from(chunk), batch)), options?.signal)

/**
 * Cancels a batch; resolves with it (usually `cancelling`).
 *
 * @since 0.1.0
 * @category programs
 */
export const batchCancel = (model: BatchModelInput, batch: Batch.Batch | string, options?: BatchCallOptions): Promise<Batch.Batch> =>
  runBatch(model, Batch.cancel(batch, callOptions(options)), options?.signal)

/**
 * The newest batches (default 20).
 *
 * @since 0.1.0
 * @category programs
 */
export const batchList = (model: BatchModelInput, options?: BatchCallOptions & { readonly limit?: number | undefined }): Promise<Array<Batch.Batch>> =>
  runBatch(model, Effect.map(Stream.runCollect(Batch.list({ ...callOptions(options), limit: options?.limit ?? 20 })), (chunk) => Array.from(chunk)), options?.signal)
