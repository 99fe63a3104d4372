/**
 * The Promise facade, after pydantic-ai's `direct` module: `modelRequest`, `modelRequestStream`
 * (and the batch functions) for code that does not use Effect. The model is a model string
 * (`"openai:gpt-4o-mini"`, configured from the environment) or a Layer. Rejections are the
 * library's own error classes (`instanceof` works); an aborted `signal` rejects with its reason.
 *
 * @example
 * import { modelRequest, ModelRequest } from "effect-llm-direct/direct"
 * const response = await modelRequest("anthropic:claude-haiku-4-5", [ModelRequest.userTextPrompt("What is the capital of France?")])
 * console.log(response.text)
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Option, Stream } from "effect"
import * as BatchApi from "./Batch.js"
import type * as BatchModel from "./BatchModel.js"
import { make as fileStore } from "./internal/fileStore.js"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelMessage, ModelResponse } from "./Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "./Parameters.js"
import { Accumulator, type ModelResponseStreamEvent } from "./StreamEvent.js"
import type { RequestUsage } from "./Usage.js"
import { KeyValueStore as KeyValueStoreTag } from "@effect/platform/KeyValueStore"
import { instrumented } from "./internal/batch/spans.js"
import { forString, type ModelInput, runPromise, runtimeFor } from "./internal/runtimes.js"
import { streamOpenerOf } from "./internal/streamOpener.js"
import { openProducer, type StreamProducer } from "./internal/streamProducer.js"
import type { BatchWebhookReceiver } from "./WebhookReceiver.js"
import * as Cost from "./Cost.js"

export * from "./AiError.js"
export { Batch, BatchRequest, BatchResult, BatchResultFailure, BatchResultSuccess, BatchStatus, ResultError } from "./Batch.js"
export * from "./Message.js"
export { ModelRequestParameters, ModelSettings, type ModelRequestParametersFields, type ModelRequestParametersInput, type ToolChoice } from "./Parameters.js"
export * from "./StreamEvent.js"
export { fromJsonSchema as toolFromJsonSchema, make as tool, ToolDefinition, type ToolDefinitionInput } from "./Tool.js"
export { RequestUsage } from "./Usage.js"
export { BatchCost, BatchUsage, BatchSummary, ModelCost, ModelPrice, PricesUnavailableError, type CostOptions, type ModelPriceInput } from "./Batch.js"
export { BatchWebhookReceiver, type WebhookReceipt, type WebhookReceiverOptions } from "./WebhookReceiver.js"
export { disposeAll } from "./internal/runtimes.js"
export type { ModelInput } from "./internal/runtimes.js"

/** Options of {@link modelRequest} and {@link modelRequestStream}. */
export interface RequestOptions {
  /** Sampling, limits, headers (`timeout` in seconds). */
  readonly modelSettings?: ModelSettings | undefined
  /** Tools and output offered to the model. */
  readonly modelRequestParameters?: ModelRequestParametersInput | undefined
  /** Aborts the request; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's span off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

const languageRuntime = (model: ModelInput) => runtimeFor(model, (s) => forString(s))

const callOptions = (options: RequestOptions | undefined): LanguageModel.RequestOptions => ({
  parameters: options?.modelRequestParameters,
  settings: options?.modelSettings,
  instrument: options?.instrument
})

/**
 * Makes a non-streamed request to a model.
 *
 * @example
 * const response = await modelRequest("openai:gpt-4o-mini", [ModelRequest.userTextPrompt("Hi")])
 */
export const modelRequest = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): Promise<ModelResponse> =>
  runPromise(languageRuntime(model), LanguageModel.request(messages, callOptions(options)), options?.signal)

/**
 * A streamed response: an async iterable of events that starts the request on the first
 * `next()` and aborts it when iteration stops early (`break`). `response`, `usage`, `modelName`
 * and `timestamp` describe the response so far. The final metadata event is folded into
 * `response` and `usage` rather than yielded, as in pydantic-ai's event list.
 */
export class StreamedResponse implements AsyncIterableIterator<ModelResponseStreamEvent> {
  readonly #accumulator: Accumulator
  readonly #start: () => StreamProducer
  readonly #signal: AbortSignal | undefined
  #producer: StreamProducer | undefined
  #buffer: Array<ModelResponseStreamEvent> = []
  #next = 0
  #done = false

  /** @internal */
  constructor(
    start: () => StreamProducer,
    defaults: { readonly modelName: string; readonly providerName: string },
    signal: AbortSignal | undefined
  ) {
    this.#start = start
    this.#signal = signal
    this.#accumulator = new Accumulator(defaults)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next event; the first call starts the request. */
  async next(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    for (;;) {
      if (this.#next < this.#buffer.length) return { done: false, value: this.#buffer[this.#next++]! }
      if (this.#done) return { done: true, value: undefined }
      if (this.#signal?.aborted) {
        await this.return()
        throw this.#signal.reason
      }
      if (this.#producer === undefined) {
        this.#producer = this.#start()
        this.#signal?.addEventListener("abort", () => void this.#producer?.stop(), { once: true })
      }
      const events = this.#producer.take()
      if (events !== undefined) {
        this.#buffer = []
        this.#next = 0
        for (const event of events) {
          this.#accumulator.add(event)
          if (event._tag !== "ResponseMetadataEvent") this.#buffer.push(event)
        }
        continue
      }
      const exit = this.#producer.exit()
      if (exit !== undefined) {
        this.#done = true
        if (Exit.isSuccess(exit)) return { done: true, value: undefined }
        if (this.#signal?.aborted) throw this.#signal.reason
        const failure = Cause.failureOption(exit.cause)
        throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
      }
      await this.#producer.wait()
    }
  }

  /** Stops the stream early: aborts the HTTP response. */
  async return(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    this.#done = true
    this.#buffer = []
    this.#next = 0
    const producer = this.#producer
    if (producer !== undefined && producer.exit() === undefined) await producer.stop()
    return { done: true, value: undefined }
  }

  /** The response so far (complete once iteration has finished). */
  get response(): ModelResponse {
    return this.#accumulator.response
  }
  /** The usage so far (providers report it at the end). */
  get usage(): RequestUsage {
    return this.#accumulator.usage
  }
  /** The model name the provider reported, else the requested one. */
  get modelName(): string {
    return this.#accumulator.modelName
  }
  /** When the first event arrived. */
  get timestamp(): Date {
    return this.#accumulator.timestamp
  }
}

/**
 * Makes a streamed request to a model. Returns at once; the request starts on the first
 * `next()`, and `break` aborts it.
 *
 * @example
 * const stream = modelRequestStream("openai:gpt-4.1-mini", [ModelRequest.userTextPrompt("Who was Albert Einstein?")])
 * for await (const event of stream) console.log(event)
 * console.log(stream.response.text, stream.usage)
 */
export const modelRequestStream = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): StreamedResponse => {
  const defaults = { modelName: typeof model === "string" ? model.slice(model.indexOf(":") + 1) : "", providerName: typeof model === "string" ? model.split(":")[0] ?? "" : "" }
  const call = callOptions(options)
  const open = Effect.flatMap(LanguageModel.LanguageModel, (service) => {
    // services built by LanguageModel.make open the request for direct reading; others stream
    const opener = streamOpenerOf<LanguageModel.RequestOptions>(service)
    return opener === undefined ? Effect.succeed(service.requestStream(messages, call)) : opener(messages, call)
  })
  return new StreamedResponse(() => openProducer(languageRuntime(model), open), defaults, options?.signal)
}

// ---------------------------------------------------------------------------------------------
// batches
// ---------------------------------------------------------------------------------------------

/** A batch request as pydantic-ai writes it: `[customId, messages]` or `[customId, messages, parameters]`. */
export type BatchRequestTuple = readonly [customId: string, messages: ReadonlyArray<ModelMessage>, parameters?: ModelRequestParametersInput]

/** A model for the batch functions: a model string, or a Layer providing a `BatchModel`. */
export type BatchModelInput = ModelInput<BatchModel.BatchModel>

/** Options of {@link batchCreate}. */
export interface BatchCreateOptions {
  /** Settings for every request. */
  readonly modelSettings?: ModelSettings | undefined
  /** Parameters for requests given without their own. */
  readonly modelRequestParameters?: ModelRequestParametersInput | undefined
  /** Labels stored with the batch (OpenAI only: at most 16 pairs). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** Aborts the call (a create already sent is cancelled); rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's spans off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

/** Options of {@link modelRequestBatch}; times are in seconds, as in pydantic-ai. */
export interface BatchRunOptions extends BatchCreateOptions {
  /** Seconds between status checks (default 60). */
  readonly pollInterval?: number | undefined
  /** Seconds before the batch is cancelled and the call rejects with BatchTimeoutError. */
  readonly timeout?: number | undefined
  /**
   * Records the submitted batch under this key (in `resumeDirectory`), so that a program stopped
   * after submission and started again resumes polling it instead of paying twice.
   */
  readonly resumeKey?: string | undefined
  /** Where resume records are kept (default `.effect-llm-direct/batches` in the working directory). */
  readonly resumeDirectory?: string | undefined
  /** Split into provider batches of at most this many requests. */
  readonly maxRequestsPerBatch?: number | undefined
  /** Split into provider batches of at most this many bytes. */
  readonly maxBytesPerBatch?: number | undefined
  /** At most this many provider batches live at once; later parts wait (see `Batch.RunOptions`). */
  readonly maxConcurrentBatches?: number | undefined
  /** At most this many estimated tokens enqueued at once; parts are split to fit and wait their turn. */
  readonly maxEnqueuedTokens?: number | undefined
  /** The tokens of one request for `maxEnqueuedTokens` (default `Batch.estimateTokens`). */
  readonly estimateTokens?: ((request: BatchApi.BatchRequest) => number) | undefined
  /** Submit requests that failed with a transient code again, up to `times` rounds (see `Batch.RunOptions`). */
  readonly resubmit?: BatchApi.ResubmitOptions | undefined
  /**
   * Learn of completion from OpenAI webhooks too: the run checks a batch's status as soon as its
   * event reaches the receiver, and otherwise polls every `webhookFallback` seconds.
   */
  readonly webhook?: BatchWebhookReceiver | undefined
  /** Seconds between fallback polls with `webhook` (default 3600); replaces `pollInterval`. */
  readonly webhookFallback?: number | undefined
}

const batchRuntime = (model: BatchModelInput) => runtimeFor(model, (s) => forString(s))

const runBatch = <A, E>(model: BatchModelInput, effect: Effect.Effect<A, E, BatchModel.BatchModel>, options?: { readonly signal?: AbortSignal | undefined; readonly instrument?: boolean | undefined }) =>
  // false turns every span of the call off; true also traces it with Telemetry.configure's tracer
  runPromise(batchRuntime(model), instrumented(effect, options?.instrument), options?.signal)

const toBatchRequests = (requests: ReadonlyArray<BatchRequestTuple | BatchApi.BatchRequestInput>, options: BatchCreateOptions | undefined): Array<BatchApi.BatchRequestInput> =>
  requests.map((request) => {
    if (!Array.isArray(request)) return request as BatchApi.BatchRequestInput
    const [customId, messages, parameters] = request as BatchRequestTuple
    const chosen = parameters ?? options?.modelRequestParameters
    return {
      customId,
      messages,
      ...(chosen !== undefined ? { parameters: chosen } : {}),
      ...(options?.modelSettings !== undefined ? { settings: options.modelSettings } : {})
    }
  })

/**
 * Runs requests through the provider's batch API (half price, own rate limits): submits, polls,
 * and resolves with one result per request, in submission order. Rejects with
 * BatchTimeoutError after `timeout` seconds (the batch is cancelled first); aborting `signal`
 * cancels the batch (unless `resumeKey` is set, which leaves it running for the next call).
 *
 * @example
 * const results = await modelRequestBatch("openai:gpt-4o-mini", [
 *   ["math-1", [ModelRequest.userTextPrompt("What is 2 + 2?")]],
 *   ["math-2", [ModelRequest.userTextPrompt("What is the square root of 144?")]]
 * ], { pollInterval: 60, timeout: 1800 })
 */
export const modelRequestBatch = (
  model: BatchModelInput,
  requests: ReadonlyArray<BatchRequestTuple | BatchApi.BatchRequestInput>,
  options?: BatchRunOptions
): Promise<ReadonlyArray<BatchApi.BatchResult>> => {
  const runOptions: BatchApi.RunOptions & { readonly resumeKey?: undefined } = {
    pollInterval: `${options?.pollInterval ?? 60} seconds`,
    ...(options?.timeout !== undefined ? { timeout: `${options.timeout} seconds` } : {}),
    ...(options?.maxRequestsPerBatch !== undefined ? { maxRequestsPerBatch: options.maxRequestsPerBatch } : {}),
    ...(options?.maxBytesPerBatch !== undefined ? { maxBytesPerBatch: options.maxBytesPerBatch } : {}),
    ...(options?.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: options.maxConcurrentBatches } : {}),
    ...(options?.maxEnqueuedTokens !== undefined ? { maxEnqueuedTokens: options.maxEnqueuedTokens } : {}),
    ...(options?.estimateTokens !== undefined ? { estimateTokens: options.estimateTokens } : {}),
    ...(options?.resubmit !== undefined ? { resubmit: options.resubmit } : {}),
    ...(options?.metadata !== undefined ? { metadata: options.metadata } : {}),
    ...(options?.webhook !== undefined ? { completion: options.webhook.completion(options.webhookFallback) } : {})
  }
  const batchRequests = toBatchRequests(requests, options)
  const resumeKey = options?.resumeKey
  const program = resumeKey === undefined
    ? BatchApi.run(batchRequests, runOptions)
    : BatchApi.run(batchRequests, { ...runOptions, resumeKey }).pipe(
        Effect.provideService(KeyValueStoreTag, fileStore(options?.resumeDirectory ?? ".effect-llm-direct/batches"))
      )
  return runBatch(model, program, options)
}

/**
 * Submits a batch and resolves at once with it (usually `validating`); poll with
 * {@link batchStatus}, then read {@link batchResults}.
 *
 * @example
 * const batch = await batchCreate("openai:gpt-4o-mini", requests)
 * console.log(`Batch ${batch.id} submitted with ${batch.requestCount} requests`)
 */
export const batchCreate = (
  model: BatchModelInput,
  requests: ReadonlyArray<BatchRequestTuple | BatchApi.BatchRequestInput>,
  options?: BatchCreateOptions
): Promise<BatchApi.Batch> =>
  runBatch(model, BatchApi.create(toBatchRequests(requests, options), options?.metadata !== undefined ? { metadata: options.metadata } : {}), options)

/** Options of the single-batch calls. */
export interface BatchCallOptions {
  /** Aborts the call; rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's spans off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

/** The batch as it is now. */
export const batchStatus = (model: BatchModelInput, batch: BatchApi.Batch | string, options?: BatchCallOptions): Promise<BatchApi.Batch> =>
  runBatch(model, BatchApi.status(batch), options)

/**
 * The results of a finished batch. Given the Batch object that `batchCreate` / `batchStatus`
 * returned, there is one result per submitted request, in submission order (requests the
 * provider left out included); given only an id, the provider's lines in its order.
 */
export const batchResults = (model: BatchModelInput, batch: BatchApi.Batch | string, options?: BatchCallOptions): Promise<Array<BatchApi.BatchResult>> =>
  runBatch(model, Effect.map(Stream.runCollect(BatchApi.results(batch)), (chunk) => inSubmissionOrder(Array.from(chunk), batch)), options)

const inSubmissionOrder = (results: Array<BatchApi.BatchResult>, batch: BatchApi.Batch | string): Array<BatchApi.BatchResult> => {
  if (typeof batch === "string" || batch.customIds.length === 0) return results
  const position = new Map(batch.customIds.map((id, i) => [id, i]))
  return results.sort((a, b) => (position.get(a.customId) ?? Infinity) - (position.get(b.customId) ?? Infinity))
}

/** Cancels a batch; resolves with it (usually `cancelling`). */
export const batchCancel = (model: BatchModelInput, batch: BatchApi.Batch | string, options?: BatchCallOptions): Promise<BatchApi.Batch> =>
  runBatch(model, BatchApi.cancel(batch), options)

/** The newest batches (default 20). */
export const batchList = (model: BatchModelInput, options?: BatchCallOptions & { readonly limit?: number | undefined }): Promise<Array<BatchApi.Batch>> =>
  runBatch(model, Effect.map(Stream.runCollect(BatchApi.list({ limit: options?.limit ?? 20 })), (chunk) => Array.from(chunk)), options)

/** Options of {@link modelRequestBatchWithSummary}: those of {@link modelRequestBatch}, and `cost`. */
export interface BatchSummaryOptions extends BatchRunOptions {
  /** Price the results too: `true` for the default prices, or your prices and multipliers. */
  readonly cost?: boolean | Cost.CostOptions | undefined
}

/**
 * {@link modelRequestBatch}, then the results' summed usage and, with `cost`, what they cost in
 * US dollars (your `prices`, else `@pydantic/genai-prices` when installed; batch price halved for
 * OpenAI and Anthropic). Results without usage or without a price are counted, not guessed.
 *
 * @example
 * const { results, usage, cost } = await modelRequestBatchWithSummary("openai:gpt-4o-mini", requests, { cost: true })
 * console.log(`${usage.totalTokens} tokens, $${cost?.totalCost.toFixed(4)}`)
 */
export const modelRequestBatchWithSummary = async (
  model: BatchModelInput,
  requests: ReadonlyArray<BatchRequestTuple | BatchApi.BatchRequestInput>,
  options?: BatchSummaryOptions
): Promise<BatchApi.BatchSummary> => {
  const results = await modelRequestBatch(model, requests, options)
  const wanted = options?.cost
  const priced = wanted === undefined || wanted === false
    ? undefined
    : await runPromise(batchRuntime(model), Cost.cost(results, wanted === true ? {} : wanted), options?.signal)
  return new BatchApi.BatchSummary({ results, usage: BatchApi.usage(results), ...(priced !== undefined ? { cost: priced } : {}) }, true)
}
