/**
 * Structured output from an Effect Schema, in the three modes of pydantic-ai:
 *
 * - {@link native}: the provider constrains the answer to the schema (OpenAI `response_format`
 *   json_schema, Anthropic `output_config.format`); the output is the response's text.
 * - {@link tool}: an output tool whose arguments are the output; the model must call it (the
 *   tool choice is forced) unless text is allowed.
 * - {@link prompted}: the schema and instructions go into the system prompt; the JSON is taken
 *   from the text, also when fenced in Markdown.
 *
 * Each constructor returns {@link ModelRequestParameters} (plain data: batch requests carry them);
 * {@link decode} takes the output from the right place and decodes it with the schema, failing
 * with an {@link OutputDecodeError} that names the path that failed and keeps the raw output;
 * {@link partial} turns a stream's events into the partial output as it grows.
 *
 * OpenAI's strict mode (native `strict`): left unset, it is on exactly when the schema allows it:
 * the root is an object, every object has `additionalProperties: false` and lists all its
 * properties in `required` (so no optional fields), and no keyword strict mode rejects
 * (`minLength`, `maxLength`, `oneOf`, `allOf`, `patternProperties`, `uniqueItems`, ...) appears.
 * `strict: true` adds `additionalProperties: false` where an object does not say otherwise and
 * falls back to non-strict, with a logged warning, when the schema still does not qualify;
 * `strict: false` is sent as is. Constraints are never dropped to qualify: {@link decode} checks
 * them either way.
 *
 * @example
 * const Weather = Schema.Struct({ location: Schema.String, temperature: Schema.Number })
 * const parameters = Output.native(Weather)
 * const response = yield* LanguageModel.request(messages, { parameters })
 * const weather = yield* Output.decode(Weather, response, parameters)   // { location, temperature }
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, ParseResult, Schema, SchemaAST, Stream } from "effect"
import { parsePartialJson } from "./internal/codec/partialJson.js"
import { extractJson, jsonStart } from "./internal/codec/structuredOutput.js"
import { isRecord } from "./internal/codec/wireChecks.js"
import type { ModelResponse } from "./Message.js"
import { ModelRequestParameters, type ModelRequestParametersInput, type OutputMode, type OutputObjectDefinition } from "./Parameters.js"
import { accumulateStream, type ModelResponseStreamEvent } from "./StreamEvent.js"
import { type JsonSchemaObject, toJsonSchema, ToolDefinition, type ToolDefinitionInput } from "./Tool.js"

// ---------------------------------------------------------------------------------------------
// JSON Schema and the output object
// ---------------------------------------------------------------------------------------------

/**
 * The output tool's name when none is given (pydantic-ai's).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultToolName = "final_result"

const defaultToolDescription = "The final response which ends this conversation"

/** A name the providers accept (`^[a-zA-Z0-9_-]{1,64}$`). */
const sanitiseName = (name: string): string => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || defaultToolName

// a Schema.Class keeps its annotations on the declaration side of its transformation
const annotation = (ast: SchemaAST.AST, get: (a: SchemaAST.Annotated) => Option.Option<string>): string | undefined => {
  const sides = SchemaAST.isTransformation(ast) ? [ast, ast.to, ast.from] : [ast]
  for (const side of sides) {
    const found = get(side)
    if (Option.isSome(found)) return found.value
  }
  return undefined
}

/**
 * Replaces every `$ref` into `$defs` by the definition it names, so the schema reads on its own
 * (providers reject a root that is only a `$ref`); recursive definitions stay in `$defs`.
 */
const inlineDefinitions = (root: Record<string, unknown>): JsonSchemaObject => {
  const defs = isRecord(root.$defs) ? root.$defs : {}
  const recursive = new Set<string>()
  const walk = (node: unknown, stack: ReadonlyArray<string>): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, stack))
    if (!isRecord(node)) return node
    const ref = node.$ref
    if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
      const name = ref.slice("#/$defs/".length).replace(/~1/g, "/").replace(/~0/g, "~")
      const target = defs[name]
      if (target === undefined) return node
      if (stack.includes(name)) {
        recursive.add(name)
        return node
      }
      const { $ref: _, ...siblings } = node
      return { ...(walk(target, [...stack, name]) as Record<string, unknown>), ...(walk(siblings, stack) as Record<string, unknown>) }
    }
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) if (key !== "$defs") out[key] = walk(value, stack)
    return out
  }
  const out = walk(root, []) as Record<string, unknown>
  if (recursive.size > 0) {
    const kept: Record<string, unknown> = {}
    // walking a kept definition can find more recursion: repeat until nothing new appears
    for (let size = -1; size !== recursive.size;) {
      size = recursive.size
      for (const name of [...recursive]) kept[name] = walk(defs[name], [name])
    }
    out.$defs = kept
  }
  return out
}

/**
 * The self-contained JSON Schema of an Effect Schema, as the output modes send it: no `$schema`,
 * definitions inlined (recursive ones kept in `$defs`).
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonSchema = <A, I>(schema: Schema.Schema<A, I, never>): JsonSchemaObject => inlineDefinitions(toJsonSchema(schema))

/**
 * Options every output constructor takes.
 *
 * @since 0.1.0
 * @category options
 */
export interface OutputOptions {
  /** The output's name (OpenAI's schema name, the output tool's name); default: the schema's identifier, else "final_result". */
  readonly name?: string | undefined
  /** What the output is; default: the schema's description annotation. */
  readonly description?: string | undefined
  /** Function tools the model may call before it answers (definitions or plain objects of their fields). */
  readonly functionTools?: ReadonlyArray<ToolDefinitionInput> | undefined
}

/**
 * Options of {@link native}.
 *
 * @since 0.1.0
 * @category options
 */
export interface NativeOptions extends OutputOptions {
  /** OpenAI's strict mode; unset: on exactly when the schema allows it (see the module doc). */
  readonly strict?: boolean | undefined
}

/**
 * Options of {@link tool}.
 *
 * @since 0.1.0
 * @category options
 */
export interface ToolOptions extends OutputOptions {
  /** The tool's `strict` flag, passed to providers that support it. */
  readonly strict?: boolean | undefined
  /** Whether a plain text answer is acceptable too (default false: the tool call is forced). */
  readonly allowTextOutput?: boolean | undefined
}

/**
 * Options of {@link prompted}.
 *
 * @since 0.1.0
 * @category options
 */
export interface PromptedOptions extends OutputOptions {
  /** The instructions, with `{schema}` where the schema's JSON goes; default: the documented template. */
  readonly template?: string | undefined
}

/**
 * Options of {@link make}: a mode and that mode's options.
 *
 * @since 0.1.0
 * @category options
 */
export type MakeOptions =
  | ({ readonly mode: "native" } & NativeOptions)
  | ({ readonly mode: "tool" } & ToolOptions)
  | ({ readonly mode: "prompted" } & PromptedOptions)

/**
 * The output object of a schema (what the native and prompted modes send): its JSON Schema, name
 * and description.
 *
 * @since 0.1.0
 * @category constructors
 */
export const definition = <A, I>(schema: Schema.Schema<A, I, never>, options?: NativeOptions): OutputObjectDefinition => {
  const description = options?.description ?? annotation(schema.ast, SchemaAST.getDescriptionAnnotation)
  return {
    name: sanitiseName(options?.name ?? annotation(schema.ast, SchemaAST.getIdentifierAnnotation) ?? annotation(schema.ast, SchemaAST.getTitleAnnotation) ?? defaultToolName),
    jsonSchema: jsonSchema(schema),
    ...(description !== undefined ? { description } : {}),
    ...(options?.strict !== undefined ? { strict: options.strict } : {})
  }
}

/**
 * Native mode: the provider constrains the answer to the schema; the output is the text.
 *
 * @example
 * LanguageModel.request(messages, { parameters: Output.native(Weather, { name: "weather" }) })
 *
 * @since 0.1.0
 * @category constructors
 */
export const native = <A, I>(schema: Schema.Schema<A, I, never>, options?: NativeOptions): ModelRequestParameters =>
  new ModelRequestParameters({
    functionTools: options?.functionTools ?? [],
    outputMode: "native",
    outputObject: definition(schema, options),
    allowTextOutput: true
  })

/**
 * Tool mode: an output tool (default name "final_result") whose arguments are the output; the
 * model must call it unless `allowTextOutput`.
 *
 * @example
 * LanguageModel.request(messages, { parameters: Output.tool(Weather, { functionTools: [GetForecast] }) })
 *
 * @since 0.1.0
 * @category constructors
 */
export const tool = <A, I>(schema: Schema.Schema<A, I, never>, options?: ToolOptions): ModelRequestParameters => {
  const description = options?.description ?? annotation(schema.ast, SchemaAST.getDescriptionAnnotation) ?? defaultToolDescription
  return new ModelRequestParameters({
    functionTools: options?.functionTools ?? [],
    outputTools: [new ToolDefinition({
      name: sanitiseName(options?.name ?? defaultToolName),
      description,
      parametersJsonSchema: jsonSchema(schema),
      ...(options?.strict !== undefined ? { strict: options.strict } : {})
    })],
    outputMode: "tool",
    allowTextOutput: options?.allowTextOutput ?? false
  })
}

/**
 * Prompted mode: the schema and instructions are added to the system prompt; the JSON is taken
 * from the text (fenced in Markdown or not). Works with any model, constrained by none.
 *
 * @example
 * LanguageModel.request(messages, { parameters: Output.prompted(Weather) })
 *
 * @since 0.1.0
 * @category constructors
 */
export const prompted = <A, I>(schema: Schema.Schema<A, I, never>, options?: PromptedOptions): ModelRequestParameters =>
  new ModelRequestParameters({
    functionTools: options?.functionTools ?? [],
    outputMode: "prompted",
    outputObject: definition(schema, options),
    allowTextOutput: true,
    ...(options?.template !== undefined ? { promptedOutputTemplate: options.template } : {})
  })

/**
 * The parameters of any mode, chosen by `options.mode` (pydantic-ai's `output_mode`).
 *
 * @example
 * Output.make(Weather, { mode: "native" })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(schema: Schema.Schema<A, I, never>, options: MakeOptions): ModelRequestParameters => {
  switch (options.mode) {
    case "native":
      return native(schema, options)
    case "tool":
      return tool(schema, options)
    case "prompted":
      return prompted(schema, options)
  }
}

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/**
 * One problem of a decode: where (`$.location`, `$.items[0]`) and what.
 *
 * @since 0.1.0
 * @category models
 */
export const OutputIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
/**
 * One problem of a decode.
 *
 * @since 0.1.0
 * @category models
 */
export type OutputIssue = typeof OutputIssue.Type

const excerpt = (raw: string): string => (raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)

/**
 * The response's structured output could not be decoded: missing, not JSON, or not valid for the
 * schema. `path` names the first place that failed (`$` is the whole output), `issues` lists
 * every one, and `raw` keeps the output exactly as the model sent it.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutputDecodeError extends Schema.TaggedError<OutputDecodeError>()("OutputDecodeError", {
  /** The mode the output was read in. */
  mode: Schema.String,
  /** Where the output was read from: the text, or the output tool's arguments. */
  source: Schema.Literal("text", "tool", "none"),
  path: Schema.String,
  issues: Schema.Array(OutputIssue),
  raw: Schema.String
}) {
  override get message(): string {
    const [first, ...others] = this.issues
    const more = others.length > 0 ? ` (and ${others.length} more: ${others.slice(0, 3).map((i) => i.path).join(", ")})` : ""
    const where = this.source === "tool" ? "output tool arguments" : this.source === "text" ? "output text" : "output"
    return `The structured ${where} (${this.mode} mode) failed at ${this.path}: ${first?.message ?? "invalid"}${more}. Raw output (in the error's \`raw\` field): ${excerpt(this.raw) || "(empty)"}`
  }
}

const segment = (key: PropertyKey): string =>
  typeof key === "number" ? `[${key}]` : typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(String(key))}]`

const pathOf = (path: ReadonlyArray<PropertyKey>): string => `$${path.map(segment).join("")}`

/** Where a response's output is, given the parameters it was requested with. */
interface Located {
  readonly mode: string
  readonly source: "text" | "tool" | "none"
  readonly raw: string
  /** the tool call's arguments (already parsed when they were JSON) */
  readonly args?: unknown
}

const locate = (response: ModelResponse, input: ModelRequestParametersInput | undefined): Located => {
  const parameters = input === undefined ? undefined : ModelRequestParameters.from(input)
  const mode = parameters?.outputMode ?? "auto"
  const names = new Set(parameters?.outputTools.map((t) => t.name) ?? [])
  const call = response.toolCalls.find((c) => names.size === 0 || names.has(c.toolName))
  const fromTool = (): Located => (call !== undefined ? { mode, source: "tool", raw: call.argsAsJson, args: call.args } : { mode, source: "none", raw: "" })
  const text = response.text
  const fromText = (): Located => ({ mode, source: text.trim() === "" ? "none" : "text", raw: text })
  switch (mode) {
    case "tool":
      return fromTool()
    case "native":
    case "prompted":
      return fromText()
    default:
      // text mode (or unknown parameters): an output tool call when there is one, else the text
      if (call !== undefined && (names.size > 0 || text.trim() === "")) return fromTool()
      return fromText()
  }
}

/**
 * The raw output of a response: the output tool's arguments as JSON in tool mode, the text
 * otherwise ("" when there is none).
 *
 * @since 0.1.0
 * @category utils
 */
export const rawOutput = (response: ModelResponse, parameters?: ModelRequestParametersInput): string => locate(response, parameters).raw

const failure = (located: Located, issues: ReadonlyArray<OutputIssue>): OutputDecodeError =>
  new OutputDecodeError({ mode: located.mode, source: located.source, path: issues[0]?.path ?? "$", issues, raw: located.raw })

const parseJson = (located: Located): Either.Either<unknown, OutputDecodeError> => {
  if (located.source === "none") {
    const missing = located.mode === "tool" ? "the response has no call to the output tool" : "the response has no text output"
    return Either.left(failure(located, [{ path: "$", message: missing }]))
  }
  if (located.source === "tool" && typeof located.args !== "string") return Either.right(located.args)
  const text = located.source === "tool" ? located.raw : extractJson(located.raw)
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (e) {
    return Either.left(failure(located, [{ path: "$", message: `not valid JSON (${e instanceof Error ? e.message : String(e)})` }]))
  }
}

/**
 * Decodes a response's structured output with `schema`, as an `Either` (no Effect to run): the
 * output tool's arguments in tool mode, the text in native mode, the JSON in the text (fenced in
 * Markdown or not) in prompted mode. Without `parameters`, an output tool call is used when there
 * is no text. Fails with an {@link OutputDecodeError} naming the path that failed and keeping the
 * raw output.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeEither = <A, I>(
  schema: Schema.Schema<A, I, never>,
  response: ModelResponse,
  parameters?: ModelRequestParametersInput
): Either.Either<A, OutputDecodeError> => {
  const located = locate(response, parameters)
  return Either.flatMap(parseJson(located), (value) =>
    Either.mapLeft(
      Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })(value),
      (error) =>
        failure(
          located,
          ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({ path: pathOf(issue.path), message: issue.message }))
        )
    ))
}

/**
 * Decodes a response's structured output with `schema` (see {@link decodeEither}).
 *
 * @example
 * const weather = yield* Output.decode(Weather, response, parameters)
 *
 * @since 0.1.0
 * @category codecs
 */
export const decode = <A, I>(
  schema: Schema.Schema<A, I, never>,
  response: ModelResponse,
  parameters?: ModelRequestParametersInput
): Effect.Effect<A, OutputDecodeError> => Effect.suspend(() => decodeEither(schema, response, parameters))

/**
 * Decodes a response's structured output or throws the {@link OutputDecodeError}: for code
 * outside Effect, such as the Promise facade's callers.
 *
 * @example
 * const weather = Output.decodeSync(Weather, await modelRequest(model, messages, { modelRequestParameters: parameters }), parameters)
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeSync = <A, I>(schema: Schema.Schema<A, I, never>, response: ModelResponse, parameters?: ModelRequestParametersInput): A =>
  Either.getOrThrowWith(decodeEither(schema, response, parameters), (error) => error)

/**
 * Runs a stream to its end and decodes the output of the whole response (see {@link decode}).
 *
 * @example
 * const weather = yield* LanguageModel.requestStream(messages, { parameters }).pipe(Output.decodeStream(Weather, parameters))
 *
 * @since 0.1.0
 * @category streams
 */
export const decodeStream = <A, I>(schema: Schema.Schema<A, I, never>, parameters?: ModelRequestParametersInput) =>
<E, R>(self: Stream.Stream<ModelResponseStreamEvent, E, R>): Effect.Effect<A, E | OutputDecodeError, R> =>
  Effect.flatMap(accumulateStream(self), (response) => decode(schema, response, parameters))

// ---------------------------------------------------------------------------------------------
// partial output
// ---------------------------------------------------------------------------------------------

/**
 * A partial value: any property may still be missing, at any depth.
 *
 * @since 0.1.0
 * @category models
 */
export type DeepPartial<T> = T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepPartial<U>>
  : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
  : T

// Anthropic opens a tool call with `input: {}`: no argument text yet
const argsText = (args: unknown): string =>
  typeof args === "string" ? args : args === undefined || args === null || (isRecord(args) && Object.keys(args).length === 0) ? "" : JSON.stringify(args)

/**
 * Follows a stream's events and keeps the partial output parsed so far: the output tool's
 * arguments in tool mode, the JSON in the text otherwise (after a Markdown fence or prose, in
 * prompted mode). For callers that consume events themselves (the Promise facade's streams);
 * Effect code uses {@link partial}.
 *
 * @since 0.1.0
 * @category models
 */
export class PartialOutput {
  private readonly mode: OutputMode | "auto"
  private readonly names: ReadonlySet<string>
  private readonly allowTools: boolean
  private source: "text" | "tool" | undefined
  private toolIndex: number | undefined
  private readonly texts = new Map<number, string>()
  private args = ""
  private lastJson: string | undefined
  /** The partial output so far (`undefined` until some JSON has arrived). */
  value: unknown = undefined

  constructor(parameters?: ModelRequestParametersInput) {
    const p = parameters === undefined ? undefined : ModelRequestParameters.from(parameters)
    this.mode = p?.outputMode ?? "auto"
    this.names = new Set(p?.outputTools.map((t) => t.name) ?? [])
    this.allowTools = this.mode === "tool" || this.mode === "auto" || (this.mode === "text" && this.names.size > 0)
  }

  /** The text or arguments the output is read from, so far. */
  get raw(): string {
    return this.source === "tool" ? this.args : [...this.texts.entries()].sort(([a], [b]) => a - b).map(([, t]) => t).join("")
  }

  /** Takes one event into account; true when the partial output changed. */
  add(event: ModelResponseStreamEvent): boolean {
    switch (event._tag) {
      case "PartStartEvent":
      case "PartEndEvent": {
        const part = event.part
        if (part._tag === "TextPart" && this.source !== "tool" && this.mode !== "tool") {
          this.source = "text"
          this.texts.set(event.index, part.content)
        } else if (part._tag === "ToolCallPart" && this.allowTools && (this.names.size === 0 || this.names.has(part.toolName))) {
          if (this.source === undefined || (this.source === "tool" && this.toolIndex === undefined)) {
            this.source = "tool"
            this.toolIndex = event.index
          }
          if (this.toolIndex === event.index) this.args = argsText(part.args)
        } else {
          return false
        }
        break
      }
      case "PartDeltaEvent": {
        const delta = event.delta
        if (delta._tag === "TextPartDelta" && this.source === "text" && this.texts.has(event.index)) {
          this.texts.set(event.index, this.texts.get(event.index)! + delta.contentDelta)
        } else if (delta._tag === "ToolCallPartDelta" && this.source === "tool" && this.toolIndex === event.index) {
          this.args += delta.argsDelta
        } else {
          return false
        }
        break
      }
      default:
        return false
    }
    const raw = this.raw
    const from = this.source === "tool" ? raw : jsonStart(raw)
    const value = from === undefined ? undefined : parsePartialJson(from)
    if (value === undefined) return false
    const json = JSON.stringify(value)
    if (json === this.lastJson) return false
    this.lastJson = json
    this.value = value
    return true
  }
}

/**
 * The partial output of a stream as it grows: one element each time the parsed JSON changes
 * (a property appears, a string gets longer, ...). The values are the schema's encoded side,
 * incomplete; decode the whole response (see {@link decodeStream}) for the final, checked value.
 *
 * @example
 * const parameters = Output.native(Weather)
 * yield* LanguageModel.requestStream(messages, { parameters }).pipe(
 *   Output.partial(parameters, Weather),
 *   Stream.runForEach((weather) => Console.log(weather.location))
 * )
 *
 * @since 0.1.0
 * @category streams
 */
export const partial: {
  (parameters?: ModelRequestParametersInput): <E, R>(self: Stream.Stream<ModelResponseStreamEvent, E, R>) => Stream.Stream<unknown, E, R>
  <A, I>(
    parameters: ModelRequestParametersInput | undefined,
    schema: Schema.Schema<A, I, never>
  ): <E, R>(self: Stream.Stream<ModelResponseStreamEvent, E, R>) => Stream.Stream<DeepPartial<I>, E, R>
} = (parameters?: ModelRequestParametersInput) =>
<E, R>(self: Stream.Stream<ModelResponseStreamEvent, E, R>): Stream.Stream<never, E, R> =>
  Stream.suspend(() => {
    const tracker = new PartialOutput(parameters)
    return Stream.filterMap(self, (event) => (tracker.add(event) ? Option.some(tracker.value as never) : Option.none()))
  })

/**
 * The partial output of a (possibly incomplete) response, as {@link partial} would see it;
 * `undefined` before any JSON.
 *
 * @since 0.1.0
 * @category codecs
 */
export const parsePartial = (response: ModelResponse, parameters?: ModelRequestParametersInput): unknown => {
  const located = locate(response, parameters)
  if (located.source === "none") return undefined
  const from = located.source === "tool" ? located.raw : jsonStart(located.raw)
  return from === undefined ? undefined : parsePartialJson(from)
}
