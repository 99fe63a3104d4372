/**
 * Gemini's built-in tools on the emulator, on only when a request offers them: `codeExecution`
 * answers with an `executableCode` part and its `codeExecutionResult` before the text,
 * `googleSearch` with `groundingMetadata` (the queries, one web chunk, a support and the search
 * entry point), `urlContext` with `urlContextMetadata` for the URLs in the prompt. Streamed,
 * the code parts come as chunks of their own and the metadata with the last chunk, as the API
 * sends them.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { asArray, type Json } from "../json.js"

/**
 * What the built-in tools add to an answer.
 *
 * @since 0.2.0
 * @category models
 */
export interface BuiltinAnswer {
  readonly code: { readonly language: string; readonly code: string; readonly outcome: string; readonly output: string } | undefined
  readonly grounding: Json | undefined
  readonly urlContext: Json | undefined
}

/**
 * Which built-in tools a request body offers.
 *
 * @since 0.2.0
 * @category utils
 */
const offeredBuiltins = (body: Json): { readonly codeExecution: boolean; readonly googleSearch: boolean; readonly urlContext: boolean } => {
  const tools = asArray(body.tools).filter(isRecord)
  return {
    codeExecution: tools.some((t) => t.codeExecution !== undefined),
    googleSearch: tools.some((t) => t.googleSearch !== undefined || t.googleSearchRetrieval !== undefined),
    urlContext: tools.some((t) => t.urlContext !== undefined)
  }
}

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "query"

/**
 * The built-in tools' share of the answer to `prompt` (whose answer text is `text`).
 *
 * @since 0.2.0
 * @category utils
 */
export const builtinAnswer = (body: Json, prompt: string, text: string | undefined): BuiltinAnswer => {
  const offered = offeredBuiltins(body)
  const subject = prompt.slice(0, 40)
  const query = prompt.slice(0, 60)
  const urls = [...prompt.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0])
  return {
    code: offered.codeExecution
      ? { language: "PYTHON", code: `print(len(${JSON.stringify(subject)}))\n`, outcome: "OUTCOME_OK", output: `${subject.length}\n` }
      : undefined,
    grounding: offered.googleSearch
      ? {
          webSearchQueries: [query],
          searchEntryPoint: { renderedContent: `<div class="search-entry">${query.replace(/[<>&]/g, "")}</div>` },
          groundingChunks: [{ web: { uri: `https://example.com/search/${slug(query)}`, title: "example.com", domain: "example.com" } }],
          groundingSupports: text !== undefined && text !== ""
            ? [{ segment: { startIndex: 0, endIndex: Math.min(text.length, 20), text: text.slice(0, 20) }, groundingChunkIndices: [0], confidenceScores: [0.9] }]
            : []
        }
      : undefined,
    urlContext: offered.urlContext
      ? { urlMetadata: urls.map((url) => ({ retrievedUrl: url, urlRetrievalStatus: "URL_RETRIEVAL_STATUS_SUCCESS" })) }
      : undefined
  }
}

/**
 * The code execution parts of an answer: the code, then its result.
 *
 * @since 0.2.0
 * @category codecs
 */
export const codeParts = (b: BuiltinAnswer): Array<Json> =>
  b.code === undefined ? [] : [
    { executableCode: { language: b.code.language, code: b.code.code } },
    { codeExecutionResult: { outcome: b.code.outcome, output: b.code.output } }
  ]

/**
 * The candidate fields the built-in tools add (`groundingMetadata`, `urlContextMetadata`).
 *
 * @since 0.2.0
 * @category codecs
 */
export const candidateMetadata = (b: BuiltinAnswer): Json => ({
  ...(b.grounding !== undefined ? { groundingMetadata: b.grounding } : {}),
  ...(b.urlContext !== undefined ? { urlContextMetadata: b.urlContext } : {})
})
