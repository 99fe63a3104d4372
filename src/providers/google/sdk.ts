/**
 * The `@google/genai` package, imported when the first Gemini client is built rather than with
 * effect-llm-direct (internal/http/lazyModule.ts).
 * @internal
 * @since 0.1.0
 */
import { lazyModule } from "../../internal/http/lazyModule.js"

/**
 * The `@google/genai` package's module.
 *
 * @since 0.2.0
 * @category models
 */
export type GoogleSdk = typeof import("@google/genai")

/**
 * The Gemini SDK, imported on first use.
 *
 * @since 0.2.0
 * @category constants
 */
export const googleSdk = lazyModule<GoogleSdk>(() => import("@google/genai"))
