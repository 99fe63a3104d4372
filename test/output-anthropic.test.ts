/**
 * Structured output on Anthropic through the real SDK against the emulator: each mode's exact
 * wire fields (output_config.format, a forced output tool, the prompted system prompt), decoding,
 * a decode failure naming the path, and streams whose partial output grows.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as Output from "../src/Output.js"
import type { ModelRequestParameters, ModelSettings } from "../src/Parameters.js"
import * as Tool from "../src/Tool.js"
import { modelLayer, useEmulator, wireBody } from "./helpers/anthropic.js"

const emulator = useEmulator()

class Weather extends Schema.Class<Weather>("WeatherResult")({
  location: Schema.String,
  temperature: Schema.Number,
  condition: Schema.String,
  humidity: Schema.Int
}) {}

const ask = [ModelRequest.userTextPrompt("Get weather information for Paris: 21.5 degrees, 60% humidity", { instructions: "Be precise." })]
const expected = new Weather({ location: "Paris", temperature: 21.5, condition: "sunny", humidity: 60 })

const run = (parameters: ModelRequestParameters, settings?: ModelSettings) =>
  LanguageModel.request(ask, { parameters, settings }).pipe(Effect.provide(modelLayer(emulator())))

const partials = (parameters: ModelRequestParameters, settings?: ModelSettings) =>
  LanguageModel.requestStream(ask, { parameters, settings }).pipe(
    Output.partial(parameters, Weather),
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray),
    Effect.provide(modelLayer(emulator()))
  )

const expectGrowing = (values: ReadonlyArray<unknown>) => {
  expect(values.length).toBeGreaterThanOrEqual(3)
  for (let i = 1; i < values.length; i++) {
    const before = values[i - 1] as Record<string, unknown>
    const after = values[i] as Record<string, unknown>
    for (const [key, value] of Object.entries(before)) {
      if (typeof value === "string") expect(String(after[key]).startsWith(value)).toBe(true)
      else expect(key in after).toBe(true)
    }
    expect(JSON.stringify(after)).not.toBe(JSON.stringify(before))
  }
}

describe("Anthropic native output", () => {
  it.effect("sends output_config.format json_schema (objects closed; no beta header) and decodes the text", () =>
    Effect.gen(function* () {
      const parameters = Output.native(Weather)
      const response = yield* run(parameters)
      const body = wireBody(emulator())
      expect(body.output_config).toEqual({
        format: {
          type: "json_schema",
          schema: {
            type: "object",
            properties: {
              location: { type: "string" },
              temperature: { type: "number" },
              condition: { type: "string" },
              humidity: { type: "integer", description: "an integer", title: "int" }
            },
            additionalProperties: false,
            required: ["location", "temperature", "condition", "humidity"]
          }
        }
      })
      expect(body.system).toBe("Be precise.")
      expect(body).not.toHaveProperty("tools")
      expect(body).not.toHaveProperty("tool_choice")
      expect(emulator().requests.at(-1)!.headers["anthropic-beta"]).toBeUndefined()
      expect(yield* Output.decode(Weather, response, parameters)).toEqual(expected)
    }))

  it.effect("bounds move into descriptions (the emulator rejects them as the API does); effort set through extraBody is kept", () =>
    Effect.gen(function* () {
      const Bounded = Schema.Struct({ location: Schema.String.pipe(Schema.maxLength(40)), humidity: Schema.Int.pipe(Schema.between(0, 100)) })
      const parameters = Output.native(Bounded, { description: "Humidity of a place." })
      const response = yield* run(parameters, { extraBody: { output_config: { effort: "low" } } })
      const config = wireBody(emulator()).output_config as { effort: string; format: { schema: Record<string, unknown> } }
      expect(config.effort).toBe("low")
      expect(config.format.schema.description).toBe("Humidity of a place.")
      expect(JSON.stringify(config.format.schema)).not.toContain("\"maximum\"")
      expect(yield* Output.decode(Bounded, response, parameters)).toEqual({ location: "Paris", humidity: 21 })

      // what the transform avoids is refused, so this test can fail
      const refused = yield* Effect.flip(LanguageModel.request(ask, {
        parameters,
        settings: { extraBody: { output_config: { format: { type: "json_schema", schema: { type: "object", properties: { a: { type: "number", minimum: 0 } } } } } } }
      }).pipe(Effect.provide(modelLayer(emulator()))))
      expect(refused._tag).toBe("InvalidRequestError")
      expect(refused.message).toContain("additionalProperties")
    }))

  it.effect("an answer invalid for the schema fails decoding with the path and the raw output", () =>
    Effect.gen(function* () {
      const parameters = Output.native(Weather)
      const response = yield* run(parameters, { extraHeaders: { "x-emulator-invalid-output": "type" } })
      const error = yield* Effect.flip(Output.decode(Weather, response, parameters))
      expect(error.path).toBe("$.location")
      expect(error.raw).toBe(response.text)
      expect(error.message).toContain("failed at $.location: Expected string, actual 42")
    }))

  it.effect("streams: the partial output grows to the decoded value", () =>
    Effect.gen(function* () {
      const parameters = Output.native(Weather)
      const values = yield* partials(parameters)
      expectGrowing(values)
      expect(values.at(-1)).toEqual({ ...expected })
      expect(wireBody(emulator()).stream).toBe(true)
      expect(wireBody(emulator()).output_config).toHaveProperty("format")
    }))
})

describe("Anthropic tool output", () => {
  it.effect("sends the output tool with tool_choice {type: tool, name} and decodes its input", () =>
    Effect.gen(function* () {
      const parameters = Output.tool(Weather)
      const response = yield* run(parameters)
      const body = wireBody(emulator())
      expect(body.tools).toEqual([{
        name: "final_result",
        description: "The final response which ends this conversation",
        input_schema: Output.jsonSchema(Weather)
      }])
      expect(body.tool_choice).toEqual({ type: "tool", name: "final_result" })
      expect(body).not.toHaveProperty("output_config")
      const weather = yield* Output.decode(Weather, response, parameters)
      expect(weather.temperature).toBe(21.5)
    }))

  it.effect("with function tools too: tool_choice any", () =>
    Effect.gen(function* () {
      const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ city: Schema.String }) })
      yield* run(Output.tool(Weather, { functionTools: [Lookup] }))
      expect(wireBody(emulator()).tool_choice).toEqual({ type: "any" })
    }))

  it.effect("streams: the partial input grows", () =>
    Effect.gen(function* () {
      const values = yield* partials(Output.tool(Weather))
      expectGrowing(values)
      expect(values.at(-1)).toMatchObject({ temperature: 21.5, humidity: 60 })
    }))
})

describe("Anthropic prompted output", () => {
  it.effect("adds the schema and instructions to the system prompt and decodes the text, fenced or not", () =>
    Effect.gen(function* () {
      const parameters = Output.prompted(Weather)
      const response = yield* run(parameters)
      const body = wireBody(emulator())
      expect(body).not.toHaveProperty("output_config")
      expect(body.system).toBe(
        `Be precise.\n\nAlways respond with a JSON object that matches this JSON schema:\n\n${JSON.stringify({ title: "WeatherResult", ...Output.jsonSchema(Weather) })}\n\nRespond with the JSON object only: no text and no Markdown code fences before or after it.`
      )
      expect(yield* Output.decode(Weather, response, parameters)).toEqual(expected)
      const fenced = yield* run(parameters, { extraHeaders: { "x-emulator-output-fence": "json" } })
      expect(fenced.text).toContain("```json\n{")
      expect(yield* Output.decode(Weather, fenced, parameters)).toEqual(expected)
    }))

  it.effect("streams: the partial output grows, past the Markdown fence", () =>
    Effect.gen(function* () {
      const parameters = Output.prompted(Weather)
      const values = yield* partials(parameters, { extraHeaders: { "x-emulator-output-fence": "json" } })
      expectGrowing(values)
      expect(values.at(-1)).toEqual({ ...expected })
    }))
})
