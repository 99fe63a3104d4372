/**
 * The @anthropic-ai/sdk package, imported when the first Anthropic client is built
 * rather than with effect-llm-direct (internal/lazyModule.ts).
 * @internal
 */
import { lazyModule } from "../../internal/lazyModule.js"

/** The `@anthropic-ai/sdk` package's module. */
export type AnthropicSdk = typeof import("@anthropic-ai/sdk")

/** The Anthropic SDK, imported on first use. */
export const anthropicSdk = lazyModule<AnthropicSdk>(() => import("@anthropic-ai/sdk"))
