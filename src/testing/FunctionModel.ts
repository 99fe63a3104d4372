/**
 * `FunctionModel`: your function decides the response (and, optionally, the streamed events).
 * For tests that need a particular answer, an error, or a sequence of answers.
 *
 * @example
 * FunctionModel.layer((messages) => "The capital of France is Paris.")
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import * as BatchModel from "../BatchModel.js"
import type { AiError } from "../AiError.js"
import { EventBuilder, responseToEvents } from "../internal/stream/eventBuilder.js"
import * as LanguageModel from "../LanguageModel.js"
import { type ModelMessage, ModelResponse, type ModelResponsePart, TextPart } from "../Message.js"
import { ModelRequestParameters, type ModelSettings } from "../Parameters.js"
import { type ModelResponseStreamEvent, ResponseMetadataEvent } from "../StreamEvent.js"
import { RequestUsage } from "../Usage.js"
import * as SimulatedBatch from "./SimulatedBatch.js"

/**
 * What the function learns about the call.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallInfo {
  readonly parameters: ModelRequestParameters
  readonly settings: ModelSettings
  readonly modelName: string
}

/**
 * What the function may return: a whole response, its parts, or just text.
 *
 * @since 0.1.0
 * @category models
 */
export type Answer = ModelResponse | ReadonlyArray<ModelResponsePart> | string

/**
 * The function deciding a response; it may return an Effect to fail with an AiError.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestFunction = (messages: ReadonlyArray<ModelMessage>, info: CallInfo) => Answer | Effect.Effect<Answer, AiError>

/**
 * The function deciding a stream: text chunks or events.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamFunction = (
  messages: ReadonlyArray<ModelMessage>,
  info: CallInfo
) => Stream.Stream<string | ModelResponseStreamEvent, AiError> | AsyncIterable<string>

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Decides streamed requests; without it streams emit the request function's response. */
  readonly stream?: StreamFunction | undefined
  /** The model name reported (default "function"). */
  readonly modelName?: string | undefined
  /** The lifecycle of simulated batches (default: complete at create). */
  readonly batch?: SimulatedBatch.Lifecycle | undefined
}

const toResponse = (answer: Answer, modelName: string): ModelResponse =>
  answer instanceof ModelResponse
    ? answer
    : new ModelResponse({
        parts: typeof answer === "string" ? [new TextPart({ content: answer })] : answer,
        usage: RequestUsage.empty,
        modelName,
        providerName: "function",
        finishReason: typeof answer !== "string" && answer.some((p) => p._tag === "ToolCallPart") ? "tool_call" : "stop"
      })

/**
 * A FunctionModel `LanguageModel` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fn: RequestFunction, options?: Options): LanguageModel.Service => {
  const modelName = options?.modelName ?? "function"
  const run = (messages: ReadonlyArray<ModelMessage>, info: CallInfo) =>
    Effect.suspend(() => {
      const out = fn(messages, info)
      return Effect.map(Effect.isEffect(out) ? out : Effect.succeed(out), (a) => toResponse(a, modelName))
    })
  return LanguageModel.make({
    provider: "function",
    modelName,
    supportedSettings: ["maxTokens", "temperature", "topP", "seed", "stopSequences", "parallelToolCalls", "presencePenalty", "frequencyPenalty", "timeout", "toolChoice", "extraHeaders", "extraBody"],
    request: (messages, context) => run(messages, { ...context, modelName }),
    openStream: (messages, context) => {
      const info = { ...context, modelName }
      const streamFn = options?.stream
      if (streamFn === undefined) return Effect.map(run(messages, info), (r) => Stream.fromIterable(responseToEvents(r, context.parameters)))
      return Effect.sync(() => {
        const produced = streamFn(messages, info)
        const source: Stream.Stream<string | ModelResponseStreamEvent, AiError> = Stream.StreamTypeId in produced
          ? (produced as Stream.Stream<string | ModelResponseStreamEvent, AiError>)
          // a throwing user iterable is a bug in the test, not a provider failure: a defect
          : Stream.orDie(Stream.fromAsyncIterable(produced as AsyncIterable<string>, (e) => e))
        // text chunks become text-part events; a stream without a metadata event gets one
        return Stream.suspend(() => {
          const builder = new EventBuilder(context.parameters)
          let sawMetadata = false
          return source.pipe(
            Stream.mapConcat((item) => {
              if (typeof item === "string") return builder.text("text", item)
              if (item._tag === "ResponseMetadataEvent") sawMetadata = true
              return [item]
            }),
            Stream.concat(Stream.suspend(() => Stream.fromIterable(
              sawMetadata ? [] : builder.finish(new ResponseMetadataEvent({ modelName, providerName: "function", usage: RequestUsage.empty, finishReason: "stop" }))
            )))
          )
        })
      })
    }
  }, { retry: false })
}

/**
 * A simulated `BatchModel` whose results are the function's answers (a failing answer becomes an
 * error result coded with the error's tag), on the Effect clock.
 *
 * @since 0.1.0
 * @category layers
 */
export const batchLayer = (fn: RequestFunction, options?: Options): Layer.Layer<BatchModel.BatchModel> => {
  const modelName = options?.modelName ?? "function"
  return Layer.effect(
    BatchModel.BatchModel,
    Effect.map(
      SimulatedBatch.make({
        provider: "function",
        modelName,
        answer: (request) => {
          const parameters = ModelRequestParameters.from(request.parameters)
          const out = fn(request.messages, { parameters, settings: request.settings ?? {}, modelName })
          return Effect.map(Effect.isEffect(out) ? out : Effect.succeed(out), (a) => toResponse(a, modelName))
        },
        lifecycle: options?.batch ?? { statusCalls: 0 }
      }),
      (simulation) => simulation.service
    )
  )
}

/**
 * A Layer providing {@link make}'s `LanguageModel` and a simulated `BatchModel` ({@link batchLayer}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (fn: RequestFunction, options?: Options): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel> =>
  Layer.merge(Layer.sync(LanguageModel.LanguageModel, () => make(fn, options)), batchLayer(fn, options))
