/**
 * An OpenAI batch-job API in the style of pydantic-ai's `OpenAIBatchModel`, on top of `Batch` and the
 * `BatchModel` in context (`OpenAi.model` / `OpenAi.batchModel`): build requests from a prompt
 * ({@link createChatRequest}), submit ({@link batchCreateJob}), check ({@link batchGetStatus}),
 * read results with their text, tool calls and errors ({@link batchRetrieveJob}), cancel and
 * list. Each call retries transient faults like the `Batch` calls it uses.
 *
 * One request is enough: "at least 2 requests" is not an OpenAI rule. Reached as `OpenAi.Batch`
 * (from `effect-llm-direct` and `effect-llm-direct/openai`); it is a program over `Batch`, so it
 * lives beside the provider rather than in it.
 *
 * @example
 * const program = Effect.gen(function* () {
 *   const id = yield* OpenAi.Batch.batchCreateJob([
 *     OpenAi.Batch.createChatRequest({ customId: "math-question", prompt: "What is 2+2?", model: "gpt-4o-mini", maxTokens: 50 })
 *   ], { metadata: { project: "my-batch-job" } })
 *   const job = yield* OpenAi.Batch.batchGetStatus(id)
 *   if (job.status === "completed") for (const r of yield* OpenAi.Batch.batchRetrieveJob(id)) console.log(r.customId, r.output ?? r.error)
 * }).pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))
 *
 * @since 0.1.0
 */
import { Chunk, Effect, type Schema, Stream } from "effect"
import { type AiError, type BatchErrorItem, InvalidInputError } from "./AiError.js"
import * as Batch from "./Batch.js"
import type { BatchModel } from "./BatchModel.js"
import { ModelRequest, type ModelResponse, SystemPromptPart, UserPromptPart } from "./Message.js"
import * as Output from "./Output.js"
import { ModelRequestParameters, type ModelSettings } from "./Parameters.js"
import type * as Retry from "./Retry.js"
import type { ToolDefinitionInput } from "./Tool.js"
import { COMPLETION_WINDOW, type Details, ENDPOINT } from "./providers/openai/batchCodec.js"
import { PROVIDER } from "./providers/openai/codec.js"

// ---------------------------------------------------------------------------------------------
// requests
// ---------------------------------------------------------------------------------------------

/**
 * What {@link createChatRequest} takes (`create_chat_request`); `A` and `I` are the
 * types of `outputType`, when there is one.
 *
 * @since 0.1.0
 * @category options
 */
export interface ChatRequestOptions<A = unknown, I = unknown> {
  /** The request's id, unique within the batch. */
  readonly customId: string
  /** The user prompt. */
  readonly prompt: string
  /** The model; OpenAI allows one model per batch, the batch model's. */
  readonly model: string
  readonly maxTokens?: number | undefined
  readonly temperature?: number | undefined
  /** A system prompt sent before the user prompt. */
  readonly systemPrompt?: string | undefined
  /** Function tools the model may call (`Tool.make(...)` definitions or plain objects of their fields). */
  readonly tools?: ReadonlyArray<ToolDefinitionInput> | undefined
  /** The structured output's Effect Schema (`output_type`); decode with `Output.decode`. */
  readonly outputType?: Schema.Schema<A, I, never> | undefined
  /** How the output is requested (`output_mode`, default "tool"); used with `outputType` only. */
  readonly outputMode?: "native" | "tool" | "prompted" | undefined
}

/**
 * One batch request from a prompt.
 *
 * @example
 * OpenAi.Batch.createChatRequest({ customId: "creative-writing", prompt: "Write a short poem about coding", model: "gpt-4o-mini", maxTokens: 100, temperature: 0.8 })
 *
 * @since 0.1.0
 * @category constructors
 */
export const createChatRequest = <A = unknown, I = unknown>(options: ChatRequestOptions<A, I>): Batch.BatchRequest => {
  const settings: { -readonly [K in keyof ModelSettings]: ModelSettings[K] } = {}
  // with an output type, the output mode's parameters carry the function tools too
  const output = options.outputType !== undefined
    ? Output.make(options.outputType, { mode: options.outputMode ?? "tool", functionTools: options.tools })
    : undefined
  if (options.maxTokens !== undefined) settings.maxTokens = options.maxTokens
  if (options.temperature !== undefined) settings.temperature = options.temperature
  return new Batch.BatchRequest({
    customId: options.customId,
    messages: [
      new ModelRequest({
        parts: [
          ...(options.systemPrompt !== undefined ? [new SystemPromptPart({ content: options.systemPrompt })] : []),
          new UserPromptPart({ content: options.prompt })
        ]
      })
    ],
    ...(output !== undefined
      ? { parameters: output }
      : options.tools !== undefined && options.tools.length > 0
      ? { parameters: new ModelRequestParameters({ functionTools: options.tools, allowTextOutput: true }) }
      : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    model: options.model
  })
}

// ---------------------------------------------------------------------------------------------
// jobs
// ---------------------------------------------------------------------------------------------

/**
 * OpenAI's own request counts of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestCounts {
  readonly total: number
  /** Requests that succeeded. */
  readonly completed: number
  readonly failed: number
}

/**
 * A batch job as a `BatchJob`: status, times, window, counts, errors and file ids.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchJob {
  readonly id: string
  readonly status: Batch.BatchStatus
  readonly createdAt: Date
  readonly completedAt: Date | undefined
  readonly completionWindow: string
  readonly endpoint: string
  readonly requestCounts: RequestCounts
  /** Errors of the whole batch (a batch whose input failed validation). */
  readonly errors: ReadonlyArray<BatchErrorItem>
  readonly inputFileId: string | undefined
  readonly outputFileId: string | undefined
  readonly errorFileId: string | undefined
  readonly metadata: Readonly<Record<string, string>>
  /** The snapshot it was read from, for `Batch.watch`, `Batch.results`, .... */
  readonly batch: Batch.Batch
}

/**
 * A batch snapshot as a {@link BatchJob}.
 *
 * @since 0.1.0
 * @category utils
 */
export const jobOf = (batch: Batch.Batch): BatchJob => {
  const d = batch.details as Details
  return {
    id: batch.id,
    status: batch.status,
    createdAt: batch.createdAt,
    completedAt: batch.completedAt,
    completionWindow: d.completionWindow ?? COMPLETION_WINDOW,
    endpoint: d.endpoint ?? ENDPOINT,
    requestCounts: d.requestCounts ?? { total: batch.requestCount, completed: batch.completedCount, failed: batch.failedCount },
    errors: batch.errors,
    inputFileId: d.inputFileId,
    outputFileId: d.outputFileId,
    errorFileId: d.errorFileId,
    metadata: d.metadata ?? {},
    batch
  }
}

/**
 * Options of {@link batchCreateJob} (`batch_create_job`).
 *
 * @since 0.1.0
 * @category options
 */
export interface CreateJobOptions {
  /** Only "/v1/chat/completions", the endpoint of this library's requests. */
  readonly endpoint?: typeof ENDPOINT | undefined
  /** Only "24h", the one window OpenAI offers. */
  readonly completionWindow?: typeof COMPLETION_WINDOW | undefined
  /** At most 16 pairs, keys of 64 characters, values of 512. */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** Retry policy of the call (default `Retry.defaultPolicy`; only rate-limited creates are retried). */
  readonly retry?: Retry.Policy | false | undefined
}

/**
 * Submits one batch (validated first, before any network call) and returns its id. Interrupted
 * while it uploads and creates, it still learns the id and cancels the batch.
 *
 * @since 0.1.0
 * @category programs
 */
export const batchCreateJob = (
  requests: ReadonlyArray<Batch.BatchRequestInput>,
  options: CreateJobOptions = {}
): Effect.Effect<string, AiError, BatchModel> =>
  Effect.gen(function* () {
    const endpoint: string = options.endpoint ?? ENDPOINT
    const window: string = options.completionWindow ?? COMPLETION_WINDOW
    if (endpoint !== ENDPOINT) {
      return yield* new InvalidInputError({ provider: PROVIDER, reason: `endpoint ${JSON.stringify(endpoint)} is not supported: batches run on ${ENDPOINT}, like this library's direct requests.` })
    }
    if (window !== COMPLETION_WINDOW) {
      return yield* new InvalidInputError({ provider: PROVIDER, reason: `completion window ${JSON.stringify(window)} is not offered by OpenAI; use "24h".` })
    }
    const batch = yield* Batch.create(requests, { metadata: options.metadata, retry: options.retry })
    return batch.id
  })

/**
 * The job's current status, counts and file ids (`batch_get_status`).
 *
 * @since 0.1.0
 * @category programs
 */
export const batchGetStatus = (batchId: string, options?: Batch.CallOptions): Effect.Effect<BatchJob, AiError, BatchModel> =>
  Effect.map(Batch.status(batchId, options), jobOf)

/**
 * Asks OpenAI to cancel the job; returns it, usually `cancelling` (`batch_cancel_job`).
 *
 * @since 0.1.0
 * @category programs
 */
export const batchCancelJob = (batchId: string, options?: Batch.CallOptions): Effect.Effect<BatchJob, AiError, BatchModel> =>
  Effect.map(Batch.cancel(batchId, options), jobOf)

/**
 * The most recent jobs, newest first (`batch_list_jobs`, default 20).
 *
 * @since 0.1.0
 * @category programs
 */
export const batchListJobs = (limit = 20, options?: Batch.CallOptions): Effect.Effect<ReadonlyArray<BatchJob>, AiError, BatchModel> =>
  Effect.map(Stream.runCollect(Batch.list({ limit, retry: options?.retry })), (batches) => Chunk.toReadonlyArray(batches).map(jobOf))

/**
 * A tool call as OpenAI sends it: `toolCall.function.name`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}

/**
 * One request's result with conveniences: `output` text, `toolCalls`, `error`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobResult {
  readonly customId: string
  /** The response's text; undefined when it failed or only called tools. */
  readonly output: string | undefined
  /** The tool calls the model asked for (empty when none). */
  readonly toolCalls: ReadonlyArray<ToolCall>
  /** Why it failed: the provider's code and message, or "expired" / "cancelled". */
  readonly error: Batch.ResultError | undefined
  /** The whole response when it succeeded. */
  readonly response: ModelResponse | undefined
  /** The result as `Batch.results` gives it. */
  readonly result: Batch.BatchResult
}

/**
 * A result with conveniences.
 *
 * @since 0.1.0
 * @category utils
 */
export const jobResultOf = (result: Batch.BatchResult): JobResult => {
  if (!result.isSuccessful) {
    return { customId: result.customId, output: undefined, toolCalls: [], error: result.error, response: undefined, result }
  }
  const response = result.response
  const text = response.text
  return {
    customId: result.customId,
    output: text === "" ? undefined : text,
    toolCalls: response.toolCalls.map((call) => ({
      id: call.toolCallId,
      type: "function" as const,
      function: { name: call.toolName, arguments: call.argsAsJson }
    })),
    error: undefined,
    response,
    result
  }
}

/**
 * The results of a complete job, one per request line (`batch_retrieve_job`: check the
 * status first). A job still
 * running fails with InvalidInputError; read large jobs with `Batch.results` as a stream.
 *
 * @since 0.1.0
 * @category programs
 */
export const batchRetrieveJob = (batchId: string, options?: Batch.CallOptions): Effect.Effect<ReadonlyArray<JobResult>, AiError, BatchModel> =>
  Effect.map(Stream.runCollect(Batch.results(batchId, options)), (results) => Chunk.toReadonlyArray(results).map(jobResultOf))
