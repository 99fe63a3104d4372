/**
 * Seed 004 "Structured Output": the native, tool and prompted modes with an Effect Schema in
 * place of the seed's pydantic `WeatherResult`, on OpenAI and on Anthropic — as batch requests
 * (the seed's `create_chat_request(output_type=..., output_mode=...)`), as direct requests, and
 * as a stream whose partial output grows. `Output.decodeSync` turns each answer into a typed
 * value, or throws an OutputDecodeError naming the path that did not fit.
 */
import { Schema } from "effect"
import { modelRequest, modelRequestBatch, modelRequestStream, ModelRequest } from "../src/direct/index.js"
import { OpenAi } from "../src/index.js"
import * as Output from "../src/Output.js"
import { check, runExample } from "./_support.js"

const WeatherResult = Schema.Struct({
  location: Schema.String,
  temperature: Schema.Number,
  condition: Schema.String,
  humidity: Schema.Int
}).annotations({ identifier: "WeatherResult" })

const modes = ["native", "tool", "prompted"] as const

export const main = async (): Promise<void> => {
  // seed 004 on OpenAI: batch requests built with outputType and outputMode
  for (const mode of modes) {
    const requests = [
      OpenAi.Batch.createChatRequest({
        customId: `${mode}-paris`,
        prompt: "Get weather information for Paris and format it properly",
        model: "gpt-4o-mini",
        outputType: WeatherResult,
        outputMode: mode, // native: OpenAI's structured output; tool: a forced output tool; prompted: the schema in the system prompt
        maxTokens: 200
      }),
      OpenAi.Batch.createChatRequest({
        customId: `${mode}-tokyo`,
        prompt: "Check weather in Tokyo and return structured data",
        model: "gpt-4o-mini",
        outputType: WeatherResult,
        outputMode: mode,
        maxTokens: 200
      })
    ]
    const results = await modelRequestBatch("openai:gpt-4o-mini", requests)
    for (const result of results) {
      if (!result.isSuccessful) continue
      const weather = Output.decodeSync(WeatherResult, result.response, Output.make(WeatherResult, { mode }))
      console.log(`openai ${result.customId}: ${JSON.stringify(weather)}`)
      check(weather.location.includes(result.customId.endsWith("paris") ? "Paris" : "Tokyo"), `the ${mode} answer is about the asked city`)
    }
    check(results.length === 2 && results.every((r) => r.isSuccessful), `both ${mode} requests succeed`)
  }

  // the same modes on Anthropic's Message Batches: [customId, messages, parameters]
  const anthropicResults = await modelRequestBatch(
    "anthropic:claude-haiku-4-5",
    modes.map((mode) => [`${mode}-madrid`, [ModelRequest.userTextPrompt("Get weather data for Madrid")], Output.make(WeatherResult, { mode })] as const)
  )
  for (const [i, result] of anthropicResults.entries()) {
    if (!result.isSuccessful) continue
    const weather = Output.decodeSync(WeatherResult, result.response, Output.make(WeatherResult, { mode: modes[i]! }))
    console.log(`anthropic ${result.customId}: ${JSON.stringify(weather)}`)
    check(weather.location.includes("Madrid"), `the anthropic ${modes[i]} answer is about Madrid`)
  }
  check(anthropicResults.length === 3 && anthropicResults.every((r) => r.isSuccessful), "the three anthropic requests succeed")

  // direct requests: one per provider and mode
  for (const model of ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]) {
    for (const mode of modes) {
      const parameters = Output.make(WeatherResult, { mode })
      const response = await modelRequest(model, [ModelRequest.userTextPrompt("Analyze Rome weather data")], { modelRequestParameters: parameters })
      const weather = Output.decodeSync(WeatherResult, response, parameters)
      console.log(`${model} ${mode}: ${weather.location}, ${weather.temperature}°, ${weather.condition}, ${weather.humidity}% humidity`)
      check(weather.location.includes("Rome"), `${model} ${mode} decodes a Rome forecast`)
    }
  }

  // a stream: the partial output as it grows, then the whole answer decoded
  const parameters = Output.native(WeatherResult)
  const stream = modelRequestStream("openai:gpt-4o-mini", [ModelRequest.userTextPrompt("Get weather for Miami")], { modelRequestParameters: parameters })
  const partial = new Output.PartialOutput(parameters)
  let updates = 0
  for await (const event of stream) {
    if (partial.add(event)) {
      updates++
      console.log(`partial: ${JSON.stringify(partial.value)}`)
    }
  }
  const miami = Output.decodeSync(WeatherResult, stream.response, parameters)
  console.log(`streamed: ${JSON.stringify(miami)}`)
  check(updates >= 3, "the partial output grows in several steps")
  check(JSON.stringify(partial.value) === JSON.stringify(miami), "the last partial output is the decoded answer")
}

runExample(import.meta.url, main)
