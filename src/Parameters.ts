/**
 * Per-request parameters (which tools, which output) and settings (sampling, limits, headers).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { InvalidInputError } from "./AiError.js"
import { CacheTtl } from "./Message.js"
import { fromInput as toolFromInput, JsonSchemaObject, ToolDefinition, type ToolDefinitionInput } from "./Tool.js"

/**
 * How structured output is requested: `text` (plain text or output tools), `tool` (an output
 * tool the model must call), `native` (the provider's JSON-schema response format) or
 * `prompted` (the schema in the instructions, JSON taken from the text).
 *
 * @since 0.1.0
 * @category models
 */
export const OutputMode = Schema.Literal("text", "tool", "native", "prompted")
/**
 * How structured output is requested.
 *
 * @since 0.1.0
 * @category models
 */
export type OutputMode = typeof OutputMode.Type

/**
 * The structured output the "native" and "prompted" modes ask for (pydantic-ai's
 * `OutputObjectDefinition`): a JSON Schema with a name (OpenAI's `json_schema.name`, the schema's
 * title in the prompted instructions), an optional description, and `strict` for OpenAI (unset:
 * strict exactly when the schema allows it). A plain struct, so parameters stay JSON-encodable
 * and batch requests carry it. Build it from an Effect Schema with `Output.native` / `Output.prompted`.
 *
 * @since 0.1.0
 * @category models
 */
export const OutputObjectDefinition = Schema.Struct({
  name: Schema.String,
  description: Schema.optional(Schema.String),
  jsonSchema: JsonSchemaObject,
  strict: Schema.optional(Schema.Boolean)
})
/**
 * The structured output of the "native" and "prompted" modes.
 *
 * @since 0.1.0
 * @category models
 */
export type OutputObjectDefinition = typeof OutputObjectDefinition.Type

/**
 * The provider's web search, run on its side: `maxUses` caps the searches per request,
 * `allowedDomains` / `blockedDomains` restrict the sites, `userLocation` localises results;
 * `searchContextSize` is OpenAI's knob (Anthropic ignores it).
 *
 * @since 0.2.0
 * @category models
 */
export class WebSearchTool extends Schema.TaggedClass<WebSearchTool>()("WebSearchTool", {
  maxUses: Schema.optional(Schema.Number),
  allowedDomains: Schema.optional(Schema.Array(Schema.String)),
  blockedDomains: Schema.optional(Schema.Array(Schema.String)),
  userLocation: Schema.optional(Schema.Struct({
    city: Schema.optional(Schema.String),
    region: Schema.optional(Schema.String),
    country: Schema.optional(Schema.String),
    timezone: Schema.optional(Schema.String)
  })),
  searchContextSize: Schema.optional(Schema.Literal("low", "medium", "high"))
}) {}

/**
 * The provider fetches web pages (and PDFs) the conversation names, on its side: `maxUses`,
 * `allowedDomains` / `blockedDomains`, `citations` (cite the fetched content) and
 * `maxContentTokens` (truncate long pages).
 *
 * @since 0.2.0
 * @category models
 */
export class WebFetchTool extends Schema.TaggedClass<WebFetchTool>()("WebFetchTool", {
  maxUses: Schema.optional(Schema.Number),
  allowedDomains: Schema.optional(Schema.Array(Schema.String)),
  blockedDomains: Schema.optional(Schema.Array(Schema.String)),
  citations: Schema.optional(Schema.Boolean),
  maxContentTokens: Schema.optional(Schema.Number)
}) {}

/**
 * The provider runs code the model writes in its sandbox.
 *
 * @since 0.2.0
 * @category models
 */
export class CodeExecutionTool extends Schema.TaggedClass<CodeExecutionTool>()("CodeExecutionTool", {}) {}

/**
 * A remote MCP server the provider connects to and whose tools the model may call, on the
 * provider's side. `name` identifies the server in the calls; `authorizationToken` is sent to
 * the provider in the request body (and stored with batch requests: use a short-lived token);
 * `allowedTools` restricts the server's tools; `headers` are OpenAI's extra headers to the server.
 *
 * @since 0.2.0
 * @category models
 */
export class McpServerTool extends Schema.TaggedClass<McpServerTool>()("McpServerTool", {
  name: Schema.String,
  url: Schema.String,
  authorizationToken: Schema.optional(Schema.String),
  allowedTools: Schema.optional(Schema.Array(Schema.String)),
  description: Schema.optional(Schema.String),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
}) {}

/**
 * Search over the provider's stored files (OpenAI's vector stores).
 *
 * @since 0.2.0
 * @category models
 */
export class FileSearchTool extends Schema.TaggedClass<FileSearchTool>()("FileSearchTool", {
  vectorStoreIds: Schema.Array(Schema.String),
  maxNumResults: Schema.optional(Schema.Number)
}) {}

/**
 * A provider built-in tool to enable. A provider maps the ones it offers to its server tools
 * and fails with an `InvalidInputError` naming the tool, before any request, for the others.
 *
 * @since 0.2.0
 * @category models
 */
export const BuiltinTool = Schema.Union(WebSearchTool, WebFetchTool, CodeExecutionTool, McpServerTool, FileSearchTool)
/**
 * A provider built-in tool to enable.
 *
 * @since 0.2.0
 * @category models
 */
export type BuiltinTool = typeof BuiltinTool.Type

/**
 * The first of `parameters.builtinTools` a provider does not offer, as the `InvalidInputError`
 * its codec fails with before any request; `undefined` when it offers them all.
 *
 * @since 0.2.0
 * @category utils
 */
export const unsupportedBuiltinTool = (
  builtinTools: ReadonlyArray<BuiltinTool> | undefined,
  provider: string,
  supported: ReadonlyArray<BuiltinTool["_tag"]>
): InvalidInputError | undefined => {
  const tool = builtinTools?.find((t) => !supported.includes(t._tag))
  return tool === undefined ? undefined : new InvalidInputError({
    provider,
    reason: `${provider} does not offer the built-in tool ${tool._tag}${
      supported.length > 0 ? `; it offers ${supported.join(", ")}` : " (this library maps none of its built-in tools yet)"
    }.`
  })
}

/**
 * What a request offers the model: function tools it may call, output tools that end the
 * exchange, whether plain text is an acceptable answer, the output mode, and for the "native" and
 * "prompted" modes the output object (and optionally the prompted instructions' template, whose
 * `{schema}` stands for the schema's JSON). Tools may be {@link ToolDefinition}s or plain objects
 * of their fields (`{ name, description, parametersJsonSchema }`): the constructor builds (and
 * validates) the classes, so `new ModelRequestParameters({ functionTools: [plain] })` works.
 * `builtinTools` enables the provider's own server-side tools ({@link BuiltinTool}); their calls
 * and results come back as `BuiltinToolCallPart` / `BuiltinToolReturnPart`, never as tool calls.
 *
 * @since 0.1.0
 * @category models
 */
export class ModelRequestParameters extends Schema.Class<ModelRequestParameters>("ModelRequestParameters")({
  functionTools: Schema.optionalWith(Schema.Array(ToolDefinition), { default: () => [] }),
  outputTools: Schema.optionalWith(Schema.Array(ToolDefinition), { default: () => [] }),
  allowTextOutput: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  outputMode: Schema.optionalWith(OutputMode, { default: () => "text" as const }),
  outputObject: Schema.optional(OutputObjectDefinition),
  promptedOutputTemplate: Schema.optional(Schema.String),
  builtinTools: Schema.optional(Schema.Array(BuiltinTool))
}) {
  constructor(props: ModelRequestParametersFields = {}, options?: Schema.MakeOptions) {
    super(withToolClasses(props), options)
  }
  /** Every tool offered: function tools then output tools. */
  get allTools(): ReadonlyArray<ToolDefinition> {
    return [...this.functionTools, ...this.outputTools]
  }
  /** Normalises the plain-object form users may pass. */
  static from(input?: ModelRequestParametersInput): ModelRequestParameters {
    if (input === undefined) return defaultParameters
    return input instanceof ModelRequestParameters ? input : new ModelRequestParameters(input)
  }
}

const defaultParameters = new ModelRequestParameters({})

/**
 * The fields of {@link ModelRequestParameters} as its constructor takes them (tools in either form).
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelRequestParametersFields {
  readonly functionTools?: ReadonlyArray<ToolDefinitionInput> | undefined
  readonly outputTools?: ReadonlyArray<ToolDefinitionInput> | undefined
  readonly allowTextOutput?: boolean | undefined
  readonly outputMode?: OutputMode | undefined
  readonly outputObject?: OutputObjectDefinition | undefined
  readonly promptedOutputTemplate?: string | undefined
  readonly builtinTools?: ReadonlyArray<BuiltinTool> | undefined
}

// the class's field schema checks instances (`instanceof ToolDefinition`): plain tools are made
// classes first; arrays of instances only (every decode, every copy) are passed through as they are
function withToolClasses(props: ModelRequestParametersFields): ModelRequestParametersFields {
  const functionTools = toolClasses(props.functionTools)
  const outputTools = toolClasses(props.outputTools)
  return functionTools === props.functionTools && outputTools === props.outputTools ? props : { ...props, functionTools, outputTools }
}

function toolClasses(tools: ReadonlyArray<ToolDefinitionInput> | undefined): ReadonlyArray<ToolDefinitionInput> | undefined {
  if (!Array.isArray(tools) || tools.every((t) => t instanceof ToolDefinition)) return tools
  return tools.map(toolFromInput)
}

/**
 * The parameters as a class instance or as a plain object of its fields (tools in either form).
 *
 * @since 0.1.0
 * @category models
 */
export type ModelRequestParametersInput = ModelRequestParameters | ModelRequestParametersFields

/**
 * Which tool the model must use: the providers' choices, or one named tool.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolChoice = Schema.Union(
  Schema.Literal("auto", "none", "required"),
  Schema.Struct({ toolName: Schema.String })
)
/**
 * Which tool the model must use.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolChoice = typeof ToolChoice.Type

/**
 * A prompt-cache setting: `true` caches with the provider's default lifetime, a {@link CacheTtl}
 * with that lifetime, `false` (or unset) not at all.
 *
 * @since 0.2.0
 * @category models
 */
export const CacheSetting = Schema.Union(Schema.Boolean, CacheTtl)
/**
 * A prompt-cache setting.
 *
 * @since 0.2.0
 * @category models
 */
export type CacheSetting = typeof CacheSetting.Type

/**
 * Settings for one request. Every field is optional; a field the provider does not support is
 * ignored with a logged warning that names it. `timeout` is in seconds.
 *
 * Prompt caching: `cacheInstructions` and `cacheTools` put a cache breakpoint after the system
 * prompt and after the tool definitions (Anthropic); `promptCacheKey` and
 * `promptCacheRetention` (`"in_memory"` or `"24h"`) steer OpenAI's automatic caching. A
 * `CachePoint` in a user prompt marks a breakpoint in the messages.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelSettings = Schema.Struct({
  maxTokens: Schema.optional(Schema.Number),
  temperature: Schema.optional(Schema.Number),
  topP: Schema.optional(Schema.Number),
  seed: Schema.optional(Schema.Number),
  stopSequences: Schema.optional(Schema.Array(Schema.String)),
  parallelToolCalls: Schema.optional(Schema.Boolean),
  presencePenalty: Schema.optional(Schema.Number),
  frequencyPenalty: Schema.optional(Schema.Number),
  timeout: Schema.optional(Schema.Number),
  toolChoice: Schema.optional(ToolChoice),
  cacheInstructions: Schema.optional(CacheSetting),
  cacheTools: Schema.optional(CacheSetting),
  promptCacheKey: Schema.optional(Schema.String),
  promptCacheRetention: Schema.optional(Schema.Literal("in_memory", "24h")),
  extraHeaders: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  extraBody: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
/**
 * Settings for one request.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelSettings = typeof ModelSettings.Type

/**
 * Merges settings: fields of `overrides` win; headers and extra body are merged by key.
 *
 * @since 0.1.0
 * @category utils
 */
export const mergeSettings = (base: ModelSettings | undefined, overrides: ModelSettings | undefined): ModelSettings => {
  if (base === undefined) return overrides ?? {}
  if (overrides === undefined) return base
  const merged: { -readonly [K in keyof ModelSettings]: ModelSettings[K] } = { ...base, ...overrides }
  if (base.extraHeaders !== undefined || overrides.extraHeaders !== undefined) {
    merged.extraHeaders = { ...base.extraHeaders, ...overrides.extraHeaders }
  }
  if (base.extraBody !== undefined || overrides.extraBody !== undefined) {
    merged.extraBody = { ...base.extraBody, ...overrides.extraBody }
  }
  return merged
}
