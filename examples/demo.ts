/**
 * `npm run demo`: a request, a streamed request and a batch (with its progress) to each provider,
 * through the real provider Layers and SDKs. With no arguments it starts the library's emulator
 * in-process (no API key, no network). Give model strings to use real providers, with their keys
 * in the environment (add `--batch` to also run a real batch, which can take minutes to hours):
 *
 *   OPENAI_API_KEY=sk-... npm run demo -- openai:gpt-4o-mini
 *   ANTHROPIC_API_KEY=sk-ant-... npm run demo -- anthropic:claude-haiku-4-5 --batch
 *   OPENAI_API_KEY=sk-... npm run demo -- openai-responses:gpt-5-mini
 *   AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com AZURE_OPENAI_API_KEY=... npm run demo -- azure:<deployment>
 *   GEMINI_API_KEY=... npm run demo -- google:gemini-2.5-flash
 */
import { Console, Duration, Effect, Stream } from "effect"
import { disposeAll, modelRequest, modelRequestStream, ModelRequest } from "../src/direct/index.js"
import { Batch, ModelString } from "../src/index.js"
import { draw, progressBar } from "./batch-progress.js"
import { startEmulator } from "../src/testing/Emulator.js"
import { useEmulator } from "./_support.js"

const defaults = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "openai-responses:gpt-4o-mini", "azure:gpt-4o-mini", "google:gemini-2.5-flash"]

const keyFor: Record<string, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  "openai-responses": "OPENAI_API_KEY",
  azure: "AZURE_OPENAI_API_KEY",
  "azure-responses": "AZURE_OPENAI_API_KEY",
  google: "GEMINI_API_KEY"
}

const demoModel = async (model: string): Promise<void> => {
  console.log(`\n=== ${model}`)
  const response = await modelRequest(model, [ModelRequest.userTextPrompt("What is the capital of France?")])
  console.log(`request  → ${response.text}`)
  console.log(`           model ${response.modelName}, ${response.usage.inputTokens} in / ${response.usage.outputTokens} out tokens, finish ${response.finishReason ?? "?"}`)
  process.stdout.write("stream   → ")
  const stream = modelRequestStream(model, [ModelRequest.userTextPrompt("Who was Albert Einstein?")])
  for await (const event of stream) {
    if (event._tag === "PartStartEvent" && event.part._tag === "TextPart") process.stdout.write(event.part.content)
    if (event._tag === "PartDeltaEvent" && event.delta._tag === "TextPartDelta") process.stdout.write(event.delta.contentDelta)
  }
  console.log(`\n           ${stream.usage.inputTokens} in / ${stream.usage.outputTokens} out tokens`)
}

const demoBatch = (model: string, every: Duration.DurationInput): Promise<void> => {
  const questions = ["What is 2 + 2?", "What is the square root of 144?", "What is photosynthesis?", "Explain gravity in one sentence."]
  const requests = questions.map((q, i) => ({ customId: `q${i + 1}`, messages: [ModelRequest.userTextPrompt(q)] }))
  const program = Effect.gen(function* () {
    const batch = yield* Batch.create(requests)
    yield* Console.log(`batch    → ${batch.id} submitted with ${batch.requestCount} requests`)
    const last = yield* Batch.watch(batch, every).pipe(
      Stream.tap((snapshot) => draw(`           ${progressBar(snapshot)}`)),
      Stream.runLast
    )
    if (process.stdout.isTTY) yield* Console.log("")
    const results = yield* Stream.runCollect(Batch.results(last._tag === "Some" ? last.value : batch))
    const byId = new Map(Array.from(results, (r) => [r.customId, r]))
    for (const { customId } of requests) {
      const r = byId.get(customId)
      yield* Console.log(`           ${customId}: ${r === undefined ? "?" : r.isSuccessful ? r.response.text : `ERROR ${r.error.code}: ${r.error.message}`}`)
    }
  })
  return Effect.runPromise(program.pipe(Effect.provide(ModelString.layer(model))))
}

const main = async (): Promise<void> => {
  const args = process.argv.slice(2).filter((a) => a !== "--")
  const withBatch = args.includes("--batch")
  const requested = args.filter((a) => a !== "--batch")
  if (requested.length > 0) {
    for (const model of requested) {
      const variable = keyFor[model.split(":")[0] ?? ""]
      // Gemini also takes GOOGLE_API_KEY
      if (variable !== undefined && !process.env[variable] && !(variable === "GEMINI_API_KEY" && process.env.GOOGLE_API_KEY)) {
        throw new Error(`${model} needs ${variable} in the environment (or run \`npm run demo\` with no arguments to use the emulator)`)
      }
    }
    for (const model of requested) {
      await demoModel(model)
      if (withBatch) await demoBatch(model, "30 seconds")
    }
    await disposeAll()
    return
  }
  const emulator = await startEmulator()
  const restore = useEmulator(emulator)
  // emulated batches move one step per status check: a few polls show the progress
  emulator.openaiBatches.lifecycle = { statusCalls: 4 }
  emulator.anthropicBatches.lifecycle = { statusCalls: 4 }
  emulator.googleBatches.lifecycle = { statusCalls: 4 }
  console.log(`No model given: using the in-process emulator at ${emulator.url} (no API key, no network).`)
  try {
    for (const model of defaults) {
      await demoModel(model)
      await demoBatch(model, "150 millis")
    }
  } finally {
    await disposeAll()
    restore()
    await emulator.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
  process.exitCode = 1
})
