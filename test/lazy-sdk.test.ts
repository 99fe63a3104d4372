/**
 * The provider SDKs are imported when a client is built, not when effect-llm-direct is: with
 * the `openai` and `@anthropic-ai/sdk` main modules hidden (a resolve hook, in a child process),
 * every entry still loads and a program on the test models runs; building a client is what
 * imports its SDK.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const runWithoutSdks = (script: string) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "--import", "./test/helpers/hide-provider-sdks.mjs", "-e", script], { timeout: 60_000 })

describe("the provider SDKs load with their clients", () => {
  it("every entry loads, and a program on the test models runs, without either SDK", async () => {
    const { stdout } = await runWithoutSdks(`
      for (const entry of ["./src/index.ts", "./src/direct/index.ts", "./src/testing/index.ts"]) await import(entry)
      const { Effect } = await import("effect")
      const { LanguageModel, Message } = await import("./src/index.ts")
      const { TestModel } = await import("./src/testing/index.ts")
      const response = await Effect.runPromise(
        LanguageModel.request([Message.ModelRequest.userTextPrompt("Hi")]).pipe(Effect.provide(TestModel.layer({ customOutputText: "hello" })))
      )
      console.log("answered", response.text)`)
    expect(stdout).toContain("answered hello")
  }, 60_000)

  it("building a client is what imports its SDK", async () => {
    const { stdout } = await runWithoutSdks(`
      const { Effect, Layer } = await import("effect")
      const { Anthropic, OpenAi } = await import("./src/index.ts")
      const build = (layer) => Effect.runPromiseExit(Effect.scoped(Layer.build(layer))).then((exit) => exit._tag === "Success" ? "built" : String(exit.cause))
      console.log("openai:", await build(OpenAi.layer({ apiKey: "k" })))
      console.log("anthropic:", await build(Anthropic.layer({ apiKey: "k" })))`)
    expect(stdout).toMatch(/openai: .*Cannot find package 'openai' \(hidden by the test\)/)
    expect(stdout).toMatch(/anthropic: .*Cannot find package '@anthropic-ai\/sdk' \(hidden by the test\)/)
  }, 60_000)
})
