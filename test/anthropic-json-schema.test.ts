/**
 * The Anthropic codec's structured-output schema transform (`jsonSchema.ts`, kept in the library
 * so that the codec imports no SDK file) gives what the SDK's own `transformJSONSchema` gives,
 * on hand-picked schemas and on arbitrary ones.
 */
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { strictSchema } from "../src/providers/anthropic/jsonSchema.js"

const sdkOrError = (schema: unknown): unknown => {
  try {
    return transformJSONSchema(schema as Record<string, unknown>)
  } catch (e) {
    return { error: (e as Error).message }
  }
}
const oursOrError = (schema: unknown): unknown => {
  try {
    return strictSchema(schema as Record<string, unknown>)
  } catch (e) {
    return { error: (e as Error).message }
  }
}

const examples: ReadonlyArray<Record<string, unknown>> = [
  { type: "object", properties: { n: { type: "integer", minimum: 1, maximum: 9 }, s: { type: "string", minLength: 2, format: "email" } }, required: ["n"] },
  { type: "array", items: { type: "string", format: "binary" }, minItems: 3, maxItems: 5 },
  { type: "array", items: { type: "number" }, minItems: 1 },
  { anyOf: [{ type: "string" }, { type: "null" }], description: "maybe" },
  { oneOf: [{ const: "a" }, { const: "b" }] },
  { allOf: [{ $ref: "#/$defs/A" }], $defs: { A: { type: "object", properties: {}, additionalProperties: true } } },
  { $ref: "#/$defs/B", $defs: { B: { type: "string", pattern: "^x" } } },
  { enum: ["a", 1, null], type: "string", title: "E" },
  { enum: [{ a: 1 }], type: "object" },
  { type: "object", $schema: "http://json-schema.org/draft-07/schema#", properties: { u: {} } },
  { description: "no type" }
]

const leaf = fc.oneof(
  fc.record({ type: fc.constantFrom("string", "number", "integer", "boolean", "null") }, { requiredKeys: [] }),
  fc.record({ type: fc.constant("string"), format: fc.constantFrom("email", "uuid", "binary", "date"), minLength: fc.nat(5) }, { requiredKeys: ["type"] }),
  fc.record({ enum: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }), description: fc.string() }, { requiredKeys: ["enum"] }),
  fc.record({ const: fc.oneof(fc.string(), fc.integer()), type: fc.constant("string") }, { requiredKeys: ["const"] })
)
const schema = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({
      type: fc.constant("object"),
      properties: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie("node"), { maxKeys: 3 }),
      required: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
      additionalProperties: fc.boolean(),
      title: fc.string()
    }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("array"), items: tie("node"), minItems: fc.nat(3), maxItems: fc.nat(9) }, { requiredKeys: ["type"] }),
    fc.record({ anyOf: fc.array(tie("node"), { maxLength: 3 }) }),
    fc.record({ oneOf: fc.array(tie("node"), { maxLength: 3 }), description: fc.string() }, { requiredKeys: ["oneOf"] }),
    fc.record({ allOf: fc.array(tie("node"), { maxLength: 2 }) })
  )
}))

describe("the Anthropic structured-output schema", () => {
  it("is the SDK's transform on hand-picked schemas, errors included", () => {
    for (const example of examples) expect(oursOrError(example), JSON.stringify(example)).toEqual(sdkOrError(example))
  })

  it("is the SDK's transform on arbitrary schemas, and leaves its input as it was", () => {
    fc.assert(
      fc.property(schema.node, (node) => {
        const before = JSON.stringify(node)
        expect(oursOrError(node)).toEqual(sdkOrError(node))
        expect(JSON.stringify(node)).toBe(before)
      }),
      { numRuns: 500 }
    )
  })
})
