/**
 * The peers, as contenders of the request and stream scenarios: the Vercel AI SDK (`ai` with
 * `@ai-sdk/openai` / `@ai-sdk/anthropic`) and `@effect/ai-openai` (over `@effect/platform`'s
 * FetchHttpClient). Each is built once in `prepare` (providers, layers, runtimes), like ours.
 * The OpenAI peers that speak the Responses API run against the emulator's `/v1/responses`
 * route; Vercel's `openai.chat(...)` speaks Chat Completions like the raw baseline.
 * Every call: no retries, the same prompt, Anthropic's max_tokens 4096 (as ours and the raw call).
 */
import { performance } from "node:perf_hooks"
import type { Layer } from "effect"
import type { EmulatorEndpoints } from "./emulator.js"
import { ANTHROPIC_MAX_TOKENS, ANTHROPIC_MODEL, API_KEY, OPENAI_MODEL, PROMPT, STREAM_HEADERS } from "./payload.js"
import type { Contender, Op } from "../scenarios/types.js"

type VercelTarget = "openai-chat" | "openai-responses" | "anthropic"

const vercelModel = async (target: VercelTarget, env: EmulatorEndpoints) => {
  if (target === "anthropic") {
    const { createAnthropic } = await import("@ai-sdk/anthropic")
    return createAnthropic({ apiKey: API_KEY, baseURL: `${env.anthropicBaseURL}/v1` })(ANTHROPIC_MODEL)
  }
  const { createOpenAI } = await import("@ai-sdk/openai")
  const provider = createOpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL })
  return target === "openai-chat" ? provider.chat(OPENAI_MODEL) : provider(OPENAI_MODEL)
}

const vercelLabel = (target: VercelTarget, what: string): string =>
  target === "openai-chat" ? `Vercel ai ${what}, openai.chat (Chat Completions)` : target === "openai-responses" ? `Vercel ai ${what}, openai (Responses API, its default)` : `Vercel ai ${what}, anthropic`

/** Vercel `generateText`. */
export const vercelRequest = (target: VercelTarget): Contender => ({
  label: vercelLabel(target, "generateText"),
  peer: true,
  prepare: async (env) => {
    const { generateText } = await import("ai")
    const model = await vercelModel(target, env)
    const extra = target === "anthropic" ? { maxOutputTokens: ANTHROPIC_MAX_TOKENS } : {}
    const call = () => generateText({ model, prompt: PROMPT, maxRetries: 0, ...extra })
    return {
      run: async () => {
        await call()
      },
      sample: async () => ({ text: (await call()).text })
    }
  }
})

/** Vercel `streamText`, its `fullStream` iterated to the end. */
export const vercelStream = (target: VercelTarget): Contender => ({
  label: vercelLabel(target, "streamText (for await fullStream)"),
  peer: true,
  prepare: async (env) => {
    const { streamText } = await import("ai")
    const model = await vercelModel(target, env)
    const extra = target === "anthropic" ? { maxOutputTokens: ANTHROPIC_MAX_TOKENS } : {}
    let failure: unknown
    const open = () => streamText({ model, prompt: PROMPT, maxRetries: 0, headers: { ...STREAM_HEADERS }, onError: ({ error }) => void (failure = error), ...extra })
    const check = () => {
      if (failure !== undefined) {
        const error = failure
        failure = undefined
        throw error
      }
    }
    return {
      run: async () => {
        const start = performance.now()
        let first: number | undefined
        for await (const part of open().fullStream) {
          if (first === undefined && part.type === "text-delta") first = performance.now() - start
        }
        check()
        return first
      },
      sample: async () => {
        let text = ""
        let deltas = 0
        for await (const part of open().fullStream) {
          if (part.type === "text-delta" && part.text !== "") {
            deltas++
            text += part.text
          }
        }
        check()
        return { text, deltas }
      }
    }
  }
})

const effectAi = async (env: EmulatorEndpoints, headers: Readonly<Record<string, string>>) => {
  const { Layer: L, ManagedRuntime, Redacted } = await import("effect")
  const { FetchHttpClient, HttpClient, HttpClientRequest } = await import("@effect/platform")
  const { OpenAiClient, OpenAiLanguageModel } = await import("@effect/ai-openai")
  const ai = await import("@effect/ai")
  const client = OpenAiClient.layer({
    apiKey: Redacted.make(API_KEY),
    apiUrl: env.openaiBaseURL,
    transformClient: (c) => (Object.keys(headers).length === 0 ? c : HttpClient.mapRequest(c, HttpClientRequest.setHeaders(headers)))
  }).pipe(L.provide(FetchHttpClient.layer))
  const model = OpenAiLanguageModel.model(OPENAI_MODEL)
  // AiModel.Model is a Layer of the LanguageModel over the client
  const runtime = ManagedRuntime.make(L.provide(model as unknown as Layer.Layer<import("@effect/ai").LanguageModel.LanguageModel, never, import("@effect/ai-openai").OpenAiClient.OpenAiClient>, client))
  await runtime.runtime()
  return { runtime, ai }
}

/** `@effect/ai`'s `LanguageModel.generateText` on `@effect/ai-openai` (Responses API). */
export const effectAiRequest: Contender = {
  label: "@effect/ai-openai generateText (Responses API)",
  peer: true,
  prepare: async (env): Promise<Op> => {
    const { runtime, ai } = await effectAi(env, {})
    const call = () => runtime.runPromise(ai.LanguageModel.generateText({ prompt: PROMPT }))
    return {
      run: async () => {
        await call()
      },
      sample: async () => ({ text: (await call()).text }),
      close: () => runtime.dispose()
    }
  }
}

/** `@effect/ai`'s `LanguageModel.streamText` on `@effect/ai-openai`, drained. */
export const effectAiStream: Contender = {
  label: "@effect/ai-openai streamText (Responses API, Stream)",
  peer: true,
  prepare: async (env): Promise<Op> => {
    const { Stream } = await import("effect")
    const { runtime, ai } = await effectAi(env, STREAM_HEADERS)
    const open = () => ai.LanguageModel.streamText({ prompt: PROMPT })
    return {
      run: async () => {
        const start = performance.now()
        let first: number | undefined
        await runtime.runPromise(Stream.runDrain(Stream.mapChunks(open(), (chunk) => {
          if (first === undefined) for (const part of chunk) if (part.type === "text-delta") first ??= performance.now() - start
          return chunk
        })))
        return first
      },
      sample: async () => {
        const parts = await runtime.runPromise(Stream.runCollect(open()))
        let text = ""
        let deltas = 0
        for (const part of parts) {
          if (part.type === "text-delta" && part.delta !== "") {
            deltas++
            text += part.delta
          }
        }
        return { text, deltas }
      },
      close: () => runtime.dispose()
    }
  }
}

/**
 * The raw `openai` SDK's `responses.create`, the prompt as one user input item (as our model
 * sends it); `signal`: a fresh AbortSignal per call. The Responses scenarios' baseline, and a
 * peer of the chat request scenario.
 */
export const rawResponsesRequestOp = (signal: boolean): Contender["prepare"] => async (env) => {
  const { default: OpenAI } = await import("openai")
  const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL, maxRetries: 0 })
  const call = () => client.responses.create({ model: OPENAI_MODEL, input: [{ role: "user", content: PROMPT }] }, signal ? { signal: new AbortController().signal } : undefined)
  return {
    run: async () => {
      await call()
    },
    sample: async () => ({ text: (await call()).output_text })
  }
}

/** The same streamed (`stream: true`), every event iterated; the time to the first text delta. */
export const rawResponsesStreamOp = (signal: boolean): Contender["prepare"] => async (env) => {
  const { default: OpenAI } = await import("openai")
  const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseURL, maxRetries: 0 })
  const open = () =>
    client.responses.create(
      { model: OPENAI_MODEL, input: [{ role: "user", content: PROMPT }], stream: true },
      signal ? { headers: STREAM_HEADERS, signal: new AbortController().signal } : { headers: STREAM_HEADERS }
    )
  return {
    run: async () => {
      const start = performance.now()
      let first: number | undefined
      for await (const event of await open()) {
        if (first === undefined && event.type === "response.output_text.delta") first = performance.now() - start
      }
      return first
    },
    sample: async () => {
      let text = ""
      let deltas = 0
      for await (const event of await open()) {
        if (event.type === "response.output_text.delta") {
          deltas++
          text += event.delta
        }
      }
      return { text, deltas }
    }
  }
}

/** The raw `openai` SDK on the Responses API: what that API costs the SDK, next to chat.completions. */
export const rawResponsesRequest: Contender = { label: "raw openai SDK responses.create (Responses API)", peer: true, prepare: rawResponsesRequestOp(false) }

/** The same streamed, next to the chat stream. */
export const rawResponsesStream: Contender = { label: "raw openai SDK responses.create stream (Responses API)", peer: true, prepare: rawResponsesStreamOp(false) }
