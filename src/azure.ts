/**
 * effect-llm-direct/azure: Azure OpenAI as an entry point of its own. A program that imports its
 * provider from here loads that provider's code and SDK (`openai`, whose `AzureOpenAI` client it
 * uses) only; the main entry, `effect-llm-direct`, exports the same `AzureOpenAi` namespace and
 * loads no SDK until a client is built.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { AzureOpenAi } from "effect-llm-direct/azure"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(AzureOpenAi.model("my-gpt-4o-mini")))   // AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY
 *
 * @since 0.2.0
 */

/**
 * Azure OpenAI: the OpenAI models (Chat Completions, Responses, batches) over the SDK's
 * `AzureOpenAI` client (deployments, api-version, api-key or Entra tokens).
 *
 * @since 0.1.0
 * @category models
 */
export * as AzureOpenAi from "./providers/azure/index.js"
