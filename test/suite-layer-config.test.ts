/**
 * Every provider's `layerConfig` reads its default variables (listed as `configVariables`), and
 * takes `Config`s of the caller's own in their place; a missing key names the variable read.
 */
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Anthropic } from "../src/anthropic.js"
import { AzureOpenAi } from "../src/azure.js"
import { Google } from "../src/google.js"
import { OpenAi } from "../src/openai.js"

const withEnv = (entries: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const build = <I = unknown>(layer: Layer.Layer<any, unknown>, tag: { readonly key: string }, env: Record<string, string>) =>
  Effect.runPromise(Effect.scoped(Effect.map(Layer.build(layer), (context) => context.unsafeMap.get(tag.key) as I)).pipe(withEnv(env), Effect.either))

describe("layerConfig", () => {
  it("lists the variables it reads by default", () => {
    expect(OpenAi.configVariables).toEqual(["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"])
    expect(Anthropic.configVariables).toEqual(["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_TIMEOUT"])
    expect(Google.configVariables).toEqual(["GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL", "GEMINI_TIMEOUT"])
    expect(AzureOpenAi.configVariables).toEqual(["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION"])
  })

  it("OpenAI: the defaults, or Configs of your own", async () => {
    const byDefault = await build<OpenAi.ClientService>(OpenAi.layerConfig(), OpenAi.OpenAiClient, { OPENAI_API_KEY: "k1", OPENAI_BASE_URL: "http://a/v1" })
    expect(byDefault._tag === "Right" && [Redacted.value(byDefault.right.apiKey), byDefault.right.sdk.baseURL]).toEqual(["k1", "http://a/v1"])
    const own = OpenAi.layerConfig({ apiKey: Config.redacted("MY_OPENAI_KEY"), baseURL: Config.string("MY_BASE") })
    const mine = await build<OpenAi.ClientService>(own, OpenAi.OpenAiClient, { MY_OPENAI_KEY: "k2", MY_BASE: "http://b/v1", OPENAI_API_KEY: "k1" })
    expect(mine._tag === "Right" && [Redacted.value(mine.right.apiKey), mine.right.sdk.baseURL]).toEqual(["k2", "http://b/v1"])
    const missing = await build(own, OpenAi.OpenAiClient, { OPENAI_API_KEY: "k1" })
    expect(missing._tag === "Left" && String(missing.left)).toContain("MY_OPENAI_KEY is not set")
  })

  it("Anthropic, Google and Azure: Configs of your own", async () => {
    const anthropic = await build<Anthropic.ClientService>(
      Anthropic.layerConfig({ apiKey: Config.redacted("MY_ANTHROPIC_KEY"), timeout: Config.number("MY_TIMEOUT") }),
      Anthropic.AnthropicClient,
      { MY_ANTHROPIC_KEY: "a1", MY_TIMEOUT: "2.5" }
    )
    expect(anthropic._tag === "Right" && [Redacted.value(anthropic.right.apiKey), anthropic.right.timeoutMs]).toEqual(["a1", 2500])
    const google = await build<Google.ClientService>(Google.layerConfig({ apiKey: Config.redacted("MY_GEMINI_KEY") }), Google.GoogleClient, { MY_GEMINI_KEY: "g1" })
    expect(google._tag === "Right" && Redacted.value(google.right.apiKey)).toBe("g1")
    const googleMissing = await build(Google.layerConfig(), Google.GoogleClient, {})
    expect(googleMissing._tag === "Left" && String(googleMissing.left)).toContain("GEMINI_API_KEY (or GOOGLE_API_KEY) is not set")
    const azure = await build<AzureOpenAi.ClientService>(
      AzureOpenAi.layerConfig({ endpoint: Config.string("MY_AZURE_ENDPOINT"), apiKey: Config.redacted("MY_AZURE_KEY") }),
      AzureOpenAi.OpenAiClient,
      { MY_AZURE_ENDPOINT: "https://r.openai.azure.com", MY_AZURE_KEY: "z1" }
    )
    expect(azure._tag === "Right" && [Redacted.value(azure.right.apiKey), azure.right.sdk.baseURL]).toEqual(["z1", "https://r.openai.azure.com/openai"])
    const azureMissing = await build(AzureOpenAi.layerConfig({ endpoint: Config.string("MY_AZURE_ENDPOINT") }), AzureOpenAi.OpenAiClient, { MY_AZURE_ENDPOINT: "https://r" })
    expect(azureMissing._tag === "Left" && String(azureMissing.left)).toContain("AZURE_OPENAI_API_KEY is not set")
  })
})
