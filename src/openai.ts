/**
 * effect-llm-direct/openai: the OpenAI provider as an entry point of its own. A program that
 * imports its provider from here loads that provider's code and SDK (`openai`) only; the main
 * entry, `effect-llm-direct`, exports the same `OpenAi` namespace and loads no SDK until a client
 * is built.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { OpenAi } from "effect-llm-direct/openai"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))   // reads OPENAI_API_KEY
 *
 * @since 0.2.0
 */

/**
 * The OpenAI provider: client Layers, the Chat Completions and Responses models, the batch
 * model, webhooks and the `Batch` job programs.
 *
 * @since 0.1.0
 * @category models
 */
export * as OpenAi from "./OpenAiProvider.js"
