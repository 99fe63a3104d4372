/**
 * OpenAI's Responses API on the emulator, at its earlier module path (the route now lives in
 * openai/responses.ts).
 *
 * @since 0.1.0
 */

/**
 * The Responses API route's default behaviour, its answer to a body, and its 400 checks.
 *
 * @since 0.1.0
 * @category utils
 */
export { answerResponse, responses, responsesInput, responsesRoute, validateResponses } from "./openai/responses.js"
