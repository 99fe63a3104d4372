/**
 * The `OpenAi` namespace of `effect-llm-direct` and `effect-llm-direct/openai`: the OpenAI
 * provider (client, models, codecs, webhooks) and `Batch`, its batch-job programs. The
 * provider itself imports no program; `Batch` runs on the library's batch programs, so the
 * namespace is put together here, outside the provider.
 *
 * @since 0.2.0
 */

/**
 * Everything of the OpenAI provider folder: client Layers, models, codecs and webhooks.
 *
 * @since 0.2.0
 * @category models
 */
export * from "./providers/openai/index.js"

/**
 * An OpenAI batch-job API: createChatRequest, batchCreateJob, batchGetStatus, batchRetrieveJob,
 * batchCancelJob, batchListJobs.
 *
 * @since 0.1.0
 * @category programs
 */
export * as Batch from "./OpenAiBatch.js"
