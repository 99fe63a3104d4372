/**
 * effect-llm-direct/anthropic: the Anthropic provider as an entry point of its own. A program
 * that imports its provider from here loads that provider's code and SDK (`@anthropic-ai/sdk`)
 * only; the main entry, `effect-llm-direct`, exports the same `Anthropic` namespace and loads no
 * SDK until a client is built.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { Anthropic } from "effect-llm-direct/anthropic"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Anthropic.model("claude-haiku-4-5")))   // reads ANTHROPIC_API_KEY
 *
 * @since 0.2.0
 */

/**
 * The Anthropic provider: client Layers, the Messages API model and the Message Batches model.
 *
 * @since 0.1.0
 * @category models
 */
export * as Anthropic from "./providers/anthropic/index.js"
