/**
 * `modelRequest`: one non-streamed request as a Promise, over `LanguageModel.request`.
 *
 * @since 0.2.0
 */
import type * as LanguageModel from "../LanguageModel.js"
import { request } from "../LanguageModel.js"
import type { ModelMessage, ModelResponse } from "../Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "../Parameters.js"
import { type ModelInput, runPromise, runtimeFor } from "./runtimes.js"

/**
 * Options of {@link modelRequest} and `modelRequestStream`.
 *
 * @since 0.1.0
 * @category options
 */
export interface RequestOptions {
  /** Sampling, limits, headers; its `timeout` is in seconds. */
  readonly modelSettings?: ModelSettings | undefined
  /** Tools and output offered to the model. */
  readonly modelRequestParameters?: ModelRequestParametersInput | undefined
  /** Aborts the request; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's span off; `true` traces it with `Telemetry.configure`'s tracer even when that one does not trace every call. */
  readonly instrument?: boolean | undefined
}

/**
 * The `LanguageModel` options of facade request options.
 *
 * @since 0.2.0
 * @category options
 */
export const callOptions = (options: RequestOptions | undefined): LanguageModel.RequestOptions => ({
  parameters: options?.modelRequestParameters,
  settings: options?.modelSettings,
  instrument: options?.instrument
})

/**
 * Makes a non-streamed request to a model.
 *
 * @example
 * import { modelRequest, ModelRequest } from "effect-llm-direct/direct"
 *
 * const response = await modelRequest("openai:gpt-4o-mini", [ModelRequest.userTextPrompt("Hi")])
 * console.log(response.text)
 *
 * @since 0.1.0
 * @category programs
 */
export const modelRequest = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): Promise<ModelResponse> =>
  runPromise(runtimeFor(model), request(messages, callOptions(options)), options?.signal)
