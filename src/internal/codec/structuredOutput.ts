/**
 * What both providers' codecs and the public `Output` module share about structured output: the
 * output object a mode needs, the prompted mode's instructions (a documented template), the tool
 * choice that forces an output tool, and where a JSON value sits in a model's text.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { InvalidInputError } from "../../AiError.js"
import { type ModelMessage, ModelRequest } from "../../Message.js"
import type { ModelRequestParameters, OutputObjectDefinition } from "../../Parameters.js"

/**
 * The prompted mode's default instructions; `{schema}` stands for the output object's JSON Schema
 * (with its name as `title` and its description). They are appended to the newest request's
 * instructions, so they reach the system prompt on every provider.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPromptedTemplate = `Always respond with a JSON object that matches this JSON schema:

{schema}

Respond with the JSON object only: no text and no Markdown code fences before or after it.`

/**
 * The output object of the "native" and "prompted" modes (undefined in the other modes); a
 * missing one is our own validation error, raised before any network call.
 *
 * @since 0.1.0
 * @category utils
 */
export const outputObjectOf = (
  parameters: ModelRequestParameters,
  provider: string
): Either.Either<OutputObjectDefinition | undefined, InvalidInputError> => {
  if (parameters.outputMode !== "native" && parameters.outputMode !== "prompted") return Either.right(undefined)
  if (parameters.outputObject !== undefined) return Either.right(parameters.outputObject)
  return Either.left(new InvalidInputError({
    provider,
    reason: `the "${parameters.outputMode}" output mode needs an output object (parameters.outputObject): build the parameters with Output.${parameters.outputMode}(schema).`
  }))
}

/**
 * What an output mode adds to a request: messages (the prompted mode's instructions) and the native mode's format.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputEncoding<Format> {
  readonly messages: ReadonlyArray<ModelMessage>
  readonly format: Format | undefined
  readonly warnings: ReadonlyArray<string>
}

/**
 * The output mode's part of a request: nothing in the tool and text modes, the instructions in the
 * prompted mode, the provider's format (`native`) in the native mode; a native or prompted mode
 * without an output object fails.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeOutputWith = <Format>(
  messages: ReadonlyArray<ModelMessage>,
  parameters: ModelRequestParameters,
  provider: string,
  native: (output: OutputObjectDefinition) => { readonly format: Format; readonly warnings: ReadonlyArray<string> }
): Either.Either<OutputEncoding<Format>, InvalidInputError> =>
  Either.map(outputObjectOf(parameters, provider), (output): OutputEncoding<Format> => {
    if (output === undefined) return { messages, format: undefined, warnings: [] }
    if (parameters.outputMode === "prompted") {
      return { messages: withExtraInstructions(messages, promptedInstructions(output, parameters.promptedOutputTemplate)), format: undefined, warnings: [] }
    }
    return { messages, ...native(output) }
  })

/**
 * The schema as the prompted instructions show it: the name as `title`, the description kept.
 *
 * @since 0.1.0
 * @category utils
 */
export const promptedSchema = (output: OutputObjectDefinition): Record<string, unknown> => ({
  ...(output.jsonSchema.title === undefined ? { title: output.name } : {}),
  ...(output.description !== undefined && output.jsonSchema.description === undefined ? { description: output.description } : {}),
  ...output.jsonSchema
})

/**
 * The prompted mode's instructions for an output object.
 *
 * @since 0.1.0
 * @category utils
 */
export const promptedInstructions = (output: OutputObjectDefinition, template: string | undefined): string =>
  (template ?? defaultPromptedTemplate).split("{schema}").join(JSON.stringify(promptedSchema(output)))

/**
 * The messages with `extra` appended to the newest request's instructions (the ones providers
 * send as the system prompt); a history without a request is returned as it is.
 *
 * @since 0.1.0
 * @category utils
 */
export const withExtraInstructions = (messages: ReadonlyArray<ModelMessage>, extra: string): ReadonlyArray<ModelMessage> => {
  let last = -1
  messages.forEach((m, i) => {
    if (m._tag === "ModelRequest") last = i
  })
  if (last === -1) return messages
  const request = messages[last] as ModelRequest
  const instructions = request.instructions !== undefined && request.instructions !== "" ? `${request.instructions}\n\n${extra}` : extra
  const out = [...messages]
  out[last] = new ModelRequest({ parts: request.parts, instructions })
  return out
}

/**
 * The output tool to force by name: in the "tool" mode, when text is not allowed and the only
 * tool offered is one output tool. With function tools too, forcing it would forbid them, so the
 * providers' "any tool" choice is used instead.
 *
 * @since 0.1.0
 * @category utils
 */
export const forcedOutputTool = (parameters: ModelRequestParameters): string | undefined =>
  parameters.outputMode === "tool" && !parameters.allowTextOutput && parameters.functionTools.length === 0 && parameters.outputTools.length === 1
    ? parameters.outputTools[0]!.name
    : undefined

const fence = /```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n?/

/**
 * Where the JSON in a model's text starts: inside the first Markdown code fence if there is one,
 * else at the first `{` or `[`; `undefined` when no JSON has started. The text from there may
 * run past the value (a closing fence, a remark): parsers stop at the value's end.
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonStart = (text: string): string | undefined => {
  const opened = fence.exec(text)
  const from = opened !== null ? text.slice(opened.index + opened[0].length) : text
  const at = from.search(/[{[]/)
  if (at !== -1) return from.slice(at)
  // a fence that has only begun (```js...) or a bare scalar: nothing to show yet
  return opened !== null || from.trim() === "" ? undefined : from.trim()
}

/**
 * The JSON text in a model's complete answer: the whole text when it is JSON, else the body of
 * the first fenced block, else the span from the first `{` / `[` to the last `}` / `]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const extractJson = (text: string): string => {
  const trimmed = text.trim()
  if (isJson(trimmed)) return trimmed
  const block = /```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```/.exec(trimmed)
  if (block !== null) return block[1]!.trim()
  const start = trimmed.search(/[{[]/)
  const end = Math.max(trimmed.lastIndexOf("}"), trimmed.lastIndexOf("]"))
  return start !== -1 && end > start ? trimmed.slice(start, end + 1) : trimmed
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
