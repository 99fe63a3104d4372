/**
 * One non-streamed chat request to the emulator's OpenAI routes: the raw `openai` SDK against
 * `LanguageModel.request` on the OpenAI layer and against the facade's `modelRequest`.
 */
import OpenAI from "openai"
import { API_KEY, OPENAI_MODEL, PROMPT, sameOutput } from "../lib/payload.js"
import { facade, ourModel } from "../lib/ours.js"
import { effectAiRequest, rawResponsesRequest, vercelRequest } from "../lib/peers.js"
import type { Contender, Scenario } from "./types.js"

/**
 * The raw SDK call; `signal`: with a fresh AbortSignal per call, as any cancellable wrapper must pass
 * (the SDK then composes it with its own timeout signal), a reference for what cancellation costs.
 */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw openai SDK chat.completions.create, with an AbortSignal (what cancellation costs)" : "raw openai SDK chat.completions.create",
  prepare: async (env) => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL, maxRetries: 0 })
    const call = () => client.chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: "user", content: PROMPT }] }, signal ? { signal: new AbortController().signal } : undefined)
    return {
      run: async () => {
        await call()
      },
      sample: async () => ({ text: (await call()).choices[0]?.message.content ?? "" })
    }
  }
})

export const openAiRequest: Scenario = {
  id: "openai-request",
  title: "OpenAI chat request (non-streamed)",
  goal: 1.05,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.request (OpenAi layer)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("OpenAi", OPENAI_MODEL, env.openaiBaseURL)
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
      label: "facade modelRequest(\"openai:…\")",
      prepare: async (env) => {
        const { modelRequest, ModelRequest, disposeAll } = await facade({ OPENAI_BASE_URL: env.openaiBaseURL, OPENAI_API_KEY: API_KEY })
        const model = `openai:${OPENAI_MODEL}`
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
    vercelRequest("openai-chat"),
    vercelRequest("openai-responses"),
    effectAiRequest,
    rawResponsesRequest
  ]
}
