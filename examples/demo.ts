/**
 * `npm run demo`: a request and a streamed request to each provider, through the real provider
 * Layers and SDKs. With no arguments it starts the library's emulator in-process (no API key,
 * no network). Give model strings to use real providers, with their keys in the environment:
 *
 *   OPENAI_API_KEY=sk-... npm run demo -- openai:gpt-4o-mini
 *   ANTHROPIC_API_KEY=sk-ant-... npm run demo -- anthropic:claude-haiku-4-5
 */
import { disposeAll, modelRequest, modelRequestStream, ModelRequest } from "../src/direct.js"
import { startEmulator } from "../src/testing/Emulator.js"
import { useEmulator } from "./_support.js"

const defaults = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]

const keyFor: Record<string, string> = { openai: "OPENAI_API_KEY", anthropic: "ANTHROPIC_API_KEY" }

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

const main = async (): Promise<void> => {
  const requested = process.argv.slice(2).filter((a) => a !== "--")
  if (requested.length > 0) {
    for (const model of requested) {
      const variable = keyFor[model.split(":")[0] ?? ""]
      if (variable !== undefined && !process.env[variable]) {
        throw new Error(`${model} needs ${variable} in the environment (or run \`npm run demo\` with no arguments to use the emulator)`)
      }
    }
    for (const model of requested) await demoModel(model)
    return
  }
  const emulator = await startEmulator()
  const restore = useEmulator(emulator)
  console.log(`No model given: using the in-process emulator at ${emulator.url} (no API key, no network).`)
  try {
    for (const model of defaults) await demoModel(model)
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
