/**
 * A program that uses one provider loads only that provider's SDK. In a child process whose
 * resolve hook records every resolved URL: importing the main entry alone loads no SDK file;
 * importing one provider's entry, building its model against the emulator and making a request
 * loads that provider's SDK and no file of any other provider's SDK.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const sdks = {
  openai: "/node_modules/openai/",
  anthropic: "/node_modules/@anthropic-ai/sdk/",
  google: "/node_modules/@google/genai/"
} as const
type Sdk = keyof typeof sdks

/** Runs `script` in a child and returns the URLs it resolved, and its stdout. */
const resolvedBy = async (script: string): Promise<{ readonly urls: ReadonlyArray<string>; readonly stdout: string }> => {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "resolved-")), "urls.txt")
  fs.writeFileSync(log, "")
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--import", "./test/helpers/record-resolved.mjs", "--input-type=module", "-e", script],
    { timeout: 60_000, env: { ...process.env, RESOLVED_LOG: log } }
  )
  const urls = fs.readFileSync(log, "utf8").split("\n").filter((url) => url !== "")
  fs.rmSync(path.dirname(log), { recursive: true, force: true })
  return { urls, stdout }
}

const sdksLoaded = (urls: ReadonlyArray<string>): ReadonlyArray<Sdk> =>
  (Object.keys(sdks) as Array<Sdk>).filter((sdk) => urls.some((url) => url.includes(sdks[sdk])))

/** A request through `layer` (a JS expression over `emulator` and the entry's namespace). */
const requestScript = (entry: string, namespace: string, layer: string) => `
  const { Effect } = await import("effect")
  const { ${namespace} } = await import(${JSON.stringify(entry)})
  const { LanguageModel, Message } = await import("./src/index.ts")
  const { startEmulator } = await import("./src/testing/Emulator.ts")
  const emulator = await startEmulator()
  const response = await Effect.runPromise(
    LanguageModel.request([Message.ModelRequest.userTextPrompt("What is the capital of France?")]).pipe(Effect.provide(${layer}))
  )
  console.log("answered:", response.text)
  await emulator.close()`

const cases: ReadonlyArray<{ readonly name: string; readonly sdk: Sdk; readonly entry: string; readonly namespace: string; readonly layer: string }> = [
  {
    name: "OpenAI",
    sdk: "openai",
    entry: "./src/openai.ts",
    namespace: "OpenAi",
    layer: `OpenAi.model("gpt-4o-mini", { client: { apiKey: "sk-emulator", baseURL: emulator.openaiBaseURL } })`
  },
  {
    name: "Azure OpenAI",
    sdk: "openai",
    entry: "./src/azure.ts",
    namespace: "AzureOpenAi",
    layer: `AzureOpenAi.model("gpt-4o-mini", { client: { apiKey: "azure-key", endpoint: emulator.azureEndpoint } })`
  },
  {
    name: "Anthropic",
    sdk: "anthropic",
    entry: "./src/anthropic.ts",
    namespace: "Anthropic",
    layer: `Anthropic.model("claude-haiku-4-5", { client: { apiKey: "sk-ant-emulator", baseURL: emulator.anthropicBaseURL } })`
  },
  {
    name: "Google",
    sdk: "google",
    entry: "./src/google.ts",
    namespace: "Google",
    layer: `Google.model("gemini-2.5-flash", { client: { apiKey: "gemini-key", baseURL: emulator.googleBaseURL } })`
  }
]

describe("a program that uses one provider loads only that provider's SDK", () => {
  it("importing the main entry loads no SDK file", async () => {
    const { urls, stdout } = await resolvedBy(`await import("./src/index.ts"); console.log("loaded")`)
    expect(stdout).toContain("loaded")
    // the hook saw the library's own modules: it works
    expect(urls.some((url) => url.endsWith("/src/index.ts"))).toBe(true)
    expect(sdksLoaded(urls)).toEqual([])
  }, 60_000)

  for (const c of cases) {
    it(`${c.name}: its entry, a model against the emulator and a request load its SDK and no other`, async () => {
      const { urls, stdout } = await resolvedBy(requestScript(c.entry, c.namespace, c.layer))
      expect(stdout).toContain("answered: The capital of France is Paris.")
      expect(sdksLoaded(urls)).toEqual([c.sdk])
    }, 60_000)
  }
})
