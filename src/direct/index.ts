/**
 * The Promise facade, after pydantic-ai's `direct` module: `modelRequest`, `modelRequestStream`
 * and the batch functions (`modelRequestBatch`, `batchCreate`, `batchStatus`, `batchResults`,
 * `batchCancel`, `batchList`) for code that does not use Effect. Each one runs the library's
 * Effect program (`LanguageModel.request`, `Batch.run`, ...) and resolves with its result.
 *
 * The model is a model string (`"openai:gpt-4o-mini"`, configured from the environment) or a
 * Layer. Rejections are the library's own error classes (`instanceof` works); an aborted
 * `signal` rejects with its reason.
 *
 * **Times are in seconds here.** As in pydantic-ai, the facade's time options are plain numbers
 * of seconds: `pollInterval: 60`, `timeout: 1800`, `webhookFallback: 3600`. The Effect API
 * (`Batch.run` and the rest of `effect-llm-direct`) takes Durations instead: `pollInterval:
 * "60 seconds"`, `timeout: Duration.minutes(30)`. `modelSettings.timeout` is in seconds in both.
 *
 * `Output` (structured output) and `Telemetry` (OpenTelemetry spans) are the same namespaces as
 * the main entry's.
 *
 * @example
 * import { modelRequest, ModelRequest } from "effect-llm-direct/direct"
 *
 * const response = await modelRequest("anthropic:claude-haiku-4-5", [ModelRequest.userTextPrompt("What is the capital of France?")])
 * console.log(response.text)
 *
 * @since 0.1.0
 */

/**
 * `modelRequest` and its options.
 *
 * @since 0.1.0
 * @category programs
 */
export { modelRequest, type RequestOptions } from "./request.js"

/**
 * `modelRequestStream` and the async iterable it returns.
 *
 * @since 0.1.0
 * @category streams
 */
export { modelRequestStream, StreamedResponse } from "./stream.js"

/**
 * The batch functions.
 *
 * @since 0.1.0
 * @category programs
 */
export { batchCancel, batchCreate, batchList, batchResults, batchStatus, modelRequestBatch, modelRequestBatchWithSummary } from "./batch.js"

/**
 * Batched models: ordinary calls through the provider's batch API, and their progress.
 *
 * @since 0.2.0
 * @category constructors
 */
export { batched, type BatchedModel, type BatchedOptions, batchedProgress, watchBatchedProgress } from "./batched.js"

/**
 * A batched model's progress snapshot.
 *
 * @since 0.2.0
 * @category models
 */
export { Progress as BatchedProgress } from "../batched/progress.js"

/**
 * The batch functions' inputs and options (times in seconds).
 *
 * @since 0.1.0
 * @category options
 */
export type { BatchCallOptions, BatchCreateOptions, BatchModelInput, BatchRequestTuple, BatchRunOptions, BatchSummaryOptions } from "./batchOptions.js"

/**
 * A model for the facade (a model string or a Layer), and the disposal of the runtimes behind
 * model strings.
 *
 * @since 0.1.0
 * @category models
 */
export { disposeAll, type ModelInput } from "./runtimes.js"

/**
 * Errors of requests, streams and batches.
 *
 * @since 0.1.0
 * @category errors
 */
export * from "../AiError.js"

/**
 * Messages: ModelRequest, ModelResponse and their parts.
 *
 * @since 0.1.0
 * @category models
 */
export * from "../Message.js"

/**
 * Stream events and their accumulation.
 *
 * @since 0.1.0
 * @category models
 */
export * from "../StreamEvent.js"

/**
 * Request parameters and settings.
 *
 * @since 0.1.0
 * @category models
 */
export { ModelRequestParameters, type ModelRequestParametersFields, type ModelRequestParametersInput, ModelSettings, type ToolChoice } from "../Parameters.js"

/**
 * Tool definitions (`tool` is `Tool.make`, `toolFromJsonSchema` is `Tool.fromJsonSchema`).
 *
 * @since 0.1.0
 * @category constructors
 */
export { fromJsonSchema as toolFromJsonSchema, make as tool, ToolDefinition, type ToolDefinitionInput } from "../Tool.js"

/**
 * Token usage of a request.
 *
 * @since 0.1.0
 * @category models
 */
export { RequestUsage } from "../Usage.js"

/**
 * Batch data: requests, batches, statuses and results.
 *
 * @since 0.1.0
 * @category models
 */
export { Batch, BatchRequest, BatchResult, BatchResultFailure, BatchResultSuccess, BatchStatus, ResultError } from "../BatchData.js"

/**
 * A batch run's usage and cost.
 *
 * @since 0.1.0
 * @category models
 */
export { BatchCost, BatchSummary, BatchUsage, type CostOptions, ModelCost, ModelPrice, type ModelPriceInput, PricesUnavailableError } from "../Batch.js"

/**
 * OpenAI batch webhooks for `modelRequestBatch`'s `webhook` option.
 *
 * @since 0.1.0
 * @category models
 */
export { BatchWebhookReceiver, type WebhookReceipt, type WebhookReceiverOptions } from "../WebhookReceiver.js"

/**
 * Structured output: native, tool and prompted modes from an Effect Schema; decoding and
 * partial output.
 *
 * @since 0.2.0
 * @category models
 */
export * as Output from "../Output.js"

/**
 * OpenTelemetry GenAI spans: `Telemetry.configure` sets the tracer the facade's calls use.
 *
 * @since 0.2.0
 * @category utils
 */
export * as Telemetry from "../Telemetry.js"
