/**
 * What a batch's encoding could not carry, said once per kind with the requests it concerns,
 * rather than once per request (a 50,000-request batch with one unsupported setting logs one
 * line). Shared by the batch models that name the requests (Anthropic, Gemini).
 * @internal
 * @since 0.1.0
 */
import { Effect } from "effect"

/**
 * Up to five values, quoted, and how many more.
 *
 * @since 0.1.0
 * @category utils
 */
export const listed = (values: ReadonlyArray<string>): string => {
  const shown = values.slice(0, 5).map((v) => JSON.stringify(v)).join(", ")
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown
}

/**
 * Each warning once, with the custom ids of the requests that had it, in submission order.
 *
 * @since 0.1.0
 * @category utils
 */
export const groupWarnings = (
  count: number,
  customIdAt: (index: number) => string,
  warningsAt: (index: number) => ReadonlyArray<string>
): Map<string, Array<string>> => {
  const warned = new Map<string, Array<string>>()
  for (let i = 0; i < count; i++) {
    for (const w of warningsAt(i)) {
      const ids = warned.get(w)
      if (ids === undefined) warned.set(w, [customIdAt(i)])
      else ids.push(customIdAt(i))
    }
  }
  return warned
}

/**
 * Logs each grouped warning, prefixed with the provider, naming its requests (if any).
 *
 * @since 0.1.0
 * @category utils
 */
export const logGrouped = (provider: string, warned: ReadonlyMap<string, ReadonlyArray<string>>): Effect.Effect<void> =>
  Effect.forEach(warned, ([warning, ids]) => Effect.logWarning(`${provider}: ${warning}${ids.length > 0 ? ` (requests ${listed(ids)})` : ""}`), {
    discard: true
  })
