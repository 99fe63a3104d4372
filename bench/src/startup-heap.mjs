// Start-up heap: what a program that makes one request holds after start-up. Each case runs in
// a fresh child (`node --expose-gc --import tsx`, from the library's sources): it imports an
// entry, builds one provider's model layer, makes one request against the emulator (a process
// of its own), runs gc() twice and prints `process.memoryUsage().heapUsed`. The raw SDK cases
// make the same request with the SDK alone; the baselines show what Node with tsx, and
// `import "effect"`, hold by themselves.
//
//   node bench/src/startup-heap.mjs [repo root] [runs]
//
// The root defaults to this checkout; point it at another checkout (with node_modules) to
// compare two commits. Entries that a checkout does not have are skipped.
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".."))
const runs = Number(process.argv[3] ?? 3)
const run = promisify(execFile)

// the emulator in a child of its own, so that its heap is not counted
const startEmulator = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `
      const { startEmulator } = await import("./src/testing/Emulator.ts")
      const emulator = await startEmulator()
      console.log(JSON.stringify({ url: emulator.url, openai: emulator.openaiBaseURL, anthropic: emulator.anthropicBaseURL, google: emulator.googleBaseURL, azure: emulator.azureEndpoint }))
      process.stdin.resume(); process.stdin.on("end", () => process.exit(0))`], { cwd: root, stdio: ["pipe", "pipe", "inherit"] })
    child.stdout.once("data", (chunk) => resolve({ child, urls: JSON.parse(String(chunk)) }))
    child.once("error", reject)
  })

const prompt = `"What is the capital of France?"`
const measure = `for (let i = 0; i < 2; i++) globalThis.gc(); console.log("HEAP", process.memoryUsage().heapUsed)`

// a request through the library: `imports` bring `ns` and LanguageModel / Message into scope
const viaLibrary = (imports, layer) => `
  const { Effect } = await import("effect")
  ${imports}
  const response = await Effect.runPromise(
    LanguageModel.request([Message.ModelRequest.userTextPrompt(${prompt})]).pipe(Effect.provide(${layer}))
  )
  if (!response.text.includes("Paris")) throw new Error("unexpected answer: " + response.text)
  ${measure}`

const main = `const { LanguageModel, Message } = await import("./src/index.ts")`
const layers = {
  openai: `OpenAi.model("gpt-4o-mini", { client: { apiKey: "sk-emulator", baseURL: urls.openai } })`,
  azure: `AzureOpenAi.model("gpt-4o-mini", { client: { apiKey: "azure-key", endpoint: urls.azure } })`,
  anthropic: `Anthropic.model("claude-haiku-4-5", { client: { apiKey: "sk-ant-emulator", baseURL: urls.anthropic } })`,
  google: `Google.model("gemini-2.5-flash", { client: { apiKey: "gemini-key", baseURL: urls.google } })`
}
const entries = {
  openai: ["src/openai.ts", "OpenAi"],
  azure: ["src/azure.ts", "AzureOpenAi"],
  anthropic: ["src/anthropic.ts", "Anthropic"],
  google: ["src/google.ts", "Google"]
}

const cases = [
  ["baseline: node + tsx", measure, []],
  ["baseline: import \"effect\"", `await import("effect"); ${measure}`, []]
]
for (const provider of Object.keys(layers)) {
  const [entry, ns] = entries[provider]
  // the main entry exports every provider but Google, which has its entry only
  const fromMain = provider === "google" ? `${main}; const { Google } = await import("./src/google.ts")` : `${main}; const { ${ns} } = await import("./src/index.ts")`
  cases.push([`${provider}: main entry`, viaLibrary(fromMain, layers[provider]), provider === "google" ? [entry] : []])
  const name = entry.replace("src/", "").replace(".ts", "")
  cases.push([`${provider}: ${name} entry + main`, viaLibrary(`${main}; const { ${ns} } = await import("./${entry}")`, layers[provider]), [entry]])
  // the floor of a program without the main barrel: the entry and the two modules the request needs
  cases.push([`${provider}: ${name} entry alone`, viaLibrary(`const LanguageModel = await import("./src/LanguageModel.ts"); const Message = await import("./src/Message.ts"); const { ${ns} } = await import("./${entry}")`, layers[provider]), [entry]])
}
cases.push(["openai SDK alone", `
  const { default: OpenAI } = await import("openai")
  const client = new OpenAI({ apiKey: "sk-emulator", baseURL: urls.openai, maxRetries: 0 })
  const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: ${prompt} }] })
  if (!r.choices[0].message.content.includes("Paris")) throw new Error("unexpected answer")
  ${measure}`, []])
cases.push(["openai SDK alone (AzureOpenAI)", `
  const { AzureOpenAI } = await import("openai")
  const client = new AzureOpenAI({ apiKey: "azure-key", baseURL: urls.azure + "/openai", apiVersion: "2025-04-01-preview", maxRetries: 0 })
  const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: ${prompt} }] })
  if (!r.choices[0].message.content.includes("Paris")) throw new Error("unexpected answer")
  ${measure}`, []])
cases.push(["@anthropic-ai/sdk alone", `
  const { default: Anthropic } = await import("@anthropic-ai/sdk")
  const client = new Anthropic({ apiKey: "sk-ant-emulator", baseURL: urls.anthropic, maxRetries: 0 })
  const r = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: ${prompt} }] })
  if (!JSON.stringify(r.content).includes("Paris")) throw new Error("unexpected answer")
  ${measure}`, []])
cases.push(["@google/genai alone", `
  const { GoogleGenAI } = await import("@google/genai")
  const client = new GoogleGenAI({ apiKey: "gemini-key", apiVersion: "v1beta", httpOptions: { baseUrl: urls.google } })
  const r = await client.models.generateContent({ model: "gemini-2.5-flash", contents: ${prompt} })
  if (!r.text.includes("Paris")) throw new Error("unexpected answer")
  ${measure}`, []])

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)

const { child, urls } = await startEmulator()
try {
  console.log(`root ${root}, ${runs} runs per case, median heapUsed after two gc()`)
  for (const [name, script, needs] of cases) {
    if (needs.some((file) => !fs.existsSync(path.join(root, file)))) {
      console.log(`${name.padEnd(34)} (not in this checkout)`)
      continue
    }
    const heaps = []
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", `const urls = ${JSON.stringify(urls)}\n${script}`], { cwd: root, timeout: 60_000 })
      heaps.push(Number(/HEAP (\d+)/.exec(stdout)[1]))
    }
    console.log(`${name.padEnd(34)} ${mb(median(heaps)).padStart(6)} MB   (${heaps.map(mb).join(", ")})`)
  }
} finally {
  child.stdin.end()
}
