/**
 * Tool definitions: what a model may call. Build one from an Effect Schema with {@link make}
 * (its JSON Schema comes from effect's `JSONSchema.make`) or from a raw JSON Schema with
 * {@link fromJsonSchema}.
 *
 * @since 0.1.0
 */
import { JSONSchema, Schema } from "effect"

/**
 * A JSON Schema object, as the providers receive it.
 *
 * @since 0.1.0
 * @category models
 */
export const JsonSchemaObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })
/**
 * A JSON Schema object.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonSchemaObject = typeof JsonSchemaObject.Type

/**
 * A tool the model may call: its name, a description, and the JSON Schema of its arguments.
 * `strict` asks providers that support it (OpenAI) to enforce the schema exactly.
 *
 * @since 0.1.0
 * @category models
 */
export class ToolDefinition extends Schema.Class<ToolDefinition>("ToolDefinition")({
  name: Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,64}$/, {
    message: () => "a tool name must match ^[a-zA-Z0-9_-]{1,64}$ (letters, digits, _ and -)"
  })),
  description: Schema.optional(Schema.String),
  parametersJsonSchema: JsonSchemaObject,
  strict: Schema.optional(Schema.Boolean)
}) {}

/**
 * A tool as a {@link ToolDefinition} or a plain object of its fields
 * (`{ name, description, parametersJsonSchema, strict }`): every place that takes tools accepts
 * both, and builds (and validates) the class from a plain object.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolDefinitionInput = ToolDefinition | ConstructorParameters<typeof ToolDefinition>[0]

/**
 * The {@link ToolDefinition} of a tool given in either form. A plain object is validated (its
 * name must match `^[a-zA-Z0-9_-]{1,64}$`, its `parametersJsonSchema` must be an object); a bad
 * one throws a `ParseError` that names the field.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromInput = (input: ToolDefinitionInput): ToolDefinition => {
  if (input instanceof ToolDefinition) return input
  if (typeof input !== "object" || input === null) {
    throw new TypeError(`a tool must be a ToolDefinition or an object { name, description, parametersJsonSchema }; got ${input === null ? "null" : typeof input}`)
  }
  return new ToolDefinition({
    name: input.name,
    parametersJsonSchema: input.parametersJsonSchema,
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.strict !== undefined ? { strict: input.strict } : {})
  })
}

/**
 * A tool from an Effect Schema of its arguments.
 *
 * @example
 * const Divide = Tool.make("divide", {
 *   description: "Divide two numbers.",
 *   parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
 * })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(
  name: string,
  options: {
    readonly description?: string | undefined
    readonly parameters: Schema.Schema<A, I, never>
    readonly strict?: boolean | undefined
  }
): ToolDefinition =>
  new ToolDefinition({
    name,
    parametersJsonSchema: toJsonSchema(options.parameters),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.strict !== undefined ? { strict: options.strict } : {})
  })

/**
 * A tool from a raw JSON Schema, as pydantic-ai's `ToolDefinition(...)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromJsonSchema = (options: {
  readonly name: string
  readonly description?: string | undefined
  readonly parametersJsonSchema: JsonSchemaObject
  readonly strict?: boolean | undefined
}): ToolDefinition =>
  new ToolDefinition({
    name: options.name,
    parametersJsonSchema: options.parametersJsonSchema,
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.strict !== undefined ? { strict: options.strict } : {})
  })

/**
 * The JSON Schema of an Effect Schema, self-contained: `$defs` are inlined where the schema
 * is not recursive, and the `$schema` key (which providers reject) is dropped.
 *
 * @since 0.1.0
 * @category utils
 */
export const toJsonSchema = <A, I>(schema: Schema.Schema<A, I, never>): JsonSchemaObject => {
  const root: Record<string, unknown> = { ...(JSONSchema.make(schema) as object) }
  delete root.$schema
  return root
}
