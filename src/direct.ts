/**
 * The Promise facade, after pydantic-ai's `direct` module: `modelRequest`, `modelRequestStream`
 * (and the batch functions) for code that does not use Effect. The model is a model string
 * (`"openai:gpt-4o-mini"`, configured from the environment) or a Layer. Rejections are the
 * library's own error classes (`instanceof` works); an aborted `signal` rejects with its reason.
 *
 * @example
 * import { modelRequest, ModelRequest } from "effect-llm-direct/direct"
 * const response = await modelRequest("anthropic:claude-haiku-4-5", [ModelRequest.userTextPrompt("What is the capital of France?")])
 * console.log(response.text)
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Option, Scope, Stream } from "effect"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelMessage, ModelResponse } from "./Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "./Parameters.js"
import { Accumulator, type ModelResponseStreamEvent } from "./StreamEvent.js"
import type { RequestUsage } from "./Usage.js"
import { forString, type ModelInput, runPromise, runtimeFor } from "./internal/runtimes.js"

export * from "./AiError.js"
export * from "./Message.js"
export { ModelRequestParameters, ModelSettings, type ModelRequestParametersInput, type ToolChoice } from "./Parameters.js"
export * from "./StreamEvent.js"
export { fromJsonSchema as toolFromJsonSchema, make as tool, ToolDefinition } from "./Tool.js"
export { RequestUsage } from "./Usage.js"
export { disposeAll } from "./internal/runtimes.js"
export type { ModelInput } from "./internal/runtimes.js"

/** Options of {@link modelRequest} and {@link modelRequestStream}. */
export interface RequestOptions {
  /** Sampling, limits, headers (`timeout` in seconds). */
  readonly modelSettings?: ModelSettings | undefined
  /** Tools and output offered to the model. */
  readonly modelRequestParameters?: ModelRequestParametersInput | undefined
  /** Aborts the request; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** `false` turns this call's span off. */
  readonly instrument?: boolean | undefined
}

const languageRuntime = (model: ModelInput) => runtimeFor(model, (s) => forString(s))

const callOptions = (options: RequestOptions | undefined): LanguageModel.RequestOptions => ({
  parameters: options?.modelRequestParameters,
  settings: options?.modelSettings,
  instrument: options?.instrument
})

/**
 * Makes a non-streamed request to a model.
 *
 * @example
 * const response = await modelRequest("openai:gpt-4o-mini", [ModelRequest.userTextPrompt("Hi")])
 */
export const modelRequest = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): Promise<ModelResponse> =>
  runPromise(languageRuntime(model), LanguageModel.request(messages, callOptions(options)), options?.signal)

/**
 * A streamed response: an async iterable of events that starts the request on the first
 * `next()` and aborts it when iteration stops early (`break`). `response`, `usage`, `modelName`
 * and `timestamp` describe the response so far. The final metadata event is folded into
 * `response` and `usage` rather than yielded, as in pydantic-ai's event list.
 */
export class StreamedResponse implements AsyncIterableIterator<ModelResponseStreamEvent> {
  readonly #accumulator: Accumulator
  readonly #open: () => Promise<{ scope: Scope.CloseableScope; pull: Effect.Effect<ReadonlyArray<ModelResponseStreamEvent>, Option.Option<unknown>> }>
  readonly #run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly #signal: AbortSignal | undefined
  #state: { scope: Scope.CloseableScope; pull: Effect.Effect<ReadonlyArray<ModelResponseStreamEvent>, Option.Option<unknown>> } | undefined
  #buffer: Array<ModelResponseStreamEvent> = []
  #done = false

  /** @internal */
  constructor(
    run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>,
    open: () => Promise<{ scope: Scope.CloseableScope; pull: Effect.Effect<ReadonlyArray<ModelResponseStreamEvent>, Option.Option<unknown>> }>,
    defaults: { readonly modelName: string; readonly providerName: string },
    signal: AbortSignal | undefined
  ) {
    this.#run = run
    this.#open = open
    this.#signal = signal
    this.#accumulator = new Accumulator(defaults)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next event; the first call starts the request. */
  async next(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    for (;;) {
      const buffered = this.#buffer.shift()
      if (buffered !== undefined) return { done: false, value: buffered }
      if (this.#done) return { done: true, value: undefined }
      if (this.#signal?.aborted) {
        await this.return()
        throw this.#signal.reason
      }
      if (this.#state === undefined) this.#state = await this.#open()
      let chunk: ReadonlyArray<ModelResponseStreamEvent>
      try {
        chunk = await this.#run(this.#state.pull)
      } catch (error) {
        await this.return()
        if (Option.isOption(error)) {
          if (Option.isNone(error)) return { done: true, value: undefined }
          throw error.value
        }
        throw error
      }
      for (const event of chunk) {
        this.#accumulator.add(event)
        if (event._tag !== "ResponseMetadataEvent") this.#buffer.push(event)
      }
    }
  }

  /** Stops the stream early: aborts the HTTP response. */
  async return(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    this.#done = true
    this.#buffer = []
    const state = this.#state
    if (state !== undefined) await this.#run(Scope.close(state.scope, Exit.void))
    return { done: true, value: undefined }
  }

  /** The response so far (complete once iteration has finished). */
  get response(): ModelResponse {
    return this.#accumulator.response
  }
  /** The usage so far (providers report it at the end). */
  get usage(): RequestUsage {
    return this.#accumulator.usage
  }
  /** The model name the provider reported, else the requested one. */
  get modelName(): string {
    return this.#accumulator.modelName
  }
  /** When the first event arrived. */
  get timestamp(): Date {
    return this.#accumulator.timestamp
  }
}

/**
 * Makes a streamed request to a model. Returns at once; the request starts on the first
 * `next()`, and `break` aborts it.
 *
 * @example
 * const stream = modelRequestStream("openai:gpt-4.1-mini", [ModelRequest.userTextPrompt("Who was Albert Einstein?")])
 * for await (const event of stream) console.log(event)
 * console.log(stream.response.text, stream.usage)
 */
export const modelRequestStream = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): StreamedResponse => {
  const runtime = languageRuntime(model)
  const signal = options?.signal
  const run = <A, E>(effect: Effect.Effect<A, E, LanguageModel.LanguageModel>) => runPromise(runtime, effect, signal)
  const open = () =>
    run(Effect.gen(function* () {
      const scope = yield* Scope.make()
      const pull = yield* Scope.extend(
        Stream.toPull(LanguageModel.requestStream(messages, callOptions(options))),
        scope
      )
      const context = yield* Effect.context<LanguageModel.LanguageModel>()
      return { scope, pull: Effect.provide(Effect.map(pull, (chunk) => Array.from(chunk)), context) }
    }))
  const defaults = { modelName: typeof model === "string" ? model.slice(model.indexOf(":") + 1) : "", providerName: typeof model === "string" ? model.split(":")[0] ?? "" : "" }
  // pulls fail with Option<E>: none is the end of the stream, some is an error (unwrapped in next())
  const runPull = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromiseExit(effect, signal ? { signal } : undefined).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    if (signal?.aborted) throw signal.reason
    const failure = Cause.failureOption(exit.cause)
    throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
  })
  return new StreamedResponse(runPull, open, defaults, signal)
}
