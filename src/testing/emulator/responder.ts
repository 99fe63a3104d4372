/**
 * The emulator's default "model": a deterministic answer from a provider-neutral view of the
 * request, so both providers' routes answer alike. A question it knows gets its answer; offered
 * tools are called once with arguments built from their JSON Schema (numbers taken from the
 * prompt in order); after a tool result it answers with that result.
 */

/** The request as the responder sees it. */
export interface ResponderInput {
  /** the text of the last user message */
  readonly lastUserText: string
  /** the content of tool results after the last user message, if any */
  readonly toolResults: ReadonlyArray<string>
  readonly tools: ReadonlyArray<{ readonly name: string; readonly parameters: unknown }>
  /** "none" forbids tools, "required" / a name forces one */
  readonly toolChoice?: "auto" | "none" | "required" | { readonly name: string } | undefined
  readonly model: string
}

/** What the responder decided. */
export type ResponderOutput =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "tool"; readonly name: string; readonly args: Record<string, unknown> }

const known: ReadonlyArray<readonly [RegExp, string]> = [
  [/capital of france/i, "The capital of France is Paris."],
  [/albert einstein/i, "Albert Einstein was a German-born theoretical physicist."],
  [/2\s*\+\s*2/, "2 + 2 = 4."],
  [/square root of 144/i, "The square root of 144 is 12."],
  [/photosynthesis/i, "Photosynthesis is how plants turn light, water and carbon dioxide into sugar and oxygen."],
  [/gravity/i, "Gravity is the attraction between masses."]
]

const numbersIn = (text: string): Array<number> => (text.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number)

/** Arguments valid for a JSON Schema object, taking numbers from `numbers` in order. */
export const argsFor = (schema: unknown, numbers: Array<number>, text: string): Record<string, unknown> => {
  const s = (schema ?? {}) as { properties?: Record<string, unknown>; required?: ReadonlyArray<string> }
  const out: Record<string, unknown> = {}
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    out[name] = valueFor(prop, numbers, text)
  }
  return out
}

const valueFor = (prop: unknown, numbers: Array<number>, text: string): unknown => {
  const p = (prop ?? {}) as { type?: string | ReadonlyArray<string>; enum?: ReadonlyArray<unknown>; default?: unknown; items?: unknown; anyOf?: ReadonlyArray<unknown>; const?: unknown }
  if (p.const !== undefined) return p.const
  if (p.enum && p.enum.length > 0) return p.enum[0]
  if (p.default !== undefined) return p.default
  if (p.anyOf && p.anyOf.length > 0) return valueFor(p.anyOf[0], numbers, text)
  const type = Array.isArray(p.type) ? p.type[0] : p.type
  switch (type) {
    case "number":
      return numbers.shift() ?? 1
    case "integer":
      return Math.trunc(numbers.shift() ?? 1)
    case "boolean":
      return true
    case "array":
      return [valueFor(p.items, numbers, text)]
    case "object":
      return argsFor(p, numbers, text)
    case "null":
      return null
    default:
      return text.slice(0, 40) || "x"
  }
}

/** Decides the answer. */
export const respond = (input: ResponderInput): ResponderOutput => {
  if (input.toolResults.length > 0) {
    return { kind: "text", text: `The result is ${input.toolResults.join(", ")}.` }
  }
  const choice = input.toolChoice
  if (input.tools.length > 0 && choice !== "none") {
    const tool = typeof choice === "object" ? input.tools.find((t) => t.name === choice.name) ?? input.tools[0]! : input.tools[0]!
    return { kind: "tool", name: tool.name, args: argsFor(tool.parameters, numbersIn(input.lastUserText), input.lastUserText) }
  }
  const hit = known.find(([re]) => re.test(input.lastUserText))
  return { kind: "text", text: hit ? hit[1] : `You said: ${input.lastUserText}` }
}

/** Splits a text into `n` roughly equal pieces (for streaming it as `n` deltas). */
export const splitInto = (text: string, n: number): Array<string> => {
  if (n <= 1 || text.length <= 1) return [text]
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** A rough token count (4 characters a token), for usage numbers. */
export const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))
