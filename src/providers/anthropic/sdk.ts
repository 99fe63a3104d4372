/**
 * The @anthropic-ai/sdk package, imported when the first Anthropic client is built
 * rather than with effect-llm-direct (internal/http/lazyModule.ts).
 * @internal
 * @since 0.1.0
 */
import { lazyModule } from "../../internal/http/lazyModule.js"

/**
 * The `@anthropic-ai/sdk` package's module.
 *
 * @since 0.1.0
 * @category models
 */
export type AnthropicSdk = typeof import("@anthropic-ai/sdk")

/**
 * The Anthropic SDK, imported on first use.
 *
 * @since 0.1.0
 * @category constants
 */
export const anthropicSdk = lazyModule<AnthropicSdk>(() => import("@anthropic-ai/sdk"))
