/**
 * effect-llm-direct: direct LLM requests, streams and provider batch APIs as typed,
 * cancellable Effect programs. Each module is exported as a namespace.
 *
 * @since 0.1.0
 */

/** The Anthropic provider: client Layers and the Messages API model (also `effect-llm-direct/anthropic`). */
export { Anthropic } from "./anthropic.js"
/** Azure OpenAI: the OpenAI models over the SDK's AzureOpenAI client (also `effect-llm-direct/azure`). */
export { AzureOpenAi } from "./azure.js"
/** Typed errors of requests, streams and batches. */
export * as AiError from "./AiError.js"
/** Batches: types and the run / watch / create / status / results / cancel / list programs. */
export * as Batch from "./Batch.js"
/** Batch data: BatchRequest, Batch, BatchStatus, BatchResult, ResultError (Schema classes). */
export * as BatchData from "./BatchData.js"
/** Webhook completion of batch runs: BatchEvent and `webhook`. */
export * as BatchCompletion from "./BatchCompletion.js"
/** The `BatchModel` capability service that providers implement. */
export * as BatchModel from "./BatchModel.js"
/** The `LanguageModel` service: request and requestStream. */
export * as LanguageModel from "./LanguageModel.js"
/** Messages: ModelRequest, ModelResponse and their parts. */
export * as Message from "./Message.js"
/** Model strings ("openai:gpt-4o-mini") resolved to provider Layers. */
export * as ModelString from "./ModelString.js"
/** The OpenAI provider: client Layers, the Chat Completions and Responses models (also `effect-llm-direct/openai`). */
export { OpenAi } from "./openai.js"
/** Structured output: native, tool and prompted modes from an Effect Schema; decoding and partial output. */
export * as Output from "./Output.js"
/** Request parameters and settings. */
export * as Parameters from "./Parameters.js"
/** The retry policies. */
export * as Retry from "./Retry.js"
/** Stream events and accumulate. */
export * as StreamEvent from "./StreamEvent.js"
/** OpenTelemetry GenAI spans. */
export * as Telemetry from "./Telemetry.js"
/** Tool definitions. */
export * as Tool from "./Tool.js"
/** What a batch cost: your prices or @pydantic/genai-prices, batch multiplier applied. */
export * as Cost from "./Cost.js"
/** Token usage. */
export * as Usage from "./Usage.js"
