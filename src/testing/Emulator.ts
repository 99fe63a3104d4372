/**
 * A loopback HTTP server that speaks the OpenAI, Anthropic and Gemini wire protocols (JSON, SSE, files,
 * batches), for tests that run the real SDKs with no network and no API key. Script responses
 * and faults per route; inspect what it received.
 *
 * @example
 * const emulator = await startEmulator()
 * emulator.script("POST /v1/chat/completions", { status: 429, headers: { "retry-after": "2" }, json: { error: { message: "slow down" } } })
 * emulator.openaiBatches.lifecycle = { statusCalls: 2, outcome: "expired" }   // batches advance per status call
 * // OpenAi.layer({ apiKey: Redacted.make("test"), baseURL: emulator.openaiBaseURL })
 * await emulator.close()
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { anthropicBatchControls, type AnthropicBatchEmulator, anthropicBatchHandlers, anthropicRoutes } from "./emulator/anthropic.js"
import { googleBatchControls, type GoogleBatchEmulator, googleRoutes } from "./emulator/google.js"
import {
  openAiBatchControls,
  type OpenAiBatchEmulator,
  openAiBatchHandlers,
  openAiResponsesRoutes,
  openAiRoutes,
  type OpenAiWebhookTarget
} from "./emulator/openai.js"
import { type ServerControls, startServer } from "./emulator/Server.js"
import { makeEmulatorState } from "./emulator/state.js"

/**
 * What a route receives and answers: requests, scripted responses, faults, handlers.
 *
 * @since 0.1.0
 * @category testing
 */
export type { Fault, Handler, RecordedRequest, RouteKey, Script, Scripted } from "./emulator/route.js"
/**
 * Anthropic message batch controls and lifecycles.
 *
 * @since 0.1.0
 * @category testing
 */
export {
  type AnthropicBatchEmulator,
  type AnthropicBatchLifecycle,
  batchLifecycleHeader as anthropicBatchLifecycleHeader,
  type EmulatedAnthropicBatch
} from "./emulator/anthropic.js"
/**
 * Gemini batch controls, lifecycles, errors and route keys.
 *
 * @since 0.1.0
 * @category testing
 */
export {
  type EmulatedGoogleBatch,
  googleBatchLifecycleHeader,
  type GoogleBatchEmulator,
  type GoogleBatchLifecycle,
  googleError,
  googleRouteKeys
} from "./emulator/google.js"
/**
 * OpenAI batch controls and lifecycles.
 *
 * @since 0.1.0
 * @category testing
 */
export { type EmulatedBatch as EmulatedOpenAiBatch, type OpenAiBatchEmulator, type OpenAiBatchLifecycle, openAiBatchLifecycleHeader } from "./emulator/openai.js"
/**
 * OpenAI batch webhooks.
 *
 * @since 0.1.0
 * @category testing
 */
export { type OpenAiWebhookTarget, signOpenAiWebhook, type WebhookDelivery } from "./emulator/openai.js"

/**
 * A running emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Emulator extends ServerControls {
  /** The base URL for the OpenAI SDK (`url` + "/v1"). */
  readonly openaiBaseURL: string
  /** The base URL for the Anthropic SDK (`url`). */
  readonly anthropicBaseURL: string
  /**
   * The endpoint for Azure OpenAI clients (`url`): the emulator answers Azure's paths
   * (`/openai/deployments/{deployment}/...?api-version=`, `/openai/v1/...`) and `api-key` header
   * with its OpenAI routes.
   */
  readonly azureEndpoint: string
  /** OpenAI batch controls: the lifecycle of new batches, and the batches so far. */
  readonly openaiBatches: OpenAiBatchEmulator
  /** Anthropic message batch controls: the lifecycle of new batches, and the batches so far. */
  readonly anthropicBatches: AnthropicBatchEmulator
  /** The base URL for the Gemini SDK (`url`; the SDK adds `/v1beta`). */
  readonly googleBaseURL: string
  /** Gemini batch controls: the lifecycle of new batches, the batches and files so far. */
  readonly googleBatches: GoogleBatchEmulator
}

/**
 * Options of {@link startEmulator}.
 *
 * @since 0.1.0
 * @category options
 */
export interface EmulatorOptions {
  /** The port (default: any free one). */
  readonly port?: number | undefined
  /** The host (default 127.0.0.1). */
  readonly host?: string | undefined
  /** Post signed OpenAI batch events here when a batch ends (settable later as `openaiBatches.webhook`). */
  readonly openaiWebhook?: OpenAiWebhookTarget | undefined
}

/**
 * Starts an emulator on a loopback port. Close it with `close()`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startEmulator = async (options?: EmulatorOptions): Promise<Emulator> => {
  // everything this emulator keeps is its own: two emulators never share files, batches or ids
  const state = makeEmulatorState()
  const openaiHandlers = openAiBatchHandlers(state.openai)
  const anthropicHandlers = anthropicBatchHandlers(state.anthropic)
  const routes = [...openAiRoutes(openaiHandlers), ...anthropicRoutes(anthropicHandlers), ...openAiResponsesRoutes, ...googleRoutes(state.google)]
  const server = await startServer(state.context, routes, options)
  const openaiBatches = openAiBatchControls(state.openai, openaiHandlers)
  if (options?.openaiWebhook !== undefined) openaiBatches.webhook = options.openaiWebhook
  return {
    ...server,
    openaiBaseURL: `${server.url}/v1`,
    anthropicBaseURL: server.url,
    azureEndpoint: server.url,
    openaiBatches,
    anthropicBatches: anthropicBatchControls(state.anthropic, anthropicHandlers),
    googleBaseURL: server.url,
    googleBatches: googleBatchControls(state.google)
  }
}

/**
 * The emulator as a service, for {@link layer}.
 *
 * @since 0.1.0
 * @category context
 */
export class EmulatorServer extends Context.Tag("effect-llm-direct/testing/EmulatorServer")<EmulatorServer, Emulator>() {}

/**
 * A scoped Layer: the emulator starts with the layer and closes with its scope.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: EmulatorOptions): Layer.Layer<EmulatorServer> =>
  Layer.scoped(
    EmulatorServer,
    Effect.acquireRelease(
      Effect.promise(() => startEmulator(options)),
      (emulator) => Effect.promise(() => emulator.close())
    )
  )
