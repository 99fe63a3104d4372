/**
 * Structured output without a network: the parameters each mode builds, the JSON Schema they
 * carry, decoding from the right place (tool arguments, text, fenced text), decode failures that
 * name the path and keep the raw output, the tolerant partial-JSON parser, the strict-mode rule,
 * and batch requests that carry the modes through encoding and both batch codecs.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Schema } from "effect"
import { BatchRequest } from "../src/Batch.js"
import { parsePartialJson } from "../src/internal/codec/partialJson.js"
import { extractJson, jsonStart } from "../src/internal/codec/structuredOutput.js"
import { ModelRequest, ModelResponse, TextPart, ToolCallPart } from "../src/Message.js"
import * as Output from "../src/Output.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { encodeItem } from "../src/providers/anthropic/batchCodec.js"
import { nativeSchema } from "../src/providers/anthropic/output.js"
import { encodeLine } from "../src/providers/openai/batchCodec.js"
import { closeObjects, strictProblem, strictSchema } from "../src/providers/openai/output.js"
import { PartDeltaEvent, PartStartEvent, TextPartDelta, ToolCallPartDelta } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"

class Weather extends Schema.Class<Weather>("WeatherResult")({
  location: Schema.String,
  temperature: Schema.Number,
  condition: Schema.String,
  humidity: Schema.Int
}) {}

const Forecast = Schema.Struct({
  city: Schema.String,
  days: Schema.Array(Schema.Struct({ day: Schema.String, high: Schema.Number }))
}).annotations({ identifier: "Forecast", description: "A forecast by day." })

const response = (...parts: ReadonlyArray<TextPart | ToolCallPart>) => new ModelResponse({ parts, modelName: "m", providerName: "test" })
const text = (content: string) => response(new TextPart({ content }))
const paris = { location: "Paris", temperature: 21.5, condition: "sunny", humidity: 60 }

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

describe("Output: parameters per mode", () => {
  it("native: the output object from the schema (name from its identifier, JSON Schema inlined), text allowed", () => {
    const p = Output.native(Weather)
    expect(p).toBeInstanceOf(ModelRequestParameters)
    expect(p.outputMode).toBe("native")
    expect(p.allowTextOutput).toBe(true)
    expect(p.outputTools).toEqual([])
    expect(p.outputObject?.name).toBe("WeatherResult")
    expect(p.outputObject?.strict).toBeUndefined()
    // the root is the object itself, not a $ref into $defs, and nothing refers to $defs any more
    expect(p.outputObject?.jsonSchema).toEqual({
      type: "object",
      required: ["location", "temperature", "condition", "humidity"],
      properties: {
        location: { type: "string" },
        temperature: { type: "number" },
        condition: { type: "string" },
        humidity: { type: "integer", description: "an integer", title: "int" }
      },
      additionalProperties: false
    })
  })

  it("options win over annotations; the schema's description is used otherwise; names are made acceptable", () => {
    expect(Output.native(Forecast).outputObject).toMatchObject({ name: "Forecast", description: "A forecast by day." })
    expect(Output.native(Forecast, { name: "my forecast!", description: "d", strict: true }).outputObject).toMatchObject({ name: "my_forecast_", description: "d", strict: true })
    expect(Output.native(Schema.Struct({ a: Schema.String })).outputObject?.name).toBe("final_result")
  })

  it("tool: one output tool (default final_result) the model must call; function tools compose", () => {
    const Divide = Tool.make("divide", { parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }) })
    const p = Output.tool(Weather, { functionTools: [Divide] })
    expect(p.outputMode).toBe("tool")
    expect(p.allowTextOutput).toBe(false)
    expect(p.functionTools.map((t) => t.name)).toEqual(["divide"])
    expect(p.outputTools).toHaveLength(1)
    expect(p.outputTools[0]).toMatchObject({ name: "final_result", description: "The final response which ends this conversation" })
    expect(p.outputTools[0]!.parametersJsonSchema.type).toBe("object")
    expect(Output.tool(Weather, { name: "weather", allowTextOutput: true }).allowTextOutput).toBe(true)
  })

  it("prompted: the output object and an optional template", () => {
    const p = Output.prompted(Weather, { template: "Answer as JSON: {schema}" })
    expect(p.outputMode).toBe("prompted")
    expect(p.outputObject?.name).toBe("WeatherResult")
    expect(p.promptedOutputTemplate).toBe("Answer as JSON: {schema}")
    expect(Output.make(Weather, { mode: "prompted" }).promptedOutputTemplate).toBeUndefined()
    expect(Output.make(Weather, { mode: "tool" }).outputMode).toBe("tool")
  })

  it("recursive schemas keep their recursive definitions in $defs", () => {
    interface Node {
      readonly name: string
      readonly children: ReadonlyArray<Node>
    }
    const NodeSchema: Schema.Schema<Node> = Schema.Struct({
      name: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Node> => NodeSchema))
    }).annotations({ identifier: "Node" })
    const schema = Output.jsonSchema(NodeSchema)
    expect(schema.type).toBe("object")
    expect(schema.$defs).toHaveProperty("Node")
    expect(JSON.stringify(schema)).toContain("\"$ref\":\"#/$defs/Node\"")
  })
})

describe("Output.decode", () => {
  it.effect("native: the text", () =>
    Effect.gen(function* () {
      const weather = yield* Output.decode(Weather, text(JSON.stringify(paris)), Output.native(Weather))
      expect(weather).toBeInstanceOf(Weather)
      expect(weather).toEqual(new Weather(paris))
    }))

  it.effect("tool: the output tool's arguments (not another tool's, not the text)", () =>
    Effect.gen(function* () {
      const parameters = Output.tool(Weather, { allowTextOutput: true })
      const r = response(
        new TextPart({ content: "Let me look." }),
        new ToolCallPart({ toolName: "divide", args: { a: 1, b: 2 }, toolCallId: "c0" }),
        new ToolCallPart({ toolName: "final_result", args: paris, toolCallId: "c1" })
      )
      expect(yield* Output.decode(Weather, r, parameters)).toEqual(new Weather(paris))
      expect(Output.rawOutput(r, parameters)).toBe(JSON.stringify(paris))
    }))

  it.effect("prompted: the JSON in the text, fenced in Markdown or after prose", () =>
    Effect.gen(function* () {
      const parameters = Output.prompted(Weather)
      const json = JSON.stringify(paris, null, 2)
      for (const content of [json, `\`\`\`json\n${json}\n\`\`\``, `Here you are:\n\`\`\`\n${json}\n\`\`\`\nAnything else?`, `Sure! ${json} Hope this helps.`]) {
        expect(yield* Output.decode(Weather, text(content), parameters)).toEqual(new Weather(paris))
      }
    }))

  it.effect("without parameters: a tool call when there is no text, else the text", () =>
    Effect.gen(function* () {
      expect(yield* Output.decode(Weather, response(new ToolCallPart({ toolName: "anything", args: paris, toolCallId: "c" })))).toEqual(new Weather(paris))
      expect(yield* Output.decode(Weather, text(JSON.stringify(paris)))).toEqual(new Weather(paris))
    }))

  it.effect("a schema failure names the path, lists every issue and keeps the raw output", () =>
    Effect.gen(function* () {
      const raw = JSON.stringify({ city: "Oslo", days: [{ day: "mon", high: 3 }, { day: "tue", high: "warm" }] })
      const error = failureOf(yield* Effect.exit(Output.decode(Forecast, text(raw), Output.native(Forecast))))
      expect(error).toBeInstanceOf(Output.OutputDecodeError)
      expect(error._tag).toBe("OutputDecodeError")
      expect(error.path).toBe("$.days[1].high")
      expect(error.raw).toBe(raw)
      expect(error.source).toBe("text")
      expect(error.mode).toBe("native")
      expect(error.message).toContain("failed at $.days[1].high")
      expect(error.message).toContain("Expected number, actual \"warm\"")
      expect(error.message).toContain(raw)

      const missing = failureOf(yield* Effect.exit(Output.decode(Weather, text(JSON.stringify({ location: "Paris" })), Output.prompted(Weather))))
      expect(missing.issues.map((i) => i.path)).toEqual(["$.temperature", "$.condition", "$.humidity"])
      expect(missing.message).toContain("and 2 more: $.condition, $.humidity")
    }))

  it("decodeEither and decodeSync: the same decoding outside Effect (decodeSync throws the error itself)", () => {
    const parameters = Output.native(Weather)
    expect(Either.getOrThrow(Output.decodeEither(Weather, text(JSON.stringify(paris)), parameters))).toEqual(new Weather(paris))
    expect(Output.decodeSync(Weather, text(JSON.stringify(paris)), parameters)).toEqual(new Weather(paris))
    const thrown = (() => {
      try {
        Output.decodeSync(Weather, text("{\"location\": 1}"), parameters)
      } catch (e) {
        return e
      }
    })()
    expect(thrown).toBeInstanceOf(Output.OutputDecodeError)
    expect(thrown).toBeInstanceOf(Error)
    expect((thrown as Output.OutputDecodeError).path).toBe("$.location")
  })

  it.effect("not JSON, or no output at all, fails at the root with the raw text", () =>
    Effect.gen(function* () {
      const notJson = failureOf(yield* Effect.exit(Output.decode(Weather, text("It is sunny in Paris."), Output.prompted(Weather))))
      expect(notJson.path).toBe("$")
      expect(notJson.message).toContain("not valid JSON")
      expect(notJson.raw).toBe("It is sunny in Paris.")

      const badArgs = failureOf(yield* Effect.exit(Output.decode(Weather, response(new ToolCallPart({ toolName: "final_result", args: "{\"location\": ", toolCallId: "c" })), Output.tool(Weather))))
      expect(badArgs.source).toBe("tool")
      expect(badArgs.raw).toBe("{\"location\": ")

      const noCall = failureOf(yield* Effect.exit(Output.decode(Weather, text("no tool"), Output.tool(Weather))))
      expect(noCall.source).toBe("none")
      expect(noCall.message).toContain("no call to the output tool")
    }))
})

describe("partial JSON", () => {
  it("parses every prefix of a JSON text to what is certain so far", () => {
    const json = JSON.stringify({ a: "x\"y\u00e9", b: [1, 2.5, -3e2, true, null], c: { d: false } })
    let previous = ""
    for (let i = 0; i <= json.length; i++) {
      const value = parsePartialJson(json.slice(0, i))
      // nothing ever disappears: each prefix's value is a prefix of the next one's JSON shape
      if (value !== undefined) previous = JSON.stringify(value)
    }
    expect(previous).toBe(json)
    expect(parsePartialJson("")).toBeUndefined()
    expect(parsePartialJson("{\"city\":\"Par")).toEqual({ city: "Par" })
    expect(parsePartialJson("{\"city\":\"Paris\",\"te")).toEqual({ city: "Paris" })
    expect(parsePartialJson("{\"city\":\"Paris\",\"temp\":")).toEqual({ city: "Paris" })
    expect(parsePartialJson("{\"temp\":-")).toEqual({})
    expect(parsePartialJson("{\"temp\":12.")).toEqual({ temp: 12 })
    expect(parsePartialJson("{\"ok\":tr")).toEqual({})
    expect(parsePartialJson("[1,2,")).toEqual([1, 2])
    expect(parsePartialJson("{\"a\":\"x\\")).toEqual({ a: "x" })
    expect(parsePartialJson("{\"a\":\"\\u00")).toEqual({ a: "" })
    expect(parsePartialJson("{\"a\":1}\n```")).toEqual({ a: 1 })
    expect(parsePartialJson("It is sunny")).toBeUndefined()
  })

  it("finds where the JSON starts in prompted text, and the JSON of a whole answer", () => {
    expect(jsonStart("```json\n{\"a\":")).toBe("{\"a\":")
    expect(jsonStart("```js")).toBeUndefined()
    expect(jsonStart("Sure: [1,")).toBe("[1,")
    expect(jsonStart("Thinking...")).toBe("Thinking...")
    expect(extractJson(" {\"a\":1} ")).toBe("{\"a\":1}")
    expect(extractJson("```JSON\n{\"a\":1}\n```")).toBe("{\"a\":1}")
    expect(extractJson("x {\"a\":{\"b\":2}} y")).toBe("{\"a\":{\"b\":2}}")
  })

  it("PartialOutput follows the output tool's arguments in tool mode and the text otherwise", () => {
    const tool = new Output.PartialOutput(Output.tool(Weather, { functionTools: [Tool.make("divide", { parameters: Schema.Struct({ a: Schema.Number }) })] }))
    const seen: Array<unknown> = []
    const events = [
      new PartStartEvent({ index: 0, part: new ToolCallPart({ toolName: "divide", args: "{\"a\":", toolCallId: "d" }) }),
      new PartDeltaEvent({ index: 0, delta: new ToolCallPartDelta({ argsDelta: "1}" }) }),
      new PartStartEvent({ index: 1, part: new ToolCallPart({ toolName: "final_result", args: {}, toolCallId: "f" }) }),
      new PartDeltaEvent({ index: 1, delta: new ToolCallPartDelta({ argsDelta: "{\"location\":\"Pa" }) }),
      new PartDeltaEvent({ index: 1, delta: new ToolCallPartDelta({ argsDelta: "ris\",\"temperature\":2" }) }),
      new PartDeltaEvent({ index: 1, delta: new ToolCallPartDelta({ argsDelta: "1" }) })
    ]
    for (const e of events) if (tool.add(e)) seen.push(tool.value)
    expect(seen).toEqual([{ location: "Pa" }, { location: "Paris", temperature: 2 }, { location: "Paris", temperature: 21 }])

    const prompted = new Output.PartialOutput(Output.prompted(Weather))
    const got: Array<unknown> = []
    for (const e of [
      new PartStartEvent({ index: 0, part: new TextPart({ content: "Here:\n```json\n" }) }),
      new PartDeltaEvent({ index: 0, delta: new TextPartDelta({ contentDelta: "{\"location\":" }) }),
      new PartDeltaEvent({ index: 0, delta: new TextPartDelta({ contentDelta: "\"Oslo\"}\n```" }) })
    ]) if (prompted.add(e)) got.push(prompted.value)
    expect(got).toEqual([{}, { location: "Oslo" }])
    expect(Output.parsePartial(text("```json\n{\"location\":\"Os"), Output.prompted(Weather))).toEqual({ location: "Os" })
  })
})

describe("OpenAI strict-mode rule", () => {
  const jsonSchemaOf = <A, I>(s: Schema.Schema<A, I, never>) => Output.jsonSchema(s)

  it("unset: strict exactly when every object is closed, every property required and no rejected keyword is used", () => {
    expect(strictSchema(Output.definition(Weather)).strict).toBe(true)
    const optional = Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number) })
    expect(strictProblem(jsonSchemaOf(optional))).toBe("$ has optional properties (b)")
    expect(strictSchema(Output.definition(optional)).strict).toBe(false)
    expect(strictProblem(jsonSchemaOf(Schema.Struct({ a: Schema.String.pipe(Schema.minLength(2)) })))).toBe("$.a uses \"minLength\"")
    expect(strictProblem(jsonSchemaOf(Schema.Struct({ r: Schema.Record({ key: Schema.String, value: Schema.Number }) })))).toBe("$.r allows additional properties")
    expect(strictProblem(jsonSchemaOf(Schema.Array(Schema.String)))).toBe("the root is not an object")
    // a property named like a keyword is a property, not a keyword
    expect(strictProblem(jsonSchemaOf(Schema.Struct({ minLength: Schema.Number, properties: Schema.String })))).toBeUndefined()
  })

  it("true: objects are closed where they say nothing; a schema that still does not qualify goes non-strict with a warning", () => {
    const open = { type: "object", properties: { a: { type: "object", properties: { b: { type: "string" } }, required: ["b"] } }, required: ["a"] }
    expect(closeObjects(open)).toEqual({
      type: "object",
      properties: { a: { type: "object", properties: { b: { type: "string" } }, required: ["b"], additionalProperties: false } },
      required: ["a"],
      additionalProperties: false
    })
    const closed = strictSchema({ name: "o", jsonSchema: open, strict: true })
    expect(closed.strict).toBe(true)
    expect(closed.warning).toBeUndefined()
    const refused = strictSchema({ name: "o", jsonSchema: { ...open, required: [] }, strict: true })
    expect(refused.strict).toBe(false)
    expect(refused.warning).toContain("cannot use strict mode ($ has optional properties (a))")
    expect(strictSchema({ name: "o", jsonSchema: Output.definition(Weather).jsonSchema, strict: false }).strict).toBe(false)
  })

  it("Anthropic: the SDK's transform closes objects and moves unsupported bounds into the description", () => {
    const bounded = Schema.Struct({ n: Schema.Number.pipe(Schema.between(0, 10)), s: Schema.String.pipe(Schema.maxLength(5)) })
    const { schema, warning } = nativeSchema(Output.definition(bounded, { description: "Bounded." }))
    expect(warning).toBeUndefined()
    expect(schema.additionalProperties).toBe(false)
    expect(schema.description).toBe("Bounded.")
    const props = schema.properties as Record<string, Record<string, unknown>>
    expect(props.n).not.toHaveProperty("minimum")
    expect(String(props.n!.description)).toContain("minimum: 0")
    expect(props.s).not.toHaveProperty("maxLength")
    // a property without a type cannot be transformed: objects are closed, and a warning says so
    const loose = nativeSchema(Output.definition(Schema.Struct({ any: Schema.Unknown })))
    expect(loose.warning).toContain("could not be adapted")
    expect(loose.schema.additionalProperties).toBe(false)
  })
})

describe("batch requests carry the output modes", () => {
  const messages = [ModelRequest.userTextPrompt("Get weather information for Paris")]

  it("parameters of every mode survive a BatchRequest JSON round trip", () => {
    for (const parameters of [Output.native(Weather, { strict: true }), Output.tool(Weather), Output.prompted(Weather, { template: "JSON: {schema}" })]) {
      const request = new BatchRequest({ customId: `r-${parameters.outputMode}`, messages, parameters })
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(BatchRequest)(request))) as unknown
      const back = Schema.decodeUnknownSync(BatchRequest)(json)
      expect(back.parameters).toEqual(parameters)
      expect(back.parameters?.outputObject).toEqual(parameters.outputObject)
    }
  })

  it("the OpenAI batch line and the Anthropic batch item carry each mode's wire fields", () => {
    const line = (parameters: ModelRequestParameters) => {
      const encoded = encodeLine(new BatchRequest({ customId: "a", messages, parameters }), "gpt-4o-mini", undefined)
      if (Either.isLeft(encoded)) throw encoded.left
      return encoded.right.body as unknown as Record<string, unknown>
    }
    expect(line(Output.native(Weather)).response_format).toMatchObject({ type: "json_schema", json_schema: { name: "WeatherResult", strict: true } })
    expect(line(Output.tool(Weather)).tool_choice).toEqual({ type: "function", function: { name: "final_result" } })
    expect(JSON.stringify(line(Output.prompted(Weather)).messages)).toContain("matches this JSON schema")

    const item = (parameters: ModelRequestParameters) => {
      const encoded = encodeItem("claude-haiku-4-5", undefined, new BatchRequest({ customId: "a", messages, parameters }))
      if (Either.isLeft(encoded)) throw encoded.left
      return encoded.right.item.params as unknown as Record<string, unknown>
    }
    expect(item(Output.native(Weather)).output_config).toMatchObject({ format: { type: "json_schema", schema: { type: "object", additionalProperties: false } } })
    expect(item(Output.tool(Weather)).tool_choice).toEqual({ type: "tool", name: "final_result" })
    expect(String(item(Output.prompted(Weather)).system)).toContain("matches this JSON schema")
  })
})
