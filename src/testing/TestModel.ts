/**
 * `TestModel`: a deterministic model with no network. It calls every offered function tool once
 * with arguments valid for the tool's JSON Schema; after tool results it calls the output tool
 * (if any) or answers text. Streams emit the same response as events. Use it to test code that
 * depends on `LanguageModel` without a provider.
 *
 * @example
 * const program = LanguageModel.request([ModelRequest.userTextPrompt("hi")])
 * Effect.runPromise(Effect.provide(program, TestModel.layer()))
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import * as BatchModel from "../BatchModel.js"
import { responseToEvents } from "../internal/stream/eventBuilder.js"
import { sample } from "../internal/codec/jsonSchemaSample.js"
import * as LanguageModel from "../LanguageModel.js"
import {
  type ModelMessage,
  ModelResponse,
  type ModelResponsePart,
  type RetryPromptPart,
  TextPart,
  type ToolReturnPart,
  ToolCallPart
} from "../Message.js"
import { ModelRequestParameters } from "../Parameters.js"
import { RequestUsage } from "../Usage.js"
import * as SimulatedBatch from "./SimulatedBatch.js"

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The text answer (default: "success (no tool calls)", or the tool results as JSON). */
  readonly customOutputText?: string | undefined
  /** The arguments of the output-tool call (default: sampled from its schema). */
  readonly customOutputArgs?: Record<string, unknown> | undefined
  /** Which function tools to call: "all" (default) or a list of names. */
  readonly callTools?: "all" | ReadonlyArray<string> | undefined
  /** The model name reported (default "test"). */
  readonly modelName?: string | undefined
  /** Varies the sampled arguments (default 0). */
  readonly seed?: number | undefined
  /**
   * The lifecycle of simulated batches (default: complete at create, so no polling is needed
   * outside `TestClock`); e.g. `{ statusCalls: 3, outcome: "expired" }` to test polling code.
   */
  readonly batch?: SimulatedBatch.Lifecycle | undefined
}

const partText = (p: ModelResponsePart): string =>
  p._tag === "ToolCallPart" || p._tag === "BuiltinToolCallPart" ? JSON.stringify(p.args) : p._tag === "BuiltinToolReturnPart" ? JSON.stringify(p.content) : p.content

const words = (text: string): number => text.split(/[\s",.:;]+/).filter((w) => w.length > 0).length

const requestWords = (messages: ReadonlyArray<ModelMessage>): number =>
  messages.reduce((n, m) => {
    if (m._tag === "ModelResponse") return n + m.parts.reduce((k, p) => k + words(partText(p)), 0)
    const instructions = m.instructions ? words(m.instructions) : 0
    return n + instructions + m.parts.reduce((k, p) => {
      switch (p._tag) {
        case "UserPromptPart":
          return k + (typeof p.content === "string" ? words(p.content) : p.content.reduce((j, c) => j + (typeof c === "string" ? words(c) : 50), 0))
        case "ToolReturnPart":
          return k + words(p.contentText)
        default:
          return k + words(p.content)
      }
    }, 0)
  }, 50)

/**
 * The answer TestModel gives to `messages` under `parameters`.
 *
 * @since 0.1.0
 * @category utils
 */
export const answer = (messages: ReadonlyArray<ModelMessage>, parameters: ModelRequestParameters, options?: Options): ModelResponse => {
  const last = messages[messages.length - 1]
  const toolReturns = last?._tag === "ModelRequest"
    ? last.parts.filter((p): p is ToolReturnPart | (RetryPromptPart & { toolName: string }) =>
        p._tag === "ToolReturnPart" || (p._tag === "RetryPromptPart" && p.toolName !== undefined))
    : []
  const seed = options?.seed ?? 0
  const parts: Array<ModelResponsePart> = []
  let callIndex = 0
  const callId = () => `call_test_${messages.length}_${callIndex++}`
  if (toolReturns.length === 0 && parameters.functionTools.length > 0) {
    const wanted = options?.callTools ?? "all"
    for (const tool of parameters.functionTools) {
      if (wanted === "all" || wanted.includes(tool.name)) {
        parts.push(new ToolCallPart({ toolName: tool.name, args: sample(tool.parametersJsonSchema, seed), toolCallId: callId() }))
      }
    }
  }
  if (parts.length === 0) {
    const output = parameters.outputTools[0]
    if (output !== undefined && (!parameters.allowTextOutput || toolReturns.length > 0 || parameters.functionTools.length === 0)) {
      parts.push(new ToolCallPart({ toolName: output.name, args: options?.customOutputArgs ?? sample(output.parametersJsonSchema, seed), toolCallId: callId() }))
    } else {
      // native and prompted modes answer JSON valid for the output schema, as a model would
      const outputObject = parameters.outputMode === "native" || parameters.outputMode === "prompted" ? parameters.outputObject : undefined
      const text = options?.customOutputText ?? (outputObject !== undefined
        ? JSON.stringify(sample(outputObject.jsonSchema, seed))
        : toolReturns.length > 0
        ? JSON.stringify(Object.fromEntries(toolReturns.map((p) => [p.toolName, p.content])))
        : "success (no tool calls)")
      parts.push(new TextPart({ content: text }))
    }
  }
  const outputWords = parts.reduce((n, p) => n + words(partText(p)), 0)
  return new ModelResponse({
    parts,
    usage: new RequestUsage({ inputTokens: requestWords(messages), outputTokens: outputWords }),
    modelName: options?.modelName ?? "test",
    providerName: "test",
    finishReason: parts.some((p) => p._tag === "ToolCallPart") ? "tool_call" : "stop"
  })
}

/**
 * A TestModel `LanguageModel` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): LanguageModel.Service =>
  LanguageModel.make({
    provider: "test",
    modelName: options?.modelName ?? "test",
    supportedSettings: ["maxTokens", "temperature", "topP", "seed", "stopSequences", "parallelToolCalls", "presencePenalty", "frequencyPenalty", "timeout", "toolChoice", "extraHeaders", "extraBody"],
    request: (messages, { parameters }) => Effect.sync(() => answer(messages, parameters, options)),
    openStream: (messages, { parameters }) =>
      Effect.sync(() => Stream.fromIterable(responseToEvents(answer(messages, parameters, options), parameters)))
  }, { retry: false })

/**
 * A simulated `BatchModel` whose results are TestModel's answers, on the Effect clock.
 *
 * @since 0.1.0
 * @category layers
 */
export const batchLayer = (options?: Options): Layer.Layer<BatchModel.BatchModel> =>
  Layer.effect(
    BatchModel.BatchModel,
    Effect.map(
      SimulatedBatch.make({
        provider: "test",
        modelName: options?.modelName ?? "test",
        answer: (request) => answer(request.messages, ModelRequestParameters.from(request.parameters), options),
        lifecycle: options?.batch ?? { statusCalls: 0 }
      }),
      (simulation) => simulation.service
    )
  )

/**
 * A Layer providing {@link make}'s `LanguageModel` and a simulated `BatchModel` ({@link batchLayer}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<LanguageModel.LanguageModel | BatchModel.BatchModel> =>
  Layer.merge(Layer.sync(LanguageModel.LanguageModel, () => make(options)), batchLayer(options))
