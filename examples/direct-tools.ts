/**
 * Seed 000 "Advanced Example with Tool Calling": a tool whose JSON Schema comes from an Effect
 * Schema (pydantic's `model_json_schema()` in the seed), offered with text output allowed.
 */
import { Either, Schema } from "effect"
import { modelRequest, ModelRequest, tool } from "../src/direct/index.js"
import { check, runExample } from "./_support.js"

/** Divide two numbers. */
const Divide = Schema.Struct({
  numerator: Schema.Number,
  denominator: Schema.Number,
  on_inf: Schema.optionalWith(Schema.Literal("error", "infinity"), { default: () => "infinity" as const })
})

export const main = async (): Promise<void> => {
  const modelResponse = await modelRequest("openai:gpt-5-nano", [ModelRequest.userTextPrompt("What is 123 / 456?")], {
    modelRequestParameters: {
      functionTools: [tool("divide", { description: "Divide two numbers.", parameters: Divide })],
      allowTextOutput: true // the model may use the tool or answer directly
    }
  })
  console.log(modelResponse)
  const call = modelResponse.toolCalls[0]
  check(call?.toolName === "divide", "the model calls divide")
  check(call !== undefined && Either.isRight(Schema.decodeUnknownEither(Divide)(call.args)), "the arguments fit the schema")
  check(call?.argsAsObject.numerator === 123 && call?.argsAsObject.denominator === 456, "the arguments are 123 and 456")
}

runExample(import.meta.url, main)
