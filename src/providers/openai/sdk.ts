/**
 * The openai SDK, imported when the first OpenAI or Azure client or webhook verifier is built rather than with effect-llm-direct (internal/http/lazyModule.ts).
 * @internal
 * @since 0.1.0
 */
import { lazyModule } from "../../internal/http/lazyModule.js"

/**
 * The `openai` package's module.
 *
 * @since 0.1.0
 * @category models
 */
export type OpenAiSdk = typeof import("openai")

/**
 * The openai SDK, imported on first use.
 *
 * @since 0.1.0
 * @category constants
 */
export const openAiSdk = lazyModule<OpenAiSdk>(() => import("openai"))
