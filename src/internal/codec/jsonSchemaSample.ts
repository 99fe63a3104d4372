/**
 * A deterministic value valid for a JSON Schema (the subset tool schemas use: types, enum,
 * const, anyOf/oneOf/allOf, $ref into $defs, string and number bounds, required properties).
 * TestModel uses it to call tools with arguments their schema accepts.
 *
 * @since 0.1.0
 */

type JsonSchema = Record<string, unknown>

const asSchema = (u: unknown): JsonSchema => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as JsonSchema) : {})

const resolveRef = (root: JsonSchema, ref: string): JsonSchema => {
  const path = ref.replace(/^#\//, "").split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
  let node: unknown = root
  for (const key of path) node = asSchema(node)[key]
  return asSchema(node)
}

/**
 * A value valid for `schema`; `seed` varies strings and numbers between calls.
 *
 * @since 0.1.0
 * @category utils
 */
export const sample = (schema: unknown, seed = 0, root: JsonSchema = asSchema(schema), depth = 0): unknown => {
  const s = asSchema(schema)
  if (depth > 8) return null
  if (typeof s.$ref === "string") return sample(resolveRef(root, s.$ref), seed, root, depth + 1)
  if ("const" in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[seed % s.enum.length]
  if ("default" in s && s.default !== undefined) return s.default
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = s[key]
    if (Array.isArray(options) && options.length > 0) return sample(options[0], seed, root, depth + 1)
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return Object.assign({}, ...s.allOf.map((part) => asSchema(sample(part, seed, root, depth + 1))))
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? s.type[0]) : s.type
  switch (type) {
    case "string": {
      const min = typeof s.minLength === "number" ? s.minLength : 0
      const max = typeof s.maxLength === "number" ? s.maxLength : Infinity
      if (s.format === "date-time") return "2024-01-01T00:00:00Z"
      if (s.format === "date") return "2024-01-01"
      if (s.format === "uuid") return "00000000-0000-4000-8000-000000000000"
      let out = String.fromCharCode(97 + (seed % 26))
      while (out.length < min) out += out
      return out.slice(0, Math.max(min, Math.min(max, out.length)))
    }
    case "integer":
    case "number": {
      const lo = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + 1 : undefined
      const hi = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum - 1 : undefined
      let n = seed
      if (lo !== undefined && n < lo) n = lo
      if (hi !== undefined && n > hi) n = hi
      return type === "integer" ? Math.ceil(n) : n
    }
    case "boolean":
      return seed % 2 === 0
    case "null":
      return null
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 0
      return Array.from({ length: min }, (_, i) => sample(s.items, seed + i, root, depth + 1))
    }
    case "object":
    default: {
      const props = asSchema(s.properties)
      const required = Array.isArray(s.required) ? (s.required as ReadonlyArray<string>) : Object.keys(props)
      const out: Record<string, unknown> = {}
      for (const name of required) out[name] = sample(props[name], seed, root, depth + 1)
      return out
    }
  }
}
