/**
 * One streamed Messages request answered in exactly 200 `text_delta` events, consumed to the
 * end: raw `@anthropic-ai/sdk` streaming (`messages.create({ stream: true })`, iterate every
 * event) against `LanguageModel.requestStream` (Stream.runDrain) and the facade's
 * `modelRequestStream` (for await).
 */
import { ANTHROPIC_MAX_TOKENS, ANTHROPIC_MODEL, API_KEY, PROMPT, sameOutput, STREAM_HEADERS } from "../lib/payload.js"
import { collect, describeEvents, drainTimed, facade, iterateTimed, ourModel } from "../lib/ours.js"
import { rawAnthropicClient } from "./anthropic-request.js"
import { performance } from "node:perf_hooks"
import { vercelStream } from "../lib/peers.js"
import type { Contender, Scenario } from "./types.js"

/**
 * The raw SDK call; `signal`: with a fresh AbortSignal per call, as any cancellable wrapper must pass
 * (the SDK then composes it with its own timeout signal), a reference for what cancellation costs.
 */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw @anthropic-ai/sdk stream (for await events), with an AbortSignal (what cancellation costs)" : "raw @anthropic-ai/sdk stream (for await events)",
  prepare: async (env) => {
    const client = rawAnthropicClient(env.anthropicBaseURL)
    const open = () =>
      client.messages.create(
        { model: ANTHROPIC_MODEL, max_tokens: ANTHROPIC_MAX_TOKENS, messages: [{ role: "user", content: PROMPT }], stream: true },
        signal ? { headers: STREAM_HEADERS, signal: new AbortController().signal } : { headers: STREAM_HEADERS }
      )
    return {
      run: async () => {
        const start = performance.now()
        let first: number | undefined
        for await (const event of await open()) {
          if (first === undefined && event.type === "content_block_delta" && event.delta.type === "text_delta" && event.delta.text !== "") first = performance.now() - start
        }
        return first
      },
      sample: async () => {
        let text = ""
        let deltas = 0
        for await (const event of await open()) {
          if (event.type === "content_block_delta" && event.delta.type === "text_delta" && event.delta.text !== "") {
            deltas++
            text += event.delta.text
          }
        }
        return { text, deltas }
      }
    }
  }
})

export const anthropicStream: Scenario = {
  id: "anthropic-stream",
  title: "Anthropic messages stream, 200 text deltas",
  goal: 1.1,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.requestStream (Stream.runDrain)",
      prepare: async (env) => {
        const { lib, runtime } = await ourModel("Anthropic", ANTHROPIC_MODEL, env.anthropicBaseURL)
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
        const { modelRequestStream, ModelRequest, disposeAll } = await facade({ ANTHROPIC_BASE_URL: env.anthropicBaseURL, ANTHROPIC_API_KEY: API_KEY })
        const model = `anthropic:${ANTHROPIC_MODEL}`
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
    vercelStream("anthropic")
  ]
}
