/**
 * Structured output on the Messages API, kept apart from the codec: the native mode's
 * `output_config.format` (json_schema), the prompted mode's instructions, and the tool choice
 * that forces a lone output tool by name.
 *
 * Native mode is generally available (no beta header; the older `output_format` field with the
 * `structured-outputs-2025-11-13` beta header is deprecated) on Claude Opus 4.5 / 4.6, Sonnet
 * 4.5 / 4.6, Haiku 4.5 and later models; older models answer 400. Its schemas must close every
 * object (`additionalProperties: false`) and support fewer keywords (no numeric bounds, no string
 * lengths, `minItems` 0 or 1 only): the schema goes through {@link strictSchema} (the rules of
 * the SDK's own `transformJSONSchema`), which closes objects and moves unsupported keywords into
 * the description, so the model still reads them and the decoder still checks them. A schema it cannot transform (a property with no
 * type, like `Schema.Unknown`) is sent with its objects closed and a warning.
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Either } from "effect"
import type { InvalidInputError } from "../../AiError.js"
import { encodeOutputWith, forcedOutputTool, type OutputEncoding } from "../../internal/codec/structuredOutput.js"
import { isRecord } from "../../internal/codec/wireChecks.js"
import type { ModelMessage } from "../../Message.js"
import type { ModelRequestParameters, OutputObjectDefinition } from "../../Parameters.js"
import { strictSchema } from "./jsonSchema.js"

// the codec imports this module: its constant is repeated rather than imported back
const providerName = "anthropic"

type Json = Record<string, unknown>

// the fallback: close every object, leave the rest as it is
const closeObjects = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(closeObjects)
  if (!isRecord(node)) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) out[key] = key === "enum" || key === "const" || key === "default" ? value : closeObjects(value)
  if ((out.type === "object" || isRecord(out.properties)) && out.additionalProperties !== false) out.additionalProperties = false
  return out
}

/**
 * The schema Anthropic's native mode accepts for an output object, and a warning if it had to fall back.
 *
 * @since 0.1.0
 * @category utils
 */
export const nativeSchema = (output: OutputObjectDefinition): { readonly schema: Json; readonly warning?: string } => {
  // Anthropic's format has no name or description field: the description goes into the schema
  const withDescription = output.description !== undefined && output.jsonSchema.description === undefined
    ? { ...output.jsonSchema, description: output.description }
    : output.jsonSchema
  try {
    return { schema: strictSchema(withDescription) }
  } catch (e) {
    return {
      schema: closeObjects(withDescription) as Json,
      warning: `the output schema "${output.name}" could not be adapted to structured outputs (${e instanceof Error ? e.message : String(e)}); it was sent with its objects closed only, and Anthropic may reject it.`
    }
  }
}

/**
 * The output mode's part of a request; the native mode's format is an `output_config.format`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeOutput = (
  messages: ReadonlyArray<ModelMessage>,
  parameters: ModelRequestParameters
): Either.Either<OutputEncoding<Anthropic.JSONOutputFormat>, InvalidInputError> =>
  encodeOutputWith(messages, parameters, providerName, (output) => {
    const { schema, warning } = nativeSchema(output)
    return { format: { type: "json_schema", schema }, warnings: warning !== undefined ? [warning] : [] }
  })

/**
 * `output_config` with the format set, merged with what the caller put there through `extraBody`
 * (`effort`, say), which would otherwise replace it whole. The caller's own `format` wins, as
 * everything in `extraBody` does: it is the escape hatch.
 *
 * @since 0.1.0
 * @category utils
 */
export const outputConfig = (format: Anthropic.JSONOutputFormat, extra: unknown): Anthropic.OutputConfig => ({
  format,
  ...(isRecord(extra) ? (extra as Anthropic.OutputConfig) : {})
})

/**
 * The tool choice forcing the output tool by name, when the "tool" mode allows it.
 *
 * @since 0.1.0
 * @category utils
 */
export const forcedToolChoice = (parameters: ModelRequestParameters): Anthropic.ToolChoiceTool | undefined => {
  const name = forcedOutputTool(parameters)
  return name !== undefined ? { type: "tool", name } : undefined
}
