/**
 * The facade keeps one runtime (and so one SDK client) per model string, and builds a new one
 * when a variable the string's provider reads has changed since: a new key or a new endpoint
 * must reach the new server with the new key, for every provider, not a stale client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { disposeAll, modelRequest, ModelRequest } from "../src/direct/index.js"
import { runtimeFor } from "../src/direct/runtimes.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"

const prompt = [ModelRequest.userTextPrompt("What is the capital of France?")]

const variables = [
  "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
  "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION",
  "GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL"
] as const
const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]))
const restore = () => {
  for (const name of variables) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
}

let first: Emulator
let second: Emulator
beforeAll(async () => {
  first = await startEmulator()
  second = await startEmulator()
})
afterEach(async () => {
  await disposeAll()
  restore()
  first.reset()
  second.reset()
})
afterAll(async () => {
  await first.close()
  await second.close()
})

/** The API keys each emulator received, in order. */
const keysSeen = (emulator: Emulator) => emulator.requests.map((r) => r.apiKey)

interface Case {
  readonly model: string
  /** Points the provider at an emulator with a key. */
  readonly point: (emulator: Emulator, key: string) => void
  /** Changes only the key. */
  readonly rekey: (key: string) => void
}

const cases: ReadonlyArray<Case> = [
  {
    model: "openai:gpt-4o-mini",
    point: (e, key) => {
      process.env.OPENAI_BASE_URL = e.openaiBaseURL
      process.env.OPENAI_API_KEY = key
    },
    rekey: (key) => { process.env.OPENAI_API_KEY = key }
  },
  {
    model: "anthropic:claude-haiku-4-5",
    point: (e, key) => {
      process.env.ANTHROPIC_BASE_URL = e.anthropicBaseURL
      process.env.ANTHROPIC_API_KEY = key
    },
    rekey: (key) => { process.env.ANTHROPIC_API_KEY = key }
  },
  {
    model: "google:gemini-2.5-flash",
    point: (e, key) => {
      process.env.GEMINI_BASE_URL = e.googleBaseURL
      process.env.GEMINI_API_KEY = key
    },
    rekey: (key) => { process.env.GEMINI_API_KEY = key }
  },
  {
    model: "azure:gpt-4o-mini",
    point: (e, key) => {
      process.env.AZURE_OPENAI_ENDPOINT = e.azureEndpoint
      process.env.AZURE_OPENAI_API_KEY = key
    },
    rekey: (key) => { process.env.AZURE_OPENAI_API_KEY = key }
  },
  {
    model: "azure-responses:gpt-4o-mini",
    point: (e, key) => {
      process.env.AZURE_OPENAI_ENDPOINT = e.azureEndpoint
      process.env.AZURE_OPENAI_API_KEY = key
    },
    rekey: (key) => { process.env.AZURE_OPENAI_API_KEY = key }
  }
]

describe("model string runtimes follow the environment", () => {
  for (const { model, point, rekey } of cases) {
    it(`${model}: a new endpoint reaches the new server`, async () => {
      point(first, "key-one")
      expect((await modelRequest(model, prompt)).text).toMatch(/Paris/)
      point(second, "key-one")
      expect((await modelRequest(model, prompt)).text).toMatch(/Paris/)
      expect(keysSeen(first)).toEqual(["key-one"])
      expect(keysSeen(second)).toEqual(["key-one"])
    })

    it(`${model}: a new key is the one sent`, async () => {
      point(first, "key-one")
      await modelRequest(model, prompt)
      rekey("key-two")
      await modelRequest(model, prompt)
      expect(keysSeen(first)).toEqual(["key-one", "key-two"])
    })

    it(`${model}: an unchanged environment reuses the runtime (one client)`, async () => {
      point(first, "key-one")
      const a = await modelRequest(model, prompt)
      const b = await modelRequest(model, prompt)
      expect([a.text, b.text]).toEqual([expect.stringMatching(/Paris/), expect.stringMatching(/Paris/)])
      expect(keysSeen(first)).toEqual(["key-one", "key-one"])
    })
  }

  it("google: GOOGLE_API_KEY is read when GEMINI_API_KEY is unset, and a change to it is seen", async () => {
    delete process.env.GEMINI_API_KEY
    process.env.GEMINI_BASE_URL = first.googleBaseURL
    process.env.GOOGLE_API_KEY = "google-one"
    await modelRequest("google:gemini-2.5-flash", prompt)
    process.env.GOOGLE_API_KEY = "google-two"
    await modelRequest("google:gemini-2.5-flash", prompt)
    expect(keysSeen(first)).toEqual(["google-one", "google-two"])
  })

  it("azure: a new AZURE_OPENAI_API_VERSION is the one sent", async () => {
    process.env.AZURE_OPENAI_ENDPOINT = first.azureEndpoint
    process.env.AZURE_OPENAI_API_KEY = "azure-key"
    process.env.AZURE_OPENAI_API_VERSION = "2024-10-21"
    await modelRequest("azure:gpt-4o-mini", prompt)
    process.env.AZURE_OPENAI_API_VERSION = "2025-01-01-preview"
    await modelRequest("azure:gpt-4o-mini", prompt)
    expect(first.requests.map((r) => r.query.get("api-version"))).toEqual(["2024-10-21", "2025-01-01-preview"])
  })

  it("only the variables of the string's own provider count", async () => {
    process.env.OPENAI_API_KEY = "key-one"
    process.env.OPENAI_BASE_URL = first.openaiBaseURL
    const built = runtimeFor("openai:gpt-4o-mini")
    await built.runtime()
    process.env.ANTHROPIC_API_KEY = "another"
    process.env.GEMINI_BASE_URL = second.googleBaseURL
    process.env.AZURE_OPENAI_ENDPOINT = second.azureEndpoint
    expect(runtimeFor("openai:gpt-4o-mini")).toBe(built)
    process.env.OPENAI_ORG_ID = "org-2"
    const again = runtimeFor("openai:gpt-4o-mini")
    expect(again).not.toBe(built)
    delete process.env.OPENAI_ORG_ID
    // the earlier configuration is back: its runtime serves it again
    expect(runtimeFor("openai:gpt-4o-mini")).toBe(built)
  })
})
