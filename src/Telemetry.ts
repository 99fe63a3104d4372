/**
 * OpenTelemetry spans named and attributed by the GenAI semantic conventions: one client span
 * `chat {model}` per request and per stream, covering every retry. Spans are Effect spans, so
 * they go wherever the program's `Tracer` sends them (for example @effect/opentelemetry's
 * `NodeSdk.layer`). With Effect's built-in tracer (no tracer provided) calls make no span at
 * all; `instrument: false` on a call turns its span off; {@link configure} installs a tracer for
 * calls that run without one (the Promise facade). Message contents are recorded only when
 * asked ({@link captureContent}).
 *
 * @example
 * import { NodeSdk } from "@effect/opentelemetry"
 * import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
 * const Tracing = NodeSdk.layer(() => ({
 *   resource: { serviceName: "my-app" },
 *   spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter())
 * }))
 * program.pipe(Effect.provide(Tracing))   // every request and stream of `program` is traced
 *
 * @since 0.1.0
 */
import { type Cause, Effect, FiberRef, Layer, ManagedRuntime, type Scope, Stream, type Tracer } from "effect"
import type { ModelMessage, ModelResponse, ModelResponsePart } from "./Message.js"
import type { ModelRequestParametersInput, ModelSettings } from "./Parameters.js"
import type { ModelResponseStreamEvent } from "./StreamEvent.js"
import { inputContent, outputContent } from "./internal/telemetry/content.js"

// ---------------------------------------------------------------------------------------------
// attribute names
// ---------------------------------------------------------------------------------------------

/**
 * The attribute names used on `chat` spans: the GenAI semantic conventions (v1.41), plus
 * `retry.count` and the `retry` event, which are the library's own (the conventions have none).
 *
 * @since 0.1.0
 * @category constants
 */
export const Attributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestStream: "gen_ai.request.stream",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  requestTopP: "gen_ai.request.top_p",
  requestSeed: "gen_ai.request.seed",
  requestStopSequences: "gen_ai.request.stop_sequences",
  requestPresencePenalty: "gen_ai.request.presence_penalty",
  requestFrequencyPenalty: "gen_ai.request.frequency_penalty",
  outputType: "gen_ai.output.type",
  responseId: "gen_ai.response.id",
  responseModel: "gen_ai.response.model",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  responseTimeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  // the released conventions (v1.41, @opentelemetry/semantic-conventions 1.45) spell it
  // cache_creation; drafts after them rename it cache_write
  usageCacheReadTokens: "gen_ai.usage.cache_read.input_tokens",
  usageCacheWriteTokens: "gen_ai.usage.cache_creation.input_tokens",
  usageReasoningTokens: "gen_ai.usage.reasoning.output_tokens",
  systemInstructions: "gen_ai.system_instructions",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  errorType: "error.type",
  retryCount: "retry.count",
  retryAttempt: "retry.attempt"
} as const

/**
 * The name of the span event recorded before each retry of a call.
 *
 * @since 0.1.0
 * @category constants
 */
export const retryEvent = "retry"

// ---------------------------------------------------------------------------------------------
// which tracer, if any
// ---------------------------------------------------------------------------------------------

// Effect's built-in tracer keeps spans in memory and exports nothing: with it in place no tracer
// was provided, so calls skip their spans (a span with attributes and response annotations costs
// microseconds a call for nothing).
const builtInTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/**
 * Options of {@link configure} and {@link setGlobalTracer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface GlobalOptions {
  /**
   * Trace every call that has no tracer of its own (default true, like pydantic-ai's
   * `instrument_pydantic_ai()`); `false` traces only calls made with `instrument: true`.
   */
  readonly instrumentAll?: boolean | undefined
  /** Record message contents on these calls' spans (default false): see {@link captureContent}. */
  readonly captureContent?: boolean | undefined
}

interface GlobalTracing {
  readonly tracer: Tracer.Tracer
  readonly instrumentAll: boolean
  readonly captureContent: boolean
}

let globalTracing: GlobalTracing | undefined

/**
 * Sets (or, with `undefined`, removes) the tracer that calls running under Effect's built-in
 * tracer use: the Promise facade's calls, or any program that provides no tracer. A tracer the
 * program provides always wins. Most code wants {@link configure}, which builds the tracer
 * from a Layer.
 *
 * @since 0.1.0
 * @category utils
 */
export const setGlobalTracer = (tracer: Tracer.Tracer | undefined, options?: GlobalOptions): void => {
  globalTracing = tracer === undefined
    ? undefined
    : { tracer, instrumentAll: options?.instrumentAll ?? true, captureContent: options?.captureContent ?? false }
}

/**
 * What {@link configure} returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Configured {
  /** Removes the global tracer and shuts the tracing layer down (flushing its exporter). */
  readonly shutdown: () => Promise<void>
}

/**
 * Builds a tracing Layer (for example @effect/opentelemetry's `NodeSdk.layer`) and makes its
 * tracer the global one ({@link setGlobalTracer}), so that calls without a tracer of their own —
 * the Promise facade's `modelRequest`, `modelRequestStream` and batch calls — are traced. The
 * counterpart of pydantic-ai's `logfire.configure()` + `logfire.instrument_pydantic_ai()`; with
 * `instrumentAll: false`, of `logfire.configure()` alone plus `instrument: true` per call.
 *
 * @example
 * const tracing = await Telemetry.configure(NodeSdk.layer(() => ({
 *   resource: { serviceName: "my-app" },
 *   spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter())
 * })))
 * await modelRequest("anthropic:claude-haiku-4-5", messages)   // a `chat claude-haiku-4-5` span
 * await tracing.shutdown()
 *
 * @since 0.1.0
 * @category utils
 */
export const configure = async <ROut, E>(tracing: Layer.Layer<ROut, E, never>, options?: GlobalOptions): Promise<Configured> => {
  const runtime = ManagedRuntime.make(tracing)
  const tracer = await runtime.runPromise(Effect.tracer).catch(async (error: unknown) => {
    await runtime.dispose()
    throw error
  })
  // a layer that sets no tracer (NodeSdk.layer without a span processor) leaves nothing to trace to
  if (tracer !== builtInTracer) setGlobalTracer(tracer, options)
  return {
    shutdown: async () => {
      if (globalTracing?.tracer === tracer) globalTracing = undefined
      await runtime.dispose()
    }
  }
}

/**
 * The tracer a call's span goes to, or `undefined` for no span: off with `instrument: false`;
 * the program's own tracer when it provided one; else the global tracer when every call is
 * traced or the call asked with `instrument: true`.
 *
 * @since 0.1.0
 * @category utils
 */
export const tracerFor = (current: Tracer.Tracer, instrument: boolean | undefined): Tracer.Tracer | undefined => {
  if (instrument === false) return undefined
  if (current !== builtInTracer) return current
  const global = globalTracing
  return global !== undefined && (instrument === true || global.instrumentAll) ? global.tracer : undefined
}

/**
 * Runs `traced` with the tracer {@link tracerFor} picks (and the global options when that is the
 * global tracer), or `plain` when there is none. The built-in-tracer check is the only cost of
 * an untraced call.
 *
 * @since 0.1.0
 * @category utils
 */
export const withTracing = <A, E, R>(
  instrument: boolean | undefined,
  plain: () => Effect.Effect<A, E, R>,
  traced: (global: GlobalOptions | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  instrument === false
    ? plain()
    : Effect.tracerWith((current) => {
        const tracer = tracerFor(current, instrument)
        return tracer === undefined ? plain() : tracer === current ? traced(undefined) : Effect.withTracer(traced(globalTracing), tracer)
      })

// ---------------------------------------------------------------------------------------------
// content capture (opt-in)
// ---------------------------------------------------------------------------------------------

/**
 * Whether `chat` spans record the messages (`gen_ai.system_instructions`,
 * `gen_ai.input.messages`, `gen_ai.output.messages`, JSON strings in the conventions' message
 * format; inline bytes as base64). Off by default: prompts and answers often hold personal
 * data, and they are large. Turn it on for a program with {@link layerCaptureContent}, for one
 * effect with `Effect.locally`, or for the global tracer with {@link configure}'s
 * `captureContent`.
 *
 * @example
 * LanguageModel.request(messages).pipe(Effect.locally(Telemetry.captureContent, true))
 *
 * @since 0.1.0
 * @category context
 */
export const captureContent: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(false)

/**
 * A Layer that turns {@link captureContent} on (or off) for the program it is provided to.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCaptureContent = (enabled = true): Layer.Layer<never> => Layer.locallyScoped(captureContent, enabled)

/**
 * The messages in the conventions' formats (`gen_ai.system_instructions`, `gen_ai.input.messages`),
 * and a response in `gen_ai.output.messages`'s.
 *
 * @since 0.1.0
 * @category codecs
 */
export { inputContent, outputContent } from "./internal/telemetry/content.js"

// ---------------------------------------------------------------------------------------------
// attributes
// ---------------------------------------------------------------------------------------------

/**
 * What a `chat` span describes: the call before it is made.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallInfo {
  readonly provider: string
  readonly model: string
  readonly settings: ModelSettings
  readonly parameters?: ModelRequestParametersInput | undefined
  readonly messages?: ReadonlyArray<ModelMessage> | undefined
  readonly stream?: boolean | undefined
}

/**
 * The request attributes of a `chat` span (set when it starts, so samplers see them).
 *
 * @since 0.1.0
 * @category utils
 */
export const requestAttributes = (
  provider: string,
  model: string,
  settings: ModelSettings,
  parameters?: ModelRequestParametersInput | undefined
): Record<string, unknown> => {
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
  // structured output (native, tool or prompted) asks for JSON; plain text is the default
  const mode = parameters?.outputMode
  if (mode !== undefined && mode !== "text") attrs[Attributes.outputType] = "json"
  return attrs
}

/**
 * The response attributes of a `chat` span; cache and reasoning counts only when reported.
 *
 * @since 0.1.0
 * @category utils
 */
export const responseAttributes = (response: {
  readonly providerResponseId?: string | undefined
  readonly modelName: string
  readonly finishReason?: string | undefined
  readonly usage: ModelResponse["usage"]
}): Record<string, unknown> => {
  const usage = response.usage
  const attrs: Record<string, unknown> = {
    [Attributes.responseModel]: response.modelName,
    [Attributes.usageInputTokens]: usage.inputTokens,
    [Attributes.usageOutputTokens]: usage.outputTokens
  }
  if (response.providerResponseId !== undefined) attrs[Attributes.responseId] = response.providerResponseId
  if (response.finishReason !== undefined) attrs[Attributes.responseFinishReasons] = [response.finishReason]
  if (usage.cacheReadTokens > 0) attrs[Attributes.usageCacheReadTokens] = usage.cacheReadTokens
  if (usage.cacheWriteTokens > 0) attrs[Attributes.usageCacheWriteTokens] = usage.cacheWriteTokens
  const reasoning = usage.details["reasoning_tokens"]
  if (reasoning !== undefined && reasoning > 0) attrs[Attributes.usageReasoningTokens] = reasoning
  return attrs
}

/**
 * The `error.type` of a failure: the error's tag (`RateLimitError`, `RequestTimeoutError`, ...,
 * see AiError), `_OTHER` for a defect, nothing for an interruption.
 *
 * @since 0.1.0
 * @category utils
 */
export const errorType = (cause: Cause.Cause<unknown>): string | undefined => {
  let tag: string | undefined
  let other = false
  // the first failure wins; a cause of interruptions only is no error
  const visit = (c: Cause.Cause<unknown>): void => {
    if (tag !== undefined) return
    switch (c._tag) {
      case "Fail": {
        const e = c.error
        tag = typeof e === "object" && e !== null && typeof (e as { _tag?: unknown })._tag === "string" ? (e as { _tag: string })._tag : "_OTHER"
        return
      }
      case "Die":
        other = true
        return
      case "Sequential":
      case "Parallel":
        visit(c.left)
        visit(c.right)
        return
      default:
        return
    }
  }
  visit(cause)
  return tag ?? (other ? "_OTHER" : undefined)
}

/**
 * Sets an attribute. @effect/opentelemetry (0.64) turns array values into JSON text, while the
 * conventions type finish reasons and stop sequences as string arrays; its span keeps the
 * OpenTelemetry span in `span`, so an array is set there too, as an array.
 */
const setAttribute = (span: Tracer.Span, key: string, value: unknown): void => {
  span.attribute(key, value)
  if (Array.isArray(value)) {
    const otel = (span as unknown as { readonly span?: { readonly setAttribute?: unknown } }).span
    if (otel !== undefined && typeof otel.setAttribute === "function") (otel.setAttribute as (k: string, v: unknown) => void).call(otel, key, value)
  }
}

const setAttributes = (span: Tracer.Span, attributes: Record<string, unknown>): void => {
  for (const key in attributes) setAttribute(span, key, attributes[key])
}

const recordResponse = (span: Tracer.Span, response: ModelResponse, capture: boolean): void => {
  setAttributes(span, responseAttributes(response))
  if (capture) span.attribute(Attributes.outputMessages, JSON.stringify(outputContent(response)))
}

const recordInput = (span: Tracer.Span, messages: ReadonlyArray<ModelMessage> | undefined): void => {
  if (messages === undefined) return
  const content = inputContent(messages)
  if (content.instructions.length > 0) span.attribute(Attributes.systemInstructions, JSON.stringify(content.instructions))
  span.attribute(Attributes.inputMessages, JSON.stringify(content.messages))
}

const recordFailure = (span: Tracer.Span, cause: Cause.Cause<unknown>): void => {
  const type = errorType(cause)
  if (type !== undefined) span.attribute(Attributes.errorType, type)
}

/**
 * Records a retry on a `chat` span: `retry.count` and a `retry` event with the attempt number
 * and the `error.type` that caused it.
 *
 * @since 0.1.0
 * @category utils
 */
export const recordRetry = (span: Tracer.Span, attempt: number, error: { readonly _tag: string }): Effect.Effect<void> =>
  Effect.clockWith((clock) =>
    Effect.sync(() => {
      span.attribute(Attributes.retryCount, attempt)
      span.event(retryEvent, clock.unsafeCurrentTimeNanos(), { [Attributes.retryAttempt]: attempt, [Attributes.errorType]: error._tag })
    }))

const chatSpanOptions = (info: CallInfo): Tracer.SpanOptions => {
  const attributes = requestAttributes(info.provider, info.model, info.settings, info.parameters)
  if (info.stream === true) attributes[Attributes.requestStream] = true
  // no stack trace: it would point into this library, not at the caller
  return { kind: "client", attributes, captureStackTrace: false }
}

/** Finishes a new `chat` span's start: array attributes, and the input when captured. Returns whether to capture. */
const setUpChatSpan = (span: Tracer.Span, info: CallInfo, capture: boolean): boolean => {
  if (info.settings.stopSequences !== undefined) setAttribute(span, Attributes.requestStopSequences, info.settings.stopSequences)
  if (capture) recordInput(span, info.messages)
  return capture
}

// ---------------------------------------------------------------------------------------------
// spans
// ---------------------------------------------------------------------------------------------

/**
 * Wraps one request (all its attempts) in a `chat {model}` client span, unless no tracer is in
 * place or `instrument` is false: request attributes at start, response attributes on success,
 * `error.type` on failure. `call` receives the span (to record retries on) or `undefined`.
 * `LanguageModel.make` does this for every provider.
 *
 * @since 0.1.0
 * @category utils
 */
export const traceRequest = <E, R>(
  instrument: boolean | undefined,
  describe: () => CallInfo,
  call: (span: Tracer.Span | undefined) => Effect.Effect<ModelResponse, E, R>
): Effect.Effect<ModelResponse, E, R> =>
  withTracing(instrument, () => call(undefined), (global) =>
    FiberRef.getWith(captureContent, (local) => {
      const info = describe()
      return Effect.useSpan(`chat ${info.model}`, chatSpanOptions(info), (span) => {
        const capture = setUpChatSpan(span, info, local || global?.captureContent === true)
        return call(span).pipe(
          Effect.map((response) => {
            recordResponse(span, response, capture)
            return response
          }),
          Effect.tapErrorCause((cause) => Effect.sync(() => recordFailure(span, cause))),
          Effect.withParentSpan(span)
        )
      })
    }))

/**
 * Wraps a streamed request in a `chat {model}` client span that lasts until the stream ends
 * (the scope closes): request attributes and `gen_ai.request.stream` at start,
 * `gen_ai.response.time_to_first_chunk` (seconds from the start of the call to the first event,
 * retries included) when the first event arrives, the response attributes from the final
 * metadata event, `error.type` on failure. The span is the parent of the open (the HTTP request
 * and its retries) but not of each pulled event, which would cost a context switch per event.
 *
 * @since 0.1.0
 * @category streams
 */
export const traceStream = <E, R>(
  instrument: boolean | undefined,
  describe: () => CallInfo,
  open: (span: Tracer.Span | undefined) => Effect.Effect<Stream.Stream<ModelResponseStreamEvent, E>, E, R>
): Effect.Effect<Stream.Stream<ModelResponseStreamEvent, E>, E, R | Scope.Scope> =>
  withTracing<Stream.Stream<ModelResponseStreamEvent, E>, E, R | Scope.Scope>(instrument, () => open(undefined), (global) =>
    FiberRef.getWith(captureContent, (local) => {
      const info: CallInfo = { ...describe(), stream: true }
      return Effect.flatMap(Effect.makeSpanScoped(`chat ${info.model}`, chatSpanOptions(info)), (span) =>
        Effect.clockWith((clock) => {
          const capture = setUpChatSpan(span, info, local || global?.captureContent === true)
          const started = clock.unsafeCurrentTimeNanos()
          return open(span).pipe(
            Effect.withParentSpan(span),
            Effect.tapErrorCause((cause) => Effect.sync(() => recordFailure(span, cause))),
            Effect.map((events) => observeStream(events, span, capture, () => Number(clock.unsafeCurrentTimeNanos() - started) / 1e9))
          )
        }))
    }))

// Synchronous bookkeeping per chunk of events: no Effect per event on the hot path.
const observeStream = <E>(
  events: Stream.Stream<ModelResponseStreamEvent, E>,
  span: Tracer.Span,
  capture: boolean,
  elapsedSeconds: () => number
): Stream.Stream<ModelResponseStreamEvent, E> =>
  Stream.suspend(() => {
    let first = true
    // only to record the output when content capture is on
    const parts: Array<ModelResponsePart | undefined> = []
    return events.pipe(
      Stream.mapChunks((chunk) => {
        if (first && chunk.length > 0) {
          first = false
          span.attribute(Attributes.responseTimeToFirstChunk, elapsedSeconds())
        }
        for (const event of chunk) {
          if (event._tag === "ResponseMetadataEvent") {
            setAttributes(span, responseAttributes(event))
            if (capture) {
              const output = { parts: parts.filter((p): p is ModelResponsePart => p !== undefined), finishReason: event.finishReason }
              span.attribute(Attributes.outputMessages, JSON.stringify(outputContent(output)))
            }
          } else if (capture && event._tag === "PartEndEvent") {
            parts[event.index] = event.part
          }
        }
        return chunk
      }),
      Stream.tapErrorCause((cause) => Effect.sync(() => recordFailure(span, cause)))
    )
  })
