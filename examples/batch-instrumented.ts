/**
 * Seed 003 "OpenTelemetry Instrumentation" (batch_instrumented.py): a batch run traced like a
 * direct request. `Telemetry.configure` installs the tracer (the seed's "logfire configured");
 * `instrument: true` traces this call. The spans (`batch.run` with `batch.create`, `batch.poll`,
 * `batch.results` as children, carrying the batch id, status and counts) are printed by
 * OpenTelemetry's console exporter.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { modelRequestBatch, ModelRequest } from "../src/direct/index.js"
import { Telemetry } from "../src/index.js"
import { check, runExample } from "./_support.js"

/** The console exporter, noting the names of the spans it prints so the example can check them. */
class CheckedConsoleExporter extends ConsoleSpanExporter {
  readonly names: Array<string> = []
  override export(...args: Parameters<ConsoleSpanExporter["export"]>): void {
    this.names.push(...args[0].map((span) => span.name))
    super.export(...args)
  }
}

export const main = async (): Promise<void> => {
  const exporter = new CheckedConsoleExporter()
  const tracing = await Telemetry.configure(
    NodeSdk.layer(() => ({ resource: { serviceName: "batch-instrumented" }, spanProcessor: new SimpleSpanProcessor(exporter) })),
    { instrumentAll: false }
  )
  try {
    const requests = [["q1", [ModelRequest.userTextPrompt("Hello!")]]] as const

    // Instrumentation is enabled for this batch by passing instrument: true
    const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { instrument: true })

    for (const result of results) {
      if (result.isSuccessful) {
        const first = result.response.parts[0]
        console.log(`${result.customId}: ${first?._tag === "TextPart" ? first.content : ""}`)
      }
    }
    check(results.length === 1 && results[0]!.isSuccessful, "q1 answered")
  } finally {
    await tracing.shutdown()
  }
  check(exporter.names.at(-1) === "batch.run", "the run's span ends last")
  check(["batch.create", "batch.results"].every((name) => exporter.names.includes(name)), "create and results spans were exported")
}

runExample(import.meta.url, main)
