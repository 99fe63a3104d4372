/**
 * The recorded OpenAI exchanges (test/fixtures/recorded, VCR YAML from pydantic-ai's suite), and
 * what each response says, read straight from the file, independent of the codec under test.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"

const dir = path.join(import.meta.dirname, "..", "fixtures", "recorded")

/** One recorded request/response pair. */
export interface Interaction {
  readonly file: string
  readonly index: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly requestBody: any
  readonly status: number
  /** the JSON response body, for non-streamed exchanges */
  readonly json?: unknown
  /** the raw SSE body, for streamed exchanges */
  readonly sse?: string
}

/** Every interaction of every OpenAI (and dbos, which records OpenAI) cassette. */
export const openAiInteractions = (): ReadonlyArray<Interaction> =>
  fs.readdirSync(dir)
    .filter((f) => /^test_(openai|dbos)__.*\.yaml$/.test(f))
    .sort()
    .flatMap((file) => {
      const doc = parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
        interactions: Array<{ request: { parsed_body: unknown }; response: { status: { code: number }; parsed_body?: unknown; body?: { string: string } } }>
      }
      return doc.interactions.map((interaction, index): Interaction => ({
        file,
        index,
        requestBody: interaction.request.parsed_body,
        status: interaction.response.status.code,
        ...(interaction.response.parsed_body !== undefined ? { json: interaction.response.parsed_body } : {}),
        ...(interaction.response.body?.string !== undefined ? { sse: interaction.response.body.string } : {})
      }))
    })

/** The SSE frames of a recorded body, each with its trailing blank line, bytes untouched. */
export const sseFrames = (body: string): Array<string> => body.split(/(?<=\n\n)/)

/** What a recorded response says: text, tool calls, usage and finish reason. */
export interface Expected {
  readonly id: string
  readonly model: string
  readonly text: string
  readonly toolCalls: ReadonlyArray<{ readonly id: string; readonly name: string; readonly args: unknown }>
  readonly finishReason: string
  readonly promptTokens: number
  readonly completionTokens: number
  readonly cachedTokens: number
  readonly reasoningTokens: number
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const usageOf = (usage: any) => ({
  promptTokens: usage?.prompt_tokens ?? 0,
  completionTokens: usage?.completion_tokens ?? 0,
  cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0
})

/** Reads a recorded `chat.completion` body. */
export const expectedFromJson = (body: any): Expected => {
  const choice = body.choices[0]
  return {
    id: body.id,
    model: body.model,
    text: (choice.message.content ?? "") + (choice.message.refusal ?? ""),
    toolCalls: (choice.message.tool_calls ?? []).map((c: any) => ({ id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) })),
    finishReason: choice.finish_reason,
    ...usageOf(body.usage)
  }
}

/** Reads a recorded SSE body by hand: concatenates the deltas, keeps the last usage. */
export const expectedFromSse = (body: string): Expected => {
  let id = ""
  let model = ""
  let text = ""
  let finishReason = ""
  let usage: any
  const calls = new Map<number, { id: string; name: string; args: string }>()
  for (const line of body.split("\n")) {
    if (!line.startsWith("data: ") || line.trim() === "data: [DONE]") continue
    const chunk = JSON.parse(line.slice(6))
    id ||= chunk.id
    model ||= chunk.model
    if (chunk.usage) usage = chunk.usage
    for (const choice of chunk.choices ?? []) {
      text += choice.delta?.content ?? ""
      text += choice.delta?.refusal ?? ""
      for (const tc of choice.delta?.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { id: "", name: "", args: "" }
        call.id ||= tc.id ?? ""
        call.name ||= tc.function?.name ?? ""
        call.args += tc.function?.arguments ?? ""
        calls.set(tc.index, call)
      }
      if (choice.finish_reason) finishReason = choice.finish_reason
    }
  }
  return {
    id,
    model,
    text,
    toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => ({ id: c.id, name: c.name, args: JSON.parse(c.args) })),
    finishReason,
    ...usageOf(usage)
  }
}
