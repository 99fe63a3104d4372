/** The work every contender of a scenario does: the same prompt, model and emulator steering. */

export const PROMPT = "What is the capital of France?"
export const OPENAI_MODEL = "gpt-4o-mini"
export const ANTHROPIC_MODEL = "claude-haiku-4-5"
/** Text deltas in a streamed answer; the emulator honours `x-emulator-deltas`. */
export const STREAM_DELTAS = 200
export const STREAM_HEADERS: Readonly<Record<string, string>> = { "x-emulator-deltas": String(STREAM_DELTAS) }
/** The emulator accepts any key but one containing "invalid". */
export const API_KEY = "sk-bench-emulator"
/** Anthropic requires max_tokens; our provider defaults it to 4096, so the raw call sends that too. */
export const ANTHROPIC_MAX_TOKENS = 4096

/** Compares a contender's output with the baseline's: the same text, and for streams the same delta count. */
export const sameOutput = (baseline: { text: string; deltas?: number }, other: { text: string; deltas?: number }): string | undefined => {
  if (other.text !== baseline.text) return `its text differs from the baseline's (${other.text.length} vs ${baseline.text.length} chars)`
  if (baseline.deltas !== undefined && other.deltas !== undefined && other.deltas !== baseline.deltas) {
    return `it saw ${other.deltas} text deltas, the baseline ${baseline.deltas}`
  }
  return undefined
}
