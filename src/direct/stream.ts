/**
 * `modelRequestStream`: a streamed request as an async iterable of events, over the
 * `LanguageModel` service's streamed request.
 *
 * @since 0.2.0
 */
import { Cause, Effect, Exit, Option } from "effect"
import { streamOpenerOf } from "../internal/stream/streamOpener.js"
import { openProducer, type StreamProducer } from "../internal/stream/streamProducer.js"
import * as LanguageModel from "../LanguageModel.js"
import type { ModelMessage, ModelResponse } from "../Message.js"
import * as ModelString from "../ModelString.js"
import { Accumulator, type ModelResponseStreamEvent } from "../StreamEvent.js"
import type { RequestUsage } from "../Usage.js"
import { callOptions, type RequestOptions } from "./request.js"
import { type ModelInput, runtimeFor } from "./runtimes.js"

/**
 * A streamed response: an async iterable of events that starts the request on the first
 * `next()` and aborts it when iteration stops early (`break`). `response`, `usage`, `modelName`
 * and `timestamp` describe the response so far. The final metadata event is folded into
 * `response` and `usage` rather than yielded, as in pydantic-ai's event list.
 *
 * @since 0.1.0
 * @category models
 */
export class StreamedResponse implements AsyncIterableIterator<ModelResponseStreamEvent> {
  readonly #accumulator: Accumulator
  readonly #start: () => StreamProducer
  readonly #signal: AbortSignal | undefined
  #producer: StreamProducer | undefined
  #buffer: Array<ModelResponseStreamEvent> = []
  #next = 0
  #done = false

  /** @internal */
  constructor(
    start: () => StreamProducer,
    defaults: { readonly modelName: string; readonly providerName: string },
    signal: AbortSignal | undefined
  ) {
    this.#start = start
    this.#signal = signal
    this.#accumulator = new Accumulator(defaults)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next event; the first call starts the request. */
  async next(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    for (;;) {
      if (this.#next < this.#buffer.length) return { done: false, value: this.#buffer[this.#next++]! }
      if (this.#done) return { done: true, value: undefined }
      if (this.#signal?.aborted) {
        await this.return()
        throw this.#signal.reason
      }
      if (this.#producer === undefined) {
        this.#producer = this.#start()
        this.#signal?.addEventListener("abort", () => void this.#producer?.stop(), { once: true })
      }
      const events = this.#producer.take()
      if (events !== undefined) {
        this.#buffer = []
        this.#next = 0
        for (const event of events) {
          this.#accumulator.add(event)
          if (event._tag !== "ResponseMetadataEvent") this.#buffer.push(event)
        }
        continue
      }
      const exit = this.#producer.exit()
      if (exit !== undefined) {
        this.#done = true
        if (Exit.isSuccess(exit)) return { done: true, value: undefined }
        if (this.#signal?.aborted) throw this.#signal.reason
        const failure = Cause.failureOption(exit.cause)
        throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
      }
      await this.#producer.wait()
    }
  }

  /** Stops the stream early: aborts the HTTP response. */
  async return(): Promise<IteratorResult<ModelResponseStreamEvent, undefined>> {
    this.#done = true
    this.#buffer = []
    this.#next = 0
    const producer = this.#producer
    if (producer !== undefined && producer.exit() === undefined) await producer.stop()
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

const unnamed = { modelName: "", providerName: "" }

/** The names a response reports until the provider says otherwise: the model string's. */
const requestedNames = (model: ModelInput): { readonly modelName: string; readonly providerName: string } =>
  typeof model !== "string"
    ? unnamed
    : Option.match(Effect.runSync(Effect.option(ModelString.parse(model))), {
      onNone: () => unnamed,
      onSome: (spec) => ({ modelName: spec.model, providerName: spec.provider })
    })

/**
 * Makes a streamed request to a model. Returns at once; the request starts on the first
 * `next()`, and `break` aborts it.
 *
 * @example
 * import { modelRequestStream, ModelRequest } from "effect-llm-direct/direct"
 *
 * const stream = modelRequestStream("openai:gpt-4.1-mini", [ModelRequest.userTextPrompt("Who was Albert Einstein?")])
 * for await (const event of stream) console.log(event)
 * console.log(stream.response.text, stream.usage)
 *
 * @since 0.1.0
 * @category streams
 */
export const modelRequestStream = (model: ModelInput, messages: ReadonlyArray<ModelMessage>, options?: RequestOptions): StreamedResponse => {
  const call = callOptions(options)
  const open = Effect.flatMap(LanguageModel.LanguageModel, (service) => {
    // services built by LanguageModel.make open the request for direct reading; others stream
    const opener = streamOpenerOf<LanguageModel.RequestOptions>(service)
    return opener === undefined ? Effect.succeed(service.requestStream(messages, call)) : opener(messages, call)
  })
  return new StreamedResponse(() => openProducer(runtimeFor(model), open), requestedNames(model), options?.signal)
}
