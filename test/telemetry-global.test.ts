/**
 * Tracing without an Effect tracer in context: `Telemetry.configure` (the Promise facade's
 * global and per-call instrumentation), the caller's active OpenTelemetry span as parent, and the
 * Anthropic SDK's own spans (off by default; parented to our `chat` span when turned on).
 */
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { trace } from "@opentelemetry/api"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import { Chunk, Effect, Layer, Stream } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { batchCreate, batchStatus, disposeAll, modelRequest, modelRequestBatch, modelRequestStream, ModelRequest } from "../src/direct/index.js"
import * as Batch from "../src/Batch.js"
import * as LanguageModel from "../src/LanguageModel.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import * as Telemetry from "../src/Telemetry.js"
import * as TestModel from "../src/testing/TestModel.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { reqs } from "./batch-helpers.js"
import { isChildOf, only, tracing, withSpans } from "./telemetry-helpers.js"

const messages = [ModelRequest.userTextPrompt("What is the capital of France?")]

afterEach(async () => {
  Telemetry.setGlobalTracer(undefined)
  await disposeAll()
})

/** Configures global tracing into a fresh exporter, runs `body`, returns the spans (read before shutdown clears them). */
const configured = async (body: () => Promise<void>, options?: Telemetry.GlobalOptions) => {
  const exporter = new InMemorySpanExporter()
  const handle = await Telemetry.configure(tracing(exporter), options)
  try {
    await body()
    return [...exporter.getFinishedSpans()]
  } finally {
    await handle.shutdown()
  }
}

describe("Telemetry.configure (global tracing for the Promise facade)", () => {
  it("traces every facade call: requests and streams, with response attributes", async () => {
    const spans = await configured(async () => {
      await modelRequest(TestModel.layer(), messages)
      const stream = modelRequestStream(TestModel.layer(), messages)
      for await (const _ of stream) void _
    })
    expect(spans.map((s) => s.name)).toEqual(["chat test", "chat test"])
    const [request, streamed] = spans
    expect(request!.attributes).toMatchObject({ "gen_ai.provider.name": "test", "gen_ai.response.model": "test", "gen_ai.response.finish_reasons": ["stop"] })
    expect(streamed!.attributes).toMatchObject({ "gen_ai.request.stream": true, "gen_ai.response.finish_reasons": ["stop"] })
    expect(streamed!.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0)
    expect(streamed!.attributes["gen_ai.response.time_to_first_chunk"]).toBeTypeOf("number")
  })

  it("instrument: false turns one call off; after shutdown nothing is traced", async () => {
    const spans = await configured(async () => {
      await modelRequest(TestModel.layer(), messages, { instrument: false })
      const stream = modelRequestStream(TestModel.layer(), messages, { instrument: false })
      for await (const _ of stream) void _
    })
    expect(spans).toEqual([])

    const exporter = new InMemorySpanExporter()
    const handle = await Telemetry.configure(tracing(exporter))
    await handle.shutdown()
    await modelRequest(TestModel.layer(), messages)
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it("instrumentAll: false traces only the calls made with instrument: true (the seeds' per-call form)", async () => {
    const spans = await configured(async () => {
      await modelRequest(TestModel.layer(), messages)
      await modelRequest(TestModel.layer({ modelName: "per-call" }), messages, { instrument: true })
    }, { instrumentAll: false })
    expect(spans.map((s) => s.name)).toEqual(["chat per-call"])
  })

  it("facade batch calls: instrument: true traces one call, instrument: false none", async () => {
    const q1 = [["q1", messages]] as const
    const perCall = await configured(async () => {
      await modelRequestBatch(TestModel.layer(), q1)
      const results = await modelRequestBatch(TestModel.layer(), q1, { instrument: true })
      expect(results.map((r) => r.customId)).toEqual(["q1"])
    }, { instrumentAll: false })
    // TestModel's batches complete at create: no poll needed
    expect(perCall.map((s) => s.name).sort()).toEqual(["batch.create", "batch.results", "batch.run"])
    const run = only(perCall, "batch.run")
    for (const span of perCall.filter((s) => s !== run)) expect(isChildOf(span, run)).toBe(true)

    const off = await configured(async () => {
      await modelRequestBatch(TestModel.layer(), q1, { instrument: false })
      const model = TestModel.layer()
      const batch = await batchCreate(model, q1, { instrument: false })
      await batchStatus(model, batch, { instrument: false })
    })
    expect(off).toEqual([])
  })

  it("Batch.results in a program without a tracer: the global tracer records it with its counts when asked, nothing otherwise", async () => {
    const spans = await configured(async () => {
      await Effect.runPromise(Effect.gen(function* () {
        const batch = yield* Batch.create(reqs("a", "b"))
        expect(Chunk.size(yield* Stream.runCollect(Batch.results(batch, { instrument: true })))).toBe(2)
        expect(Chunk.size(yield* Stream.runCollect(Batch.results(batch)))).toBe(2)
      }).pipe(Effect.provide(TestModel.layer())))
    }, { instrumentAll: false })
    expect(spans.map((s) => s.name)).toEqual(["batch.results"])
    expect(only(spans, "batch.results").attributes).toMatchObject({ "batch.result_count": 2, "batch.failed_result_count": 0 })
  })

  it("captureContent: true records the messages of globally traced calls", async () => {
    const spans = await configured(async () => {
      await modelRequest(TestModel.layer(), messages)
    }, { captureContent: true })
    expect(JSON.parse(only(spans, "chat test").attributes["gen_ai.input.messages"] as string)).toEqual([
      { role: "user", parts: [{ type: "text", content: "What is the capital of France?" }] }
    ])
  })

  it("a tracer the program provides wins over the global one", async () => {
    const global = new InMemorySpanExporter()
    const handle = await Telemetry.configure(tracing(global))
    try {
      const { spans } = await Effect.runPromise(withSpans(LanguageModel.request(messages).pipe(Effect.provide(TestModel.layer()))))
      expect(spans.map((s) => s.name)).toEqual(["chat test"])
      expect(global.getFinishedSpans()).toEqual([])
    } finally {
      await handle.shutdown()
    }
  })
})

describe("with a global OpenTelemetry provider", () => {
  const exporter = new InMemorySpanExporter()
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  let emulator: Emulator
  beforeAll(async () => {
    // registers the provider and an AsyncLocalStorage context manager, as an application's SDK setup does
    provider.register()
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await emulator.close()
    await provider.shutdown()
    trace.disable()
  })
  afterEach(() => exporter.reset())

  it("a facade call made inside the application's active span is its child (not a new trace)", async () => {
    const handle = await Telemetry.configure(OtelTracer.layerGlobal.pipe(Layer.provide(OtelResource.layer({ serviceName: "app" }))))
    try {
      await trace.getTracer("app").startActiveSpan("handle request", async (span) => {
        await modelRequest(TestModel.layer(), messages)
        span.end()
      })
    } finally {
      await handle.shutdown()
    }
    const spans = exporter.getFinishedSpans()
    expect(isChildOf(only(spans, "chat test"), only(spans, "handle request"))).toBe(true)
  })

  const anthropic = (sdkTelemetry: boolean) =>
    Anthropic.languageModel("claude-haiku-4-5", { retry: false }).pipe(
      Layer.provide(Anthropic.layer({ apiKey: "test-key", baseURL: emulator.anthropicBaseURL, sdkTelemetry }))
    )
  const traced = OtelTracer.layerGlobal.pipe(Layer.provide(OtelResource.layer({ serviceName: "app" })))

  it("the Anthropic SDK's own spans are off by default: one span per call, ours", async () => {
    await Effect.runPromise(LanguageModel.request(messages).pipe(Effect.provide(anthropic(false)), Effect.provide(traced)))
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["chat claude-haiku-4-5"])
  })

  it("sdkTelemetry: true adds the SDK's span as a child of our chat span (not orphaned)", async () => {
    await Effect.runPromise(LanguageModel.request(messages).pipe(Effect.provide(anthropic(true)), Effect.provide(traced)))
    const spans = exporter.getFinishedSpans()
    const chat = only(spans, "chat claude-haiku-4-5")
    const sdk = spans.filter((s) => s !== chat)
    expect(sdk.length).toBe(1)
    expect(isChildOf(sdk[0]!, chat)).toBe(true)
  })
})
