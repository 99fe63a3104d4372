/**
 * Seed 000 "OpenTelemetry or Logfire Instrumentation" (direct_instrumented.py), both forms, with
 * spans printed by OpenTelemetry's console exporter:
 * 1. global: `Telemetry.configure(layer)` traces every call (pydantic-ai's `logfire.configure()`
 *    + `logfire.instrument_pydantic_ai()`);
 * 2. per call: `Telemetry.configure(layer, { instrumentAll: false })` (`logfire.configure()`
 *    alone), then `instrument: true` on the call to trace;
 * 3. an Effect program: provide the tracing layer to the program (every call traced), and
 *    `instrument: false` on a call to leave it out.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect } from "effect"
import { modelRequest, ModelRequest } from "../src/direct/index.js"
import { Anthropic, LanguageModel, Telemetry } from "../src/index.js"
import { check, runExample } from "./_support.js"

/** The console exporter, noting the names of the spans it prints so the example can check them. */
class CheckedConsoleExporter extends ConsoleSpanExporter {
  readonly names: Array<string> = []
  override export(...args: Parameters<ConsoleSpanExporter["export"]>): void {
    this.names.push(...args[0].map((span) => span.name))
    super.export(...args)
  }
}

/** A tracing layer (OpenTelemetry's Node SDK through @effect/opentelemetry) printing to the console. */
const consoleTracing = (exporter: CheckedConsoleExporter) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "direct-instrumented" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))

const question = () => [ModelRequest.userTextPrompt("What is the capital of France?")]

export const main = async (): Promise<void> => {
  // 1. global: every call is traced
  const global = new CheckedConsoleExporter()
  const tracing = await Telemetry.configure(consoleTracing(global))
  try {
    const modelResponse = await modelRequest("anthropic:claude-haiku-4-5", question())
    const first = modelResponse.parts[0]
    console.log(first?._tag === "TextPart" ? first.content : first)
    //> The capital of France is Paris.
    check(modelResponse.text.includes("Paris"), "the answer names Paris")
  } finally {
    await tracing.shutdown()
  }
  check(global.names.join() === "chat claude-haiku-4-5", "the exporter received one `chat claude-haiku-4-5` span")

  // 2. per call: only the call with `instrument: true` is traced
  const perCall = new CheckedConsoleExporter()
  const configured = await Telemetry.configure(consoleTracing(perCall), { instrumentAll: false })
  try {
    const modelResponse = await modelRequest("anthropic:claude-haiku-4-5", question(), { instrument: true })
    console.log(modelResponse.text)
    //> The capital of France is Paris.
    await modelRequest("anthropic:claude-haiku-4-5", question()) // not traced
  } finally {
    await configured.shutdown()
  }
  check(perCall.names.join() === "chat claude-haiku-4-5", "only the instrumented call made a span")

  // 3. an Effect program: the layer provided to the program traces its calls
  const inEffect = new CheckedConsoleExporter()
  const program = Effect.gen(function* () {
    const answer = yield* LanguageModel.request(question())
    yield* LanguageModel.request(question(), { instrument: false }) // not traced
    return answer
  }).pipe(Effect.withSpan("answer questions"))
  const answer = await Effect.runPromise(
    program.pipe(Effect.provide(Anthropic.model("claude-haiku-4-5")), Effect.provide(consoleTracing(inEffect)))
  )
  console.log(answer.text)
  check(inEffect.names.join() === "chat claude-haiku-4-5,answer questions", "the program's span and its one traced call")
}

runExample(import.meta.url, main)
