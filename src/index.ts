/**
 * effect-llm-direct: direct LLM requests, streams and provider batch APIs as typed,
 * cancellable Effect programs. Each module is exported as a namespace.
 *
 * @since 0.1.0
 */

/**
 * The Anthropic provider: client Layers and the Messages API model (also `effect-llm-direct/anthropic`).
 *
 * @since 0.1.0
 * @category layers
 */
export { Anthropic } from "./anthropic.js"
/**
 * Azure OpenAI: the OpenAI models over the SDK's AzureOpenAI client (also `effect-llm-direct/azure`).
 *
 * @since 0.1.0
 * @category layers
 */
export { AzureOpenAi } from "./azure.js"
/**
 * Typed errors of requests, streams and batches.
 *
 * @since 0.1.0
 * @category errors
 */
export * as AiError from "./AiError.js"
/**
 * Batches: types and the run / watch / create / status / results / cancel / list programs.
 *
 * @since 0.1.0
 * @category programs
 */
export * as Batch from "./Batch.js"
/**
 * Batch data: BatchRequest, Batch, BatchStatus, BatchResult, ResultError (Schema classes).
 *
 * @since 0.2.0
 * @category models
 */
export * as BatchData from "./BatchData.js"
/**
 * Webhook completion of batch runs: BatchEvent and `webhook`.
 *
 * @since 0.2.0
 * @category programs
 */
export * as BatchCompletion from "./BatchCompletion.js"
/**
 * The `BatchModel` capability service that providers implement.
 *
 * @since 0.1.0
 * @category context
 */
export * as BatchModel from "./BatchModel.js"
/**
 * A `LanguageModel` whose ordinary requests go through the provider's batch API: its layer, options and progress.
 *
 * @since 0.2.0
 * @category layers
 */
export * as BatchedLanguageModel from "./BatchedLanguageModel.js"
/**
 * The `LanguageModel` service: request and requestStream.
 *
 * @since 0.1.0
 * @category context
 */
export * as LanguageModel from "./LanguageModel.js"
/**
 * Messages: ModelRequest, ModelResponse and their parts.
 *
 * @since 0.1.0
 * @category models
 */
export * as Message from "./Message.js"
/**
 * Model strings ("openai:gpt-4o-mini") resolved to provider Layers.
 *
 * @since 0.1.0
 * @category layers
 */
export * as ModelString from "./ModelString.js"
/**
 * The OpenAI provider: client Layers, the Chat Completions and Responses models.
 *
 * @since 0.1.0
 * @category layers
 */
export { OpenAi } from "./openai.js"
/**
 * Structured output: native, tool and prompted modes from an Effect Schema; decoding and partial output.
 *
 * @since 0.1.0
 * @category codecs
 */
export * as Output from "./Output.js"
/**
 * Request parameters and settings.
 *
 * @since 0.1.0
 * @category models
 */
export * as Parameters from "./Parameters.js"
/**
 * The retry policies.
 *
 * @since 0.1.0
 * @category utils
 */
export * as Retry from "./Retry.js"
/**
 * Stream events and accumulate.
 *
 * @since 0.1.0
 * @category streams
 */
export * as StreamEvent from "./StreamEvent.js"
/**
 * OpenTelemetry GenAI spans.
 *
 * @since 0.1.0
 * @category utils
 */
export * as Telemetry from "./Telemetry.js"
/**
 * Tool definitions.
 *
 * @since 0.1.0
 * @category models
 */
export * as Tool from "./Tool.js"
/**
 * What a batch cost: your prices or @pydantic/genai-prices, batch multiplier applied.
 *
 * @since 0.1.0
 * @category utils
 */
export * as Cost from "./Cost.js"
/**
 * Token usage.
 *
 * @since 0.1.0
 * @category models
 */
export * as Usage from "./Usage.js"
