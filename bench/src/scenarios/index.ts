/**
 * Every interleaved-rounds scenario, in table order. A new scenario is a module exporting a
 * `Scenario` (see types.ts), listed here. Peers (Vercel AI SDK, @effect/ai-openai) are further
 * contenders of the same scenarios. Scenarios measured once per child process (peak memory:
 * reading 10,000 / 50,000 batch results) go through lib/child.ts instead.
 */
import { anthropicRequest } from "./anthropic-request.js"
import { anthropicStream } from "./anthropic-stream.js"
import { geminiRequest } from "./gemini-request.js"
import { openAiRequest } from "./openai-request.js"
import { openAiResponsesRequest } from "./openai-responses-request.js"
import { openAiResponsesStream } from "./openai-responses-stream.js"
import { openAiStream } from "./openai-stream.js"
import type { Scenario } from "./types.js"

export const scenarios: ReadonlyArray<Scenario> = [openAiRequest, openAiStream, anthropicRequest, anthropicStream, openAiResponsesRequest, openAiResponsesStream, geminiRequest]
