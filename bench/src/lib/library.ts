/**
 * Loads the library under test from its built package (effect-llm-direct → dist/), failing with
 * `Unavailable` when a part is not there yet (a provider not written, dist not built), so the
 * scenario shows the contender as skipped instead of crashing the run.
 */
import { Unavailable } from "../scenarios/types.js"

type Library = typeof import("effect-llm-direct")
type Direct = typeof import("effect-llm-direct/direct")

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0]!

export const library = async (): Promise<Library> => {
  try {
    return await import("effect-llm-direct")
  } catch (error) {
    throw new Unavailable(`effect-llm-direct does not load (${reason(error)}); build it: npm --prefix .. run build`)
  }
}

export const direct = async (): Promise<Direct> => {
  try {
    return await import("effect-llm-direct/direct")
  } catch (error) {
    throw new Unavailable(`effect-llm-direct/direct does not load (${reason(error)}); build it: npm --prefix .. run build`)
  }
}

/** A provider namespace of the library (`OpenAi`, `Anthropic`), once it exports `layer` and `languageModel`. */
export const provider = async <K extends string>(name: K): Promise<{ readonly lib: Library; readonly provider: Record<string, unknown> }> => {
  const lib = await library()
  const ns = (lib as unknown as Record<string, Record<string, unknown> | undefined>)[name]
  if (ns === undefined || typeof ns.layer !== "function" || typeof ns.languageModel !== "function") {
    throw new Unavailable(`effect-llm-direct does not export ${name}.layer and ${name}.languageModel yet`)
  }
  return { lib, provider: ns }
}
