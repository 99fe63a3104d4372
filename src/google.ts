/**
 * effect-llm-direct/google: the Google Gemini provider as an entry point of its own. A program
 * that imports its provider from here loads that provider's code and SDK (`@google/genai`, an
 * optional peer dependency) only. The main entry does not export `Google`: Gemini needs a
 * package that not every program installs.
 *
 * @example
 * import { LanguageModel, Message } from "effect-llm-direct"
 * import { Google } from "effect-llm-direct/google"
 * const program = LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")])
 * program.pipe(Effect.provide(Google.model("gemini-2.5-flash")))   // reads GEMINI_API_KEY
 *
 * @since 0.1.0
 */

/**
 * The Google Gemini provider: client Layers, the generateContent model and batch mode.
 *
 * @since 0.1.0
 * @category models
 */
export * as Google from "./providers/google/index.js"
