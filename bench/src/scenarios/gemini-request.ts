/**
 * One non-streamed generateContent request to the emulator's Gemini routes: the raw
 * `@google/genai` SDK against `LanguageModel.request` on the Gemini layer
 * (`effect-llm-direct/google`). Both clients call v1beta (the library's default; the SDK's own is v1)
 * and run without SDK retries (the SDK's default).
 */
import { GoogleGenAI } from "@google/genai"
import { Layer, ManagedRuntime, Redacted } from "effect"
import { API_KEY, PROMPT, sameOutput } from "../lib/payload.js"
import { library } from "../lib/library.js"
import { type Contender, type Scenario, Unavailable } from "./types.js"

/** The model the Gemini scenario asks for. */
export const GEMINI_MODEL = "gemini-2.5-flash"

const baseURLOf = (env: { readonly googleBaseURL?: string | undefined }): string => {
  if (env.googleBaseURL === undefined) throw new Unavailable("the emulator has no Gemini routes (rebuild the library: npm --prefix .. run build)")
  return env.googleBaseURL
}

/** The raw SDK call; `signal`: with a fresh AbortSignal per call, as a cancellable wrapper passes. */
const rawContender = (signal: boolean): Contender => ({
  peer: signal,
  label: signal ? "raw @google/genai models.generateContent, with an AbortSignal (what cancellation costs)" : "raw @google/genai models.generateContent",
  prepare: async (env) => {
    const client = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta", httpOptions: { baseUrl: baseURLOf(env) } })
    const call = () =>
      client.models.generateContent({
        model: GEMINI_MODEL,
        contents: [{ role: "user", parts: [{ text: PROMPT }] }],
        ...(signal ? { config: { abortSignal: new AbortController().signal } } : {})
      })
    return {
      run: async () => {
        await call()
      },
      sample: async () => ({ text: (await call()).text ?? "" })
    }
  }
})

export const geminiRequest: Scenario = {
  id: "gemini-request",
  title: "Gemini generateContent request (non-streamed)",
  goal: 1.05,
  compare: sameOutput,
  contenders: [
    rawContender(false),
    rawContender(true),
    {
      label: "LanguageModel.request (Gemini layer)",
      prepare: async (env) => {
        const lib = await library()
        let google: typeof import("effect-llm-direct/google")
        try {
          google = await import("effect-llm-direct/google")
        } catch (error) {
          throw new Unavailable(`effect-llm-direct/google does not load (${error instanceof Error ? error.message : String(error)})`)
        }
        const { Google } = google
        const layer = Google.languageModel(GEMINI_MODEL).pipe(Layer.provide(Google.layer({ apiKey: Redacted.make(API_KEY), baseURL: baseURLOf(env) })))
        const runtime = ManagedRuntime.make(layer)
        await runtime.runtime()
        const call = () => runtime.runPromise(lib.LanguageModel.request([lib.Message.ModelRequest.userTextPrompt(PROMPT)]))
        return {
          run: async () => {
            await call()
          },
          sample: async () => ({ text: (await call()).text }),
          close: () => runtime.dispose()
        }
      }
    }
  ]
}
