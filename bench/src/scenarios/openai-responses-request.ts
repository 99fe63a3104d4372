/**
 * One non-streamed request on OpenAI's Responses API to the emulator: the raw `openai` SDK's
 * `responses.create` against `LanguageModel.request` on `OpenAi.responsesLanguageModel` and the
 * facade's `modelRequest("openai-responses:…")`.
 */
import { API_KEY, OPENAI_MODEL, PROMPT, sameOutput } from "../lib/payload.js"
import { rawResponsesRequestOp } from "../lib/peers.js"
import { facade, ourModel } from "../lib/ours.js"
import type { Contender, Scenario } from "./types.js"

/** The raw SDK call; `signal`: with a fresh AbortSignal per call, what cancellation costs the SDK itself. */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw openai SDK responses.create, with an AbortSignal (what cancellation costs)" : "raw openai SDK responses.create",
  prepare: rawResponsesRequestOp(signal)
})

export const openAiResponsesRequest: Scenario = {
  id: "openai-responses-request",
  title: "OpenAI Responses request (non-streamed)",
  goal: 1.05,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.request (OpenAi.responsesLanguageModel)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("OpenAi", OPENAI_MODEL, env.openaiBaseURL, "responsesLanguageModel")
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
      label: "facade modelRequest(\"openai-responses:…\")",
      prepare: async (env) => {
        const { modelRequest, ModelRequest, disposeAll } = await facade({ OPENAI_BASE_URL: env.openaiBaseURL, OPENAI_API_KEY: API_KEY })
        const model = `openai-responses:${OPENAI_MODEL}`
        const call = () => modelRequest(model, [ModelRequest.userTextPrompt(PROMPT)])
        return {
          run: async () => {
            await call()
          },
          sample: async () => ({ text: (await call()).text }),
          close: () => disposeAll()
        }
      }
    }
  ]
}
