/**
 * The emulator's default "model": a deterministic answer from a provider-neutral view of the
 * request, so both providers' routes answer alike. A question it knows gets its answer; offered
 * tools are called once with arguments built from their JSON Schema (numbers taken from the
 * prompt in order); after a tool result it answers with that result.
 *
 * @since 0.1.0
 */
import { isRecord } from "../../internal/codec/wireChecks.js"

/**
 * The request as the responder sees it.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * What the responder decided.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * Arguments valid for a JSON Schema object, taking numbers from `numbers` in order.
 *
 * @since 0.1.0
 * @category utils
 */
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

/**
 * Decides the answer.
 *
 * @since 0.1.0
 * @category utils
 */
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

/**
 * Splits a text into `n` roughly equal pieces (for streaming it as `n` deltas).
 *
 * @since 0.1.0
 * @category utils
 */
export const splitInto = (text: string, n: number): Array<string> => {
  if (n <= 1 || text.length <= 1) return [text]
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/**
 * Exactly `n` pieces of a text, for a stream of exactly `n` deltas (the `x-emulator-deltas`
 * header); every piece is non-empty when `n` is at most the text's length.
 *
 * @since 0.1.0
 * @category utils
 */
export const splitExactly = (text: string, n: number): Array<string> =>
  Array.from({ length: n }, (_, i) => text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)))

/**
 * The text repeated (space-separated) until it has at least `length` characters, for a stream
 * of that many deltas; the text itself without a positive `length`.
 *
 * @since 0.2.0
 * @category utils
 */
export const lengthen = (text: string, length: number | undefined): string => {
  if (length === undefined || length <= 0) return text
  let t = text
  while (t.length < length) t = `${t} ${text}`
  return t
}

/**
 * Word-sized deltas, the leading space attached (" capital", " of"), as the real APIs stream them.
 *
 * @since 0.1.0
 * @category utils
 */
export const wordDeltas = (text: string): Array<string> => text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === "" ? [] : [text])

/**
 * A rough token count (4 characters a token), for usage numbers.
 *
 * @since 0.1.0
 * @category utils
 */
export const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

// ---------------------------------------------------------------------------------------------
// structured output (native response formats and prompted JSON)
// ---------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>

/** The schema with every `$ref` into `$defs` / `definitions` replaced by its target (bounded depth). */
const dereference = (node: unknown, root: JsonObject, depth = 0): unknown => {
  if (Array.isArray(node)) return node.map((n) => dereference(n, root, depth))
  if (!isRecord(node)) return node
  if (typeof node.$ref === "string") {
    if (depth > 6) return { type: "null" }
    let target: unknown = root
    for (const key of node.$ref.replace(/^#\//, "").split("/")) target = isRecord(target) ? target[key] : undefined
    return dereference(target, root, depth + 1)
  }
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(node)) out[key] = key === "enum" || key === "const" || key === "default" ? value : dereference(value, root, depth)
  return out
}

// a capitalised word of the prompt other than its first: the place a question is about
const placeIn = (text: string): string => text.match(/(?<=\s)[A-Z][a-z]+(?:\s[A-Z][a-z]+)*/g)?.at(-1) ?? "Paris"

const structuredValue = (schema: unknown, name: string, numbers: Array<number>, text: string): unknown => {
  const s = isRecord(schema) ? schema : {}
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) return structuredValue(s.anyOf[0], name, numbers, text)
  if (Array.isArray(s.oneOf) && s.oneOf.length > 0) return structuredValue(s.oneOf[0], name, numbers, text)
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") ?? s.type[0] : s.type ?? (isRecord(s.properties) ? "object" : "string")
  const bound = (key: string): number | undefined => (typeof s[key] === "number" ? (s[key] as number) : undefined)
  switch (type) {
    case "object": {
      const out: JsonObject = {}
      for (const [key, sub] of Object.entries(isRecord(s.properties) ? s.properties : {})) out[key] = structuredValue(sub, key, numbers, text)
      return out
    }
    case "array": {
      const count = Math.max(1, bound("minItems") ?? 1)
      return Array.from({ length: Math.min(count, bound("maxItems") ?? count) }, () => structuredValue(s.items, name, numbers, text))
    }
    case "number":
    case "integer": {
      let n = numbers.shift() ?? 1
      if (type === "integer") n = Math.trunc(n)
      const lo = bound("minimum") ?? (bound("exclusiveMinimum") !== undefined ? bound("exclusiveMinimum")! + 1 : undefined)
      const hi = bound("maximum") ?? (bound("exclusiveMaximum") !== undefined ? bound("exclusiveMaximum")! - 1 : undefined)
      if (lo !== undefined && n < lo) n = lo
      if (hi !== undefined && n > hi) n = hi
      return n
    }
    case "boolean":
      return true
    case "null":
      return null
    default: {
      if (s.format === "date-time") return "2024-01-01T00:00:00Z"
      if (s.format === "date") return "2024-01-01"
      let out = /location|city|place|country|capital|name/i.test(name) ? placeIn(text) : /condition|weather|sky/i.test(name) ? "sunny" : text.slice(0, 40) || "x"
      const min = bound("minLength") ?? 0
      while (out.length < min) out += out
      return out.slice(0, Math.max(min, bound("maxLength") ?? out.length))
    }
  }
}

/**
 * A JSON value valid for a JSON Schema, built like tool arguments: numbers from the prompt in
 * order, strings from the prompt (a place-like property gets the place the prompt names).
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonAnswerFor = (schema: unknown, text: string): unknown => {
  const root = isRecord(schema) ? schema : {}
  return structuredValue(dereference(root, root), "", (text.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number), text)
}

/**
 * The JSON Schema a prompt carries, if any: the first JSON object in the text that looks like a
 * schema (with `type`, `properties` or `$defs`), whatever words surround it. This is how the
 * emulator notices prompted output (the library's template puts the schema in the system prompt).
 *
 * @since 0.1.0
 * @category utils
 */
export const schemaInText = (text: string): JsonObject | undefined => {
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    let depth = 0
    let inString = false
    for (let i = start; i < text.length; i++) {
      const c = text[i]
      if (inString) {
        if (c === "\\") i++
        else if (c === "\"") inString = false
      } else if (c === "\"") inString = true
      else if (c === "{") depth++
      else if (c === "}" && --depth === 0) {
        try {
          const parsed: unknown = JSON.parse(text.slice(start, i + 1))
          if (isRecord(parsed) && ("properties" in parsed || "type" in parsed || "$defs" in parsed)) return parsed
        } catch {
          // not JSON: try the next brace
        }
        break
      }
    }
  }
  return undefined
}

/**
 * How a structured answer is written, from request headers (tests send them via `extraHeaders`):
 * `x-emulator-output-fence: json` wraps it in a ```json fence after a short sentence (as models
 * often do in prompted mode); `x-emulator-invalid-output: type` gives the first property a value
 * of the wrong type, `x-emulator-invalid-output: json` cuts the JSON in half (not JSON at all).
 *
 * @since 0.1.0
 * @category models
 */
export interface StructuredStyle {
  readonly fence?: string | undefined
  readonly invalid?: string | undefined
}

/**
 * The text of a structured answer: JSON valid for `schema` (unless asked to be invalid), maybe fenced.
 *
 * @since 0.1.0
 * @category utils
 */
export const structuredText = (schema: unknown, prompt: string, style: StructuredStyle = {}): string => {
  let value = jsonAnswerFor(schema, prompt)
  if (style.invalid === "type" && isRecord(value)) {
    const [key, current] = Object.entries(value)[0] ?? ["value", null]
    value = { ...value, [key]: typeof current === "string" ? 42 : "not the right type" }
  }
  let json = JSON.stringify(value)
  if (style.invalid === "json") json = json.slice(0, Math.max(1, Math.floor(json.length / 2)))
  return style.fence !== undefined && style.fence !== "" ? `Here is the result:\n\`\`\`${style.fence}\n${json}\n\`\`\`` : json
}
