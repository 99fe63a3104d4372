/**
 * Spans named by the OpenTelemetry GenAI semantic conventions. Spans are Effect spans: they go
 * wherever the program's Tracer sends them (for example @effect/opentelemetry's NodeSdk layer);
 * with no tracer they cost next to nothing. `instrument: false` on a call turns them off.
 *
 * @since 0.1.0
 */
import { Effect, Option, Stream } from "effect"
import type { ModelResponse } from "./Message.js"
import type { ModelSettings } from "./Parameters.js"

/** The attribute names used on spans. */
export const Attributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  requestTopP: "gen_ai.request.top_p",
  requestSeed: "gen_ai.request.seed",
  requestStopSequences: "gen_ai.request.stop_sequences",
  requestPresencePenalty: "gen_ai.request.presence_penalty",
  requestFrequencyPenalty: "gen_ai.request.frequency_penalty",
  responseId: "gen_ai.response.id",
  responseModel: "gen_ai.response.model",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  usageCacheReadTokens: "gen_ai.usage.cache_read.input_tokens",
  usageCacheWriteTokens: "gen_ai.usage.cache_creation.input_tokens",
  errorType: "error.type"
} as const

/** The request attributes of a `chat` span. */
export const requestAttributes = (provider: string, model: string, settings: ModelSettings): Record<string, unknown> => {
  const attrs: Record<string, unknown> = {
    [Attributes.operationName]: "chat",
    [Attributes.providerName]: provider,
    [Attributes.requestModel]: model
  }
  const put = (key: string, value: unknown) => {
    if (value !== undefined) attrs[key] = value
  }
  put(Attributes.requestMaxTokens, settings.maxTokens)
  put(Attributes.requestTemperature, settings.temperature)
  put(Attributes.requestTopP, settings.topP)
  put(Attributes.requestSeed, settings.seed)
  put(Attributes.requestStopSequences, settings.stopSequences)
  put(Attributes.requestPresencePenalty, settings.presencePenalty)
  put(Attributes.requestFrequencyPenalty, settings.frequencyPenalty)
  return attrs
}

/** The response attributes of a `chat` span. */
export const responseAttributes = (response: ModelResponse): Record<string, unknown> => ({
  ...(response.providerResponseId !== undefined ? { [Attributes.responseId]: response.providerResponseId } : {}),
  [Attributes.responseModel]: response.modelName,
  ...(response.finishReason !== undefined ? { [Attributes.responseFinishReasons]: [response.finishReason] } : {}),
  [Attributes.usageInputTokens]: response.usage.inputTokens,
  [Attributes.usageOutputTokens]: response.usage.outputTokens,
  [Attributes.usageCacheReadTokens]: response.usage.cacheReadTokens,
  [Attributes.usageCacheWriteTokens]: response.usage.cacheWriteTokens
})

/** Records the response on the current span, if any. */
export const annotateResponse = (response: ModelResponse): Effect.Effect<void> =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, {
      onNone: () => Effect.void,
      onSome: (s) => Effect.sync(() => {
        for (const [k, v] of Object.entries(responseAttributes(response))) s.attribute(k, v)
      })
    }))

/** Records the failure's tag as `error.type` on the current span, if any. */
export const annotateError = (error: { readonly _tag: string }): Effect.Effect<void> =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, { onNone: () => Effect.void, onSome: (s) => Effect.sync(() => s.attribute(Attributes.errorType, error._tag)) }))

/** Wraps a request in a `chat {model}` client span (unless `instrument` is false). */
export const chatSpan = <A extends ModelResponse, E extends { readonly _tag: string }, R>(
  self: Effect.Effect<A, E, R>,
  info: { readonly provider: string; readonly model: string; readonly settings: ModelSettings; readonly instrument?: boolean | undefined }
): Effect.Effect<A, E, R> =>
  info.instrument === false
    ? self
    : self.pipe(
        Effect.tap(annotateResponse),
        Effect.tapError(annotateError),
        Effect.withSpan(`chat ${info.model}`, { kind: "client", attributes: requestAttributes(info.provider, info.model, info.settings) })
      )

/** Wraps a stream in a `chat {model}` client span (unless `instrument` is false). */
export const chatStreamSpan = <A, E, R>(
  self: Stream.Stream<A, E, R>,
  info: { readonly provider: string; readonly model: string; readonly settings: ModelSettings; readonly instrument?: boolean | undefined }
): Stream.Stream<A, E, R> =>
  info.instrument === false
    ? self
    : Stream.withSpan(self, `chat ${info.model}`, { kind: "client", attributes: { ...requestAttributes(info.provider, info.model, info.settings), "gen_ai.request.stream": true } })
