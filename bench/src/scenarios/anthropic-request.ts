/**
 * One non-streamed Messages request to the emulator's Anthropic routes: the raw
 * `@anthropic-ai/sdk` against `LanguageModel.request` on the Anthropic layer and the facade.
 * The raw client runs with `openTelemetry: false`, as our layer's client does, so the ratio
 * measures our code only (the SDK's default no-op spans would slow the baseline, not us).
 */
import Anthropic from "@anthropic-ai/sdk"
import { ANTHROPIC_MAX_TOKENS, ANTHROPIC_MODEL, API_KEY, PROMPT, sameOutput } from "../lib/payload.js"
import { facade, ourModel } from "../lib/ours.js"
import { vercelRequest } from "../lib/peers.js"
import type { Contender, Scenario } from "./types.js"

/**
 * The raw SDK call; `signal`: with a fresh AbortSignal per call, as any cancellable wrapper must pass
 * (the SDK then composes it with its own timeout signal), a reference for what cancellation costs.
 */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw @anthropic-ai/sdk messages.create, with an AbortSignal (what cancellation costs)" : "raw @anthropic-ai/sdk messages.create",
  prepare: async (env) => {
    const client = rawAnthropicClient(env.anthropicBaseURL)
    const call = () => client.messages.create({ model: ANTHROPIC_MODEL, max_tokens: ANTHROPIC_MAX_TOKENS, messages: [{ role: "user", content: PROMPT }] }, signal ? { signal: new AbortController().signal } : undefined)
    return {
      run: async () => {
        await call()
      },
      sample: async () => ({ text: (await call()).content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("") })
    }
  }
})

export const rawAnthropicClient = (baseURL: string): Anthropic => new Anthropic({ apiKey: API_KEY, baseURL, maxRetries: 0, openTelemetry: false })

export const anthropicRequest: Scenario = {
  id: "anthropic-request",
  title: "Anthropic messages request (non-streamed)",
  goal: 1.05,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.request (Anthropic layer)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("Anthropic", ANTHROPIC_MODEL, env.anthropicBaseURL)
        const { LanguageModel, Message } = lib
        const call = () => runtime.runPromise(LanguageModel.request([Message.ModelRequest.userTextPrompt(PROMPT)]))
        return {
          run: async () => {
            await call()
          },
          sample: async () => ({ text: (await call()).text }),
          close: () => runtime.dispose()
        }
      }
    },
    {
      label: "facade modelRequest(\"anthropic:…\")",
      prepare: async (env) => {
        const { modelRequest, ModelRequest, disposeAll } = await facade({ ANTHROPIC_BASE_URL: env.anthropicBaseURL, ANTHROPIC_API_KEY: API_KEY })
        const model = `anthropic:${ANTHROPIC_MODEL}`
        const call = () => modelRequest(model, [ModelRequest.userTextPrompt(PROMPT)])
        return {
          run: async () => {
            await call()
          },
          sample: async () => ({ text: (await call()).text }),
          close: () => disposeAll()
        }
      }
    },
    vercelRequest("anthropic")
  ]
}
