/**
 * Everything one emulator keeps: its context (URL, id counters) and each provider's files and
 * batches. `startEmulator` makes one per server and hands it to the routes, so nothing is shared
 * between two emulators in one process, and nothing outlives the emulator that made it.
 *
 * @since 0.2.0
 */
import { type AnthropicState, makeAnthropicState } from "./anthropic/state.js"
import { makeRouteContext, type ServerContext } from "./context.js"
import { type GoogleState, makeGoogleState } from "./google/state.js"
import { makeOpenAiState, type OpenAiState } from "./openai/state.js"

/**
 * One emulator's state.
 *
 * @since 0.2.0
 * @category models
 */
export interface EmulatorState {
  readonly context: ServerContext
  readonly openai: OpenAiState
  readonly anthropic: AnthropicState
  readonly google: GoogleState
}

/**
 * A fresh state: no files, no batches, every counter at 0.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeEmulatorState = (): EmulatorState => {
  const context = makeRouteContext()
  return { context, openai: makeOpenAiState(context), anthropic: makeAnthropicState(context), google: makeGoogleState(context) }
}
