/**
 * OpenAI's Responses API on the emulator, at its earlier module path (the route now lives in
 * openai/responses.ts).
 *
 * @since 0.1.0
 */
export { answerResponse, responses, responsesInput, responsesRoute, validateResponses } from "./openai/responses.js"
