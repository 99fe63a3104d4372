/**
 * How every example runs: against the real providers when their keys are set, otherwise against
 * the library's emulator started in-process (no key, no network). `checks` is true when the
 * example talks to the emulator, whose answers are known, so the example can assert them.
 */
import { pathToFileURL } from "node:url"
import { disposeAll } from "../src/direct/index.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"

/** Whether a real provider is configured (then answers vary and examples check less). */
export const usingRealProviders = (): boolean =>
  Boolean(process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL?.includes("127.0.0.1")) ||
  Boolean(process.env.ANTHROPIC_API_KEY && !process.env.ANTHROPIC_BASE_URL?.includes("127.0.0.1")) ||
  Boolean(process.env.AZURE_OPENAI_API_KEY && !process.env.AZURE_OPENAI_ENDPOINT?.includes("127.0.0.1")) ||
  Boolean((process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY) && !process.env.GEMINI_BASE_URL?.includes("127.0.0.1"))

/**
 * How an example wants the emulator: its batches finish after `statusCalls` status checks
 * (default 0: at create, so the seeds' 60-second polls cost nothing). An example that needs
 * more (to show progress, to be stopped while running) exports its settings as
 * `emulatorSettings` and passes them to {@link runExample}; test/examples.test.ts reads the same
 * export, so the example runs alike alone and in the tests.
 */
export interface EmulatorSettings {
  readonly statusCalls?: number | undefined
}

/**
 * Points the SDKs at an emulator: base URLs (and Azure's endpoint), placeholder keys, and the
 * example's batch lifecycle. Returns a function that restores the environment.
 */
export const useEmulator = (emulator: Emulator, batches: EmulatorSettings = {}): (() => void) => {
  emulator.openaiBatches.lifecycle = { statusCalls: batches.statusCalls ?? 0 }
  emulator.anthropicBatches.lifecycle = { statusCalls: batches.statusCalls ?? 0 }
  emulator.googleBatches.lifecycle = { statusCalls: batches.statusCalls ?? 0 }
  const names = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "GEMINI_API_KEY", "GEMINI_BASE_URL"] as const
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]))
  process.env.OPENAI_API_KEY = "sk-emulator"
  process.env.OPENAI_BASE_URL = emulator.openaiBaseURL
  process.env.ANTHROPIC_API_KEY = "sk-ant-emulator"
  process.env.ANTHROPIC_BASE_URL = emulator.anthropicBaseURL
  process.env.AZURE_OPENAI_API_KEY = "azure-emulator-key"
  process.env.AZURE_OPENAI_ENDPOINT = emulator.azureEndpoint
  process.env.GEMINI_API_KEY = "gemini-emulator"
  process.env.GEMINI_BASE_URL = emulator.googleBaseURL
  return () => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n]
      else process.env[n] = saved[n]
    }
  }
}

/**
 * Waits `seconds`, as the seeds' polling loops do; against the emulator a second lasts a
 * millisecond, so examples keep their real intervals and still run in the test suite.
 */
export const wait = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, usingRealProviders() ? seconds * 1000 : seconds))

/** Throws when a check fails (only against the emulator, whose answers are known). */
export const check = (condition: boolean, what: string): void => {
  if (!condition && !usingRealProviders()) throw new Error(`example check failed: ${what}`)
}

/**
 * Runs `main` when the file is executed directly (`npx tsx examples/x.ts`), with the emulator
 * (set up by `settings`, the example's `emulatorSettings`) unless keys are set.
 */
export const runExample = (url: string, main: () => Promise<void>, settings: EmulatorSettings = {}): void => {
  if (process.argv[1] === undefined || url !== pathToFileURL(process.argv[1]).href) return
  void (async () => {
    let close: (() => Promise<void>) | undefined
    if (!usingRealProviders()) {
      const emulator = await startEmulator()
      const restore = useEmulator(emulator, settings)
      close = async () => {
        restore()
        await emulator.close()
      }
    }
    try {
      await main()
    } finally {
      await disposeAll()
      await close?.()
    }
  })().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}

/**
 * Against the emulator: from now on its OpenAI batches end on their own after `finishAfterMs`
 * and announce it with a signed webhook to `url` (through its lifecycle route, as another process
 * would). With real providers it does nothing: register the URL in the OpenAI dashboard instead.
 */
export const emulatorWebhooks = async (url: string, secret: string, finishAfterMs = 200): Promise<void> => {
  if (usingRealProviders()) return
  await fetch(`${process.env.OPENAI_BASE_URL}/emulator/batch-lifecycle`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ finishAfterMs, webhook: { url, secret } })
  })
}
