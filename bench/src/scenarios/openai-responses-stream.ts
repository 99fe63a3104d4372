/**
 * One streamed request on OpenAI's Responses API answered in exactly 200 text deltas (the
 * emulator's `x-emulator-deltas` header), consumed to the end: the raw `openai` SDK's
 * `responses.create({ stream: true })` (iterate every event) against `LanguageModel.requestStream`
 * on `OpenAi.responsesLanguageModel` (Stream.runDrain) and the facade's `modelRequestStream`.
 */
import { API_KEY, OPENAI_MODEL, PROMPT, sameOutput, STREAM_HEADERS } from "../lib/payload.js"
import { rawResponsesStreamOp } from "../lib/peers.js"
import { collect, describeEvents, drainTimed, facade, iterateTimed, ourModel } from "../lib/ours.js"
import type { Contender, Scenario } from "./types.js"

/** The raw SDK stream; `signal`: with a fresh AbortSignal per call, what cancellation costs the SDK itself. */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw openai SDK responses stream (for await events), with an AbortSignal (what cancellation costs)" : "raw openai SDK responses stream (for await events)",
  prepare: rawResponsesStreamOp(signal)
})

export const openAiResponsesStream: Scenario = {
  id: "openai-responses-stream",
  title: "OpenAI Responses stream, 200 text deltas",
  goal: 1.1,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.requestStream (OpenAi.responsesLanguageModel, Stream.runDrain)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("OpenAi", OPENAI_MODEL, env.openaiBaseURL, "responsesLanguageModel")
        const { LanguageModel, Message } = lib
        const stream = () => LanguageModel.requestStream([Message.ModelRequest.userTextPrompt(PROMPT)], { settings: { extraHeaders: STREAM_HEADERS } })
        return {
          run: () => drainTimed(stream(), runtime),
          sample: async () => describeEvents(await collect(stream(), runtime)),
          close: () => runtime.dispose()
        }
      }
    },
    {
      label: "facade modelRequestStream(\"openai-responses:…\") (for await)",
      prepare: async (env) => {
        const { modelRequestStream, ModelRequest, disposeAll } = await facade({ OPENAI_BASE_URL: env.openaiBaseURL, OPENAI_API_KEY: API_KEY })
        const model = `openai-responses:${OPENAI_MODEL}`
        const open = () => modelRequestStream(model, [ModelRequest.userTextPrompt(PROMPT)], { modelSettings: { extraHeaders: STREAM_HEADERS } })
        return {
          run: () => iterateTimed(open()),
          sample: async () => {
            const events = []
            for await (const event of open()) events.push(event)
            return describeEvents(events)
          },
          close: () => disposeAll()
        }
      }
    }
  ]
}
