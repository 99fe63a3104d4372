/**
 * Seed 004 "OpenAI Batch API" examples (all but the output modes, which are in
 * structured-output.ts): `OpenAi.Batch` mirrors its `OpenAIBatchModel` as Effect programs over
 * `OpenAi.model(...)`. The seed's "at least 2 requests" is not an OpenAI rule and is not enforced.
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import { OpenAi, Tool } from "../src/index.js"
import { check, runExample, usingRealProviders } from "./_support.js"

const { batchCancelJob, batchCreateJob, batchGetStatus, batchListJobs, batchRetrieveJob, createChatRequest } = OpenAi.Batch

// ---- Creating and submitting a batch job
const basicBatchExample = Effect.gen(function* () {
  const requests = [
    createChatRequest({ customId: "math-question", prompt: "What is 2+2?", model: "gpt-4o-mini", maxTokens: 50 }),
    createChatRequest({ customId: "creative-writing", prompt: "Write a short poem about coding", model: "gpt-4o-mini", maxTokens: 100, temperature: 0.8 }),
    createChatRequest({ customId: "explanation", prompt: "Explain quantum computing in one sentence", model: "gpt-4o-mini", maxTokens: 75 })
  ]
  const batchId = yield* batchCreateJob(requests, { metadata: { project: "my-batch-job", version: "1.0" } })
  yield* Effect.log(`Batch job created: ${batchId}`)
  return batchId
})

// ---- Checking job status
const checkBatchStatus = (batchId: string) =>
  Effect.gen(function* () {
    const jobInfo = yield* batchGetStatus(batchId)
    yield* Effect.log(`Status: ${jobInfo.status}`)
    yield* Effect.log(`Created at: ${jobInfo.createdAt.toISOString()}`)
    yield* Effect.log(`Completion window: ${jobInfo.completionWindow}`)
    yield* Effect.log(`Progress: ${JSON.stringify(jobInfo.requestCounts)}`)
    return jobInfo
  })

// ---- Getting results (with tool calls, "Getting result for tools")
const getBatchResults = (batchId: string) =>
  Effect.gen(function* () {
    const jobInfo = yield* batchGetStatus(batchId)
    if (jobInfo.status !== "completed") {
      yield* Effect.log(`Job not ready. Status: ${jobInfo.status}`)
      return []
    }
    const results = yield* batchRetrieveJob(batchId)
    for (const result of results) {
      if (result.error) yield* Effect.log(`${result.customId}: Error: ${result.error.code} ${result.error.message}`)
      else if (result.output) yield* Effect.log(`${result.customId}: Response: ${result.output}`)
      else if (result.toolCalls.length > 0) {
        yield* Effect.log(`${result.customId}: Made ${result.toolCalls.length} tool calls: ${result.toolCalls.map((c) => c.function.name).join(", ")}`)
      }
    }
    return results
  })

// ---- Using tools
const getWeather = Tool.make("get_weather", {
  description: "Get current weather information for a location.",
  parameters: Schema.Struct({ location: Schema.String, units: Schema.optionalWith(Schema.String, { default: () => "celsius" }) })
})
const calculate = Tool.make("calculate", { description: "Perform mathematical calculations.", parameters: Schema.Struct({ expression: Schema.String }) })

const batchWithTools = Effect.gen(function* () {
  const tools = [getWeather, calculate]
  const requests = [
    createChatRequest({ customId: "weather-tokyo", prompt: "What's the weather like in Tokyo?", model: "gpt-4o-mini", tools, maxTokens: 150 }),
    createChatRequest({ customId: "calculation", prompt: "Calculate 15 * 23 + 7", model: "gpt-4o-mini", tools, maxTokens: 100 }),
    createChatRequest({ customId: "weather-london", prompt: "Get weather for London, UK in fahrenheit", model: "gpt-4o-mini", tools, maxTokens: 150 })
  ]
  const batchId = yield* batchCreateJob(requests)
  yield* Effect.log(`Batch with tools submitted: ${batchId}`)
  return batchId
})

// ---- Robust processing: poll the status, then retrieve the results (the seed swaps the two
// calls); a 25-hour limit, a check every 5 minutes, failures reported with the provider's errors
const robustBatchProcessing = Effect.gen(function* () {
  const requests = [
    createChatRequest({ customId: "example-1", prompt: "Hello world", model: "gpt-4o-mini", maxTokens: 50 }),
    createChatRequest({ customId: "example-2", prompt: "Write a haiku", model: "gpt-4o-mini", maxTokens: 100 })
  ]
  const batchId = yield* batchCreateJob(requests)
  const every = usingRealProviders() ? Duration.minutes(5) : Duration.millis(5)
  const job = yield* batchGetStatus(batchId).pipe(
    Effect.repeat(Schedule.recurUntil((j: OpenAi.Batch.BatchJob) => j.batch.isComplete).pipe(Schedule.addDelay(() => every))),
    Effect.timeoutFail({ duration: Duration.hours(25), onTimeout: () => new Error(`batch ${batchId} still running after 25 hours`) })
  )
  if (job.status === "failed") {
    yield* Effect.log(`Batch failed: ${job.errors.map((e) => e.message).join("; ")}`)
    return []
  }
  return yield* batchRetrieveJob(batchId)
}).pipe(Effect.tapError((e) => Effect.log(`Batch processing error: ${e.message}`)))

const program = Effect.gen(function* () {
  const batchId = yield* basicBatchExample
  const info = yield* checkBatchStatus(batchId)
  check(info.requestCounts.total === 3 && info.metadata.project === "my-batch-job", "the job carries its requests and metadata")
  const results = yield* getBatchResults(batchId)
  check(results.length === 3 && results.every((r) => r.output !== undefined), "three text outputs")

  const toolBatch = yield* batchWithTools
  const toolResults = yield* getBatchResults(toolBatch)
  check(toolResults.every((r) => r.toolCalls.length > 0), "the tool requests answer with tool calls")
  check(toolResults.find((r) => r.customId === "calculation")?.toolCalls[0]?.function.name === "get_weather" ||
    toolResults.find((r) => r.customId === "calculation")?.toolCalls[0]?.function.name === "calculate", "tool calls carry the function name")

  const robust = yield* robustBatchProcessing
  for (const result of robust) yield* Effect.log(`Content: ${result.output}`) // "Response Structure": the convenience property
  check(robust.length === 2, "the robust loop returns both results")

  // cancelling and listing
  const extra = yield* batchCreateJob([createChatRequest({ customId: "late", prompt: "Never mind", model: "gpt-4o-mini" })])
  // a batch that already finished cannot be cancelled: OpenAI answers 400
  const cancelled = yield* batchCancelJob(extra).pipe(Effect.catchTag("InvalidRequestError", () => batchGetStatus(extra)))
  check(["cancelling", "cancelled", "completed"].includes(cancelled.status), "cancel answers with the job")
  const jobs = yield* batchListJobs(20)
  yield* Effect.log(`Recent jobs: ${jobs.map((j) => `${j.id} ${j.status}`).join(", ")}`)
  check(jobs.some((j) => j.id === batchId), "the list has the first job")
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini"))))

runExample(import.meta.url, main)
