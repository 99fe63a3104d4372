/**
 * Span capture for the telemetry tests (not a test file): an in-memory exporter behind
 * @effect/opentelemetry's NodeSdk layer, read before the layer shuts the exporter down (shutting
 * down clears it).
 */
import { NodeSdk } from "@effect/opentelemetry"
import { SpanKind } from "@opentelemetry/api"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, type Exit, type Layer } from "effect"
import type * as OtelResource from "@effect/opentelemetry/Resource"

/** A NodeSdk layer exporting to `exporter`. */
export const tracing = (exporter: InMemorySpanExporter): Layer.Layer<OtelResource.Resource> =>
  NodeSdk.layer(() => ({ resource: { serviceName: "telemetry-test" }, spanProcessor: new SimpleSpanProcessor(exporter) }))

/** Runs `self` traced into a fresh exporter; returns its exit and the finished spans. */
export const withSpans = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly spans: ReadonlyArray<ReadableSpan> }, never, Exclude<R, OtelResource.Resource>> =>
  Effect.suspend(() => {
    const exporter = new InMemorySpanExporter()
    return Effect.exit(self).pipe(
      Effect.map((exit) => ({ exit, spans: [...exporter.getFinishedSpans()] })),
      Effect.provide(tracing(exporter))
    )
  })

/** The one span with this name (fails the test when there is none or more than one). */
export const only = (spans: ReadonlyArray<ReadableSpan>, name: string): ReadableSpan => {
  const found = spans.filter((s) => s.name === name)
  if (found.length !== 1) throw new Error(`expected one span ${name}, found ${found.length} among ${spans.map((s) => s.name).join(", ")}`)
  return found[0]!
}

/** Whether `child`'s parent is `parent`. */
export const isChildOf = (child: ReadableSpan, parent: ReadableSpan): boolean =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId && child.spanContext().traceId === parent.spanContext().traceId

/** The span kinds, for readable assertions. */
export const Kind = { client: SpanKind.CLIENT, internal: SpanKind.INTERNAL } as const

/** Every attribute whose name says it holds message content. */
export const contentAttributes = (span: ReadableSpan): ReadonlyArray<string> =>
  Object.keys(span.attributes).filter((k) => k === "gen_ai.input.messages" || k === "gen_ai.output.messages" || k === "gen_ai.system_instructions")
