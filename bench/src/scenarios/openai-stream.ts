/**
 * One streamed chat request answered in exactly 200 text deltas (the emulator's
 * `x-emulator-deltas` header), consumed to the end: raw `openai` SDK streaming (iterate every
 * chunk) against `LanguageModel.requestStream` (Stream.runDrain) and the facade's
 * `modelRequestStream` (for await).
 */
import OpenAI from "openai"
import { API_KEY, OPENAI_MODEL, PROMPT, sameOutput, STREAM_HEADERS } from "../lib/payload.js"
import { collect, describeEvents, drainTimed, facade, iterateTimed, ourModel } from "../lib/ours.js"
import { performance } from "node:perf_hooks"
import { effectAiStream, rawResponsesStream, vercelStream } from "../lib/peers.js"
import type { Contender, Scenario } from "./types.js"

/**
 * The raw SDK call; `signal`: with a fresh AbortSignal per call, as any cancellable wrapper must pass
 * (the SDK then composes it with its own timeout signal), a reference for what cancellation costs.
 */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw openai SDK stream (for await chunks), with an AbortSignal (what cancellation costs)" : "raw openai SDK stream (for await chunks)",
  prepare: async (env) => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL, maxRetries: 0 })
    const open = () =>
      client.chat.completions.create(
        { model: OPENAI_MODEL, messages: [{ role: "user", content: PROMPT }], stream: true, stream_options: { include_usage: true } },
        signal ? { headers: STREAM_HEADERS, signal: new AbortController().signal } : { headers: STREAM_HEADERS }
      )
    return {
      run: async () => {
        const start = performance.now()
        let first: number | undefined
        for await (const chunk of await open()) {
          if (first === undefined && (chunk.choices[0]?.delta.content ?? "") !== "") first = performance.now() - start
        }
        return first
      },
      sample: async () => {
        let text = ""
        let deltas = 0
        for await (const chunk of await open()) {
          const content = chunk.choices[0]?.delta.content
          if (content) {
            deltas++
            text += content
          }
        }
        return { text, deltas }
      }
    }
  }
})

export const openAiStream: Scenario = {
  id: "openai-stream",
  title: "OpenAI chat stream, 200 text deltas",
  goal: 1.1,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.requestStream (Stream.runDrain)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("OpenAi", OPENAI_MODEL, env.openaiBaseURL)
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
      label: "facade modelRequestStream (for await)",
      prepare: async (env) => {
        const { modelRequestStream, ModelRequest, disposeAll } = await facade({ OPENAI_BASE_URL: env.openaiBaseURL, OPENAI_API_KEY: API_KEY })
        const model = `openai:${OPENAI_MODEL}`
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
    },
    vercelStream("openai-chat"),
    vercelStream("openai-responses"),
    effectAiStream,
    rawResponsesStream
  ]
}
