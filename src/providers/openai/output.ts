/**
 * Structured output on Chat Completions, kept apart from the codec: the native mode's
 * `response_format` (json_schema, strict where the schema allows it), the prompted mode's
 * instructions, and the tool choice that forces a lone output tool by name.
 *
 * Strict mode rule: OpenAI's strict structured outputs accept a schema whose root is an object,
 * whose every object has `additionalProperties: false` and lists all its properties in
 * `required`, and which uses none of the keywords in {@link strictIncompatibleKeywords}. An unset
 * `strict` is on exactly when the schema qualifies; `strict: true` first adds
 * `additionalProperties: false` to objects that do not declare it, and falls back to non-strict
 * with a warning when the schema still does not qualify (an optional field, a record, a length
 * bound); `strict: false` is sent as is. Nothing is dropped to qualify: the decoder still checks
 * every constraint.
 * @since 0.1.0
 */
import { Either } from "effect"
import type OpenAI from "openai"
import type { InvalidInputError } from "../../AiError.js"
import { encodeOutputWith, type OutputEncoding } from "../../internal/codec/structuredOutput.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { ModelMessage } from "../../Message.js"
import type { ModelRequestParameters, OutputObjectDefinition } from "../../Parameters.js"

// the codec imports this module: its constant is repeated rather than imported back
const PROVIDER = "openai"

/**
 * Keywords OpenAI's strict mode rejects (its "supported schemas" list leaves them out).
 *
 * @since 0.1.0
 * @category constants
 */
export const strictIncompatibleKeywords: ReadonlyArray<string> = [
  "minLength",
  "maxLength",
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "unevaluatedItems",
  "contains",
  "minContains",
  "maxContains",
  "uniqueItems",
  "allOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas"
]

type Json = Record<string, unknown>

const isObjectSchema = (node: Json): boolean =>
  node.type === "object" || (Array.isArray(node.type) && node.type.includes("object")) || isRecord(node.properties)

// Where a schema holds subschemas: a record of them, one, or a list of them. Other keys hold
// values (`enum`, `const`, `default`, a property named "minLength") and are not walked.
const schemaRecords = ["properties", "$defs", "definitions", "patternProperties"]
const schemaValues = ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems"]
const schemaLists = ["anyOf", "allOf", "oneOf", "prefixItems"]

/** Each direct subschema of a schema, with the path to show for it. */
const subschemas = (node: Json, path: string): Array<readonly [unknown, string]> => {
  const out: Array<readonly [unknown, string]> = []
  for (const key of schemaRecords) {
    const record = node[key]
    if (isRecord(record)) for (const [name, sub] of Object.entries(record)) out.push([sub, key === "properties" ? `${path}.${name}` : `${path}.${key}.${name}`])
  }
  for (const key of schemaValues) {
    const value = node[key]
    if (Array.isArray(value)) value.forEach((sub, i) => out.push([sub, `${path}.${key}[${i}]`]))
    else if (isRecord(value)) out.push([value, key === "items" ? `${path}[]` : `${path}.${key}`])
  }
  for (const key of schemaLists) {
    const list = node[key]
    if (Array.isArray(list)) list.forEach((sub, i) => out.push([sub, `${path}.${key}[${i}]`]))
  }
  return out
}

/**
 * Why a schema does not qualify for strict mode, or undefined when it does.
 *
 * @since 0.1.0
 * @category utils
 */
export const strictProblem = (schema: Json): string | undefined => {
  if (!isObjectSchema(schema)) return "the root is not an object"
  const visit = (node: unknown, path: string): string | undefined => {
    if (!isRecord(node)) return undefined
    for (const key of strictIncompatibleKeywords) if (key in node) return `${path} uses "${key}"`
    if (isObjectSchema(node)) {
      if (node.additionalProperties !== false) return `${path} allows additional properties`
      const properties = isRecord(node.properties) ? Object.keys(node.properties) : []
      const required = new Set(Array.isArray(node.required) ? node.required : [])
      const optional = properties.filter((p) => !required.has(p))
      if (optional.length > 0) return `${path} has optional properties (${optional.join(", ")})`
    }
    for (const [sub, subPath] of subschemas(node, path)) {
      const found = visit(sub, subPath)
      if (found !== undefined) return found
    }
    return undefined
  }
  return visit(schema, "$")
}

/**
 * Adds `additionalProperties: false` to every object schema that does not declare it.
 *
 * @since 0.1.0
 * @category utils
 */
export const closeObjects = (node: unknown): unknown => {
  if (!isRecord(node)) return node
  const out: Json = { ...node }
  for (const key of schemaRecords) {
    const record = node[key]
    if (isRecord(record)) out[key] = Object.fromEntries(Object.entries(record).map(([name, sub]) => [name, closeObjects(sub)]))
  }
  for (const key of [...schemaValues, ...schemaLists]) {
    const value = node[key]
    if (Array.isArray(value)) out[key] = value.map(closeObjects)
    else if (isRecord(value)) out[key] = closeObjects(value)
  }
  if (isObjectSchema(out) && out.additionalProperties === undefined) out.additionalProperties = false
  return out
}

/**
 * The schema and `strict` flag to send for an output object, and a warning when strict was refused.
 *
 * @since 0.1.0
 * @category utils
 */
export const strictSchema = (output: OutputObjectDefinition): { readonly schema: Json; readonly strict: boolean; readonly warning?: string } => {
  if (output.strict === false) return { schema: output.jsonSchema, strict: false }
  if (output.strict === undefined) return { schema: output.jsonSchema, strict: strictProblem(output.jsonSchema) === undefined }
  const closed = closeObjects(output.jsonSchema) as Json
  const problem = strictProblem(closed)
  if (problem === undefined) return { schema: closed, strict: true }
  return {
    schema: output.jsonSchema,
    strict: false,
    warning: `${PROVIDER}: the output schema "${output.name}" cannot use strict mode (${problem}); it was sent with strict: false and is checked when decoded.`
  }
}

/** A name OpenAI accepts for a response format. */
const formatName = (name: string): string => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "final_result"

/**
 * The native mode's `response_format`.
 *
 * @since 0.1.0
 * @category utils
 */
export const responseFormat = (output: OutputObjectDefinition): { readonly format: OpenAI.ResponseFormatJSONSchema; readonly warnings: ReadonlyArray<string> } => {
  const { schema, strict, warning } = strictSchema(output)
  return {
    format: {
      type: "json_schema",
      json_schema: {
        name: formatName(output.name),
        ...(output.description !== undefined ? { description: output.description } : {}),
        schema,
        strict
      }
    },
    warnings: warning !== undefined ? [warning] : []
  }
}

/**
 * The output mode's part of a request; the native mode's format is a `response_format`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeOutput = (
  messages: ReadonlyArray<ModelMessage>,
  parameters: ModelRequestParameters
): Either.Either<OutputEncoding<OpenAI.ResponseFormatJSONSchema>, InvalidInputError> =>
  encodeOutputWith(messages, parameters, PROVIDER, responseFormat)
