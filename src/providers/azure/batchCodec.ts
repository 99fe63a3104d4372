/**
 * Azure OpenAI's batch wire formats: those of the OpenAI Batch API (lines, batch objects,
 * results, the status map), under Azure's endpoint names (`/chat/completions`, `/responses`).
 *
 * @since 0.2.0
 */
import { chatCompletionsApi, responsesApi, withEndpoint } from "../openai/batchCodec.js"

export * from "../openai/batchCodec.js"

/**
 * Azure's batch endpoint of Chat Completions.
 *
 * @since 0.1.0
 * @category codecs
 */
export const chatCompletionsBatchApi = withEndpoint(chatCompletionsApi, "/chat/completions")

/**
 * Azure's batch endpoint of Responses.
 *
 * @since 0.1.0
 * @category codecs
 */
export const responsesBatchApi = withEndpoint(responsesApi, "/responses")
