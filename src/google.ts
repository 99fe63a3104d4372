/**
 * effect-llm-direct/google: the Google Gemini provider, an entry point of its own so that only
 * programs that use Gemini need its SDK, `@google/genai` (an optional peer dependency).
 *
 * @example
 * import { Google } from "effect-llm-direct/google"
 * program.pipe(Effect.provide(Google.model("gemini-2.5-flash")))   // reads GEMINI_API_KEY
 *
 * @since 0.1.0
 */

/** The Google Gemini provider: client Layers, the generateContent model and batch mode. */
export * as Google from "./providers/google/index.js"
