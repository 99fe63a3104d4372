/**
 * The JSON Schema that Anthropic's structured outputs accept, made from any output schema: the
 * same rules as the SDK's `transformJSONSchema` (`@anthropic-ai/sdk/lib/transform-json-schema`),
 * here so that the codec stays pure and importing the provider loads no SDK file. A test holds
 * the two equal on every schema it tries, so an SDK upgrade that changes the rules shows.
 *
 * The rules: every object is closed (`additionalProperties: false`); only `enum` / `const` of
 * primitives, `anyOf` (`oneOf` becomes `anyOf`), `allOf`, `$ref` / `$defs`, `type`, `title`,
 * `description`, object `properties` / `required`, array `items`, `minItems` of 0 or 1 and a few
 * string formats stay keywords; everything else moves into the description as
 * `{key: value, ...}`, so the model still reads it and the decoder still checks it. A schema
 * node with no type, and no `anyOf` / `oneOf` / `allOf` / `enum` / `const`, cannot be adapted:
 * the transform throws.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../internal/codec/wireChecks.js"

type Json = Record<string, unknown>

/** The string formats structured outputs support. */
const supportedFormats: ReadonlySet<unknown> = new Set([
  "date-time",
  "time",
  "date",
  "duration",
  "email",
  "hostname",
  "uri",
  "ipv4",
  "ipv6",
  "uuid"
])

const isPrimitive = (value: unknown): boolean => value === null || typeof value !== "object"

/** Removes `key` from `node` and returns its value. */
const take = (node: Json, key: string): unknown => {
  const value = node[key]
  delete node[key]
  return value
}

const strictNode = (node: Json): Json => {
  const out: Json = {}
  // `$defs` before the `$ref` return, so that a root `$ref` keeps its definitions
  const defs = take(node, "$defs")
  if (defs !== undefined) {
    const strictDefs: Json = {}
    out.$defs = strictDefs
    for (const [name, def] of Object.entries(defs as Json)) strictDefs[name] = strictNode(def as Json)
  }
  const ref = take(node, "$ref")
  if (ref !== undefined) {
    out.$ref = ref
    return out
  }
  const enumValues = node.enum
  if (Array.isArray(enumValues) && enumValues.length > 0 && enumValues.every(isPrimitive)) out.enum = take(node, "enum")
  if (node.const !== undefined && isPrimitive(node.const)) out.const = take(node, "const")
  const literal = "enum" in out || "const" in out
  const declaredType = take(node, "type")
  const type = literal ? undefined : declaredType
  const anyOf = take(node, "anyOf")
  const oneOf = take(node, "oneOf")
  const allOf = take(node, "allOf")
  // the dialect constrains nothing: it stays out of the description
  take(node, "$schema")
  if (Array.isArray(anyOf)) out.anyOf = anyOf.map((variant) => strictNode(variant as Json))
  else if (Array.isArray(oneOf)) out.anyOf = oneOf.map((variant) => strictNode(variant as Json))
  else if (Array.isArray(allOf)) out.allOf = allOf.map((entry) => strictNode(entry as Json))
  else if (!literal) {
    if (type === undefined) throw new Error("JSON schema must have a type defined if anyOf/oneOf/allOf/enum/const are not used")
    out.type = type
  }
  const description = take(node, "description")
  if (description !== undefined) out.description = description
  const title = take(node, "title")
  if (title !== undefined) out.title = title
  if (type === "object") {
    const properties = (take(node, "properties") as Json | undefined) || {}
    out.properties = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, strictNode(property as Json)]))
    take(node, "additionalProperties")
    out.additionalProperties = false
    const required = take(node, "required")
    if (required !== undefined) out.required = required
  } else if (type === "string") {
    const format = take(node, "format")
    if (format !== undefined && supportedFormats.has(format)) out.format = format
    else if (format !== undefined) node.format = format
  } else if (type === "array") {
    const items = take(node, "items")
    if (items !== undefined) out.items = strictNode(items as Json)
    const minItems = take(node, "minItems")
    if (minItems !== undefined && (minItems === 0 || minItems === 1)) out.minItems = minItems
    else if (minItems !== undefined) node.minItems = minItems
  }
  // what is left was not kept as a keyword: the model reads it in the description
  const rest = Object.entries(node)
  if (rest.length > 0) {
    const existing = out.description
    out.description = (existing ? `${String(existing)}\n\n` : "") + `{${rest.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ")}}`
  }
  return out
}

/**
 * The schema structured outputs accept for `schema` (see the module's rules); `schema` itself
 * is not changed. Throws when a node cannot be adapted (a node with no type).
 *
 * @example
 * strictSchema({ type: "object", properties: { n: { type: "integer", minimum: 1 } } })
 * // { type: "object", properties: { n: { type: "integer", description: "{minimum: 1}" } }, additionalProperties: false }
 *
 * @since 0.2.0
 * @category codecs
 */
export const strictSchema = (schema: Json): Json => {
  const copy: unknown = JSON.parse(JSON.stringify(schema))
  return strictNode(isRecord(copy) ? copy : {})
}
