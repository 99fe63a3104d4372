/**
 * `ModelRequest.userTextPrompt` and `BatchRequest.from` build their instances without the Schema
 * constructor (internal/codec/fromFields.ts, for batches of tens of thousands of requests): what they
 * build must be what the constructor builds — same class, own keys in the same order, equal,
 * valid, and the same JSON encoding.
 */
import { describe, expect, it } from "@effect/vitest"
import { Equal, Schema } from "effect"
import { BatchRequest } from "../src/Batch.js"
import { ModelRequest, UserPromptPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"

const same = <A extends object>(schema: Schema.Schema<A, any, never>, built: A, construct: () => A) => {
  const constructed = construct()
  expect(Object.getPrototypeOf(built)).toBe(Object.getPrototypeOf(constructed))
  expect(Object.keys(built)).toEqual(Object.keys(constructed))
  expect(built).toEqual(constructed)
  // Equal.equals as between two constructed values (arrays are compared by reference)
  expect(Equal.equals(built, constructed)).toBe(Equal.equals(construct(), constructed))
  expect(Schema.is(schema)(built)).toBe(true)
  expect(JSON.stringify(Schema.encodeSync(schema)(built))).toBe(JSON.stringify(Schema.encodeSync(schema)(constructed)))
}

describe("instances built without their constructor", () => {
  it("ModelRequest.userTextPrompt, with and without instructions", () => {
    same(ModelRequest, ModelRequest.userTextPrompt("Hi"), () => new ModelRequest({ parts: [new UserPromptPart({ content: "Hi" })] }))
    same(
      ModelRequest,
      ModelRequest.userTextPrompt("Hi", { instructions: "Be brief." }),
      () => new ModelRequest({ parts: [new UserPromptPart({ content: "Hi" })], instructions: "Be brief." })
    )
    const part = ModelRequest.userTextPrompt("Hi").parts[0]!
    same(UserPromptPart, part as UserPromptPart, () => new UserPromptPart({ content: "Hi" }))
    expect(Equal.equals(part, new UserPromptPart({ content: "Hi" }))).toBe(true)
  })

  it("BatchRequest.from, with every optional field and none", () => {
    const messages = [ModelRequest.userTextPrompt("Hi")]
    same(BatchRequest, BatchRequest.from({ customId: "a", messages }), () => new BatchRequest({ customId: "a", messages }))
    const parameters = new ModelRequestParameters({ allowTextOutput: false })
    same(
      BatchRequest,
      BatchRequest.from({ customId: "b", messages, parameters, settings: { temperature: 0 }, model: "gpt-4o" }),
      () => new BatchRequest({ customId: "b", messages, parameters, settings: { temperature: 0 }, model: "gpt-4o" })
    )
    const given = new BatchRequest({ customId: "c", messages })
    expect(BatchRequest.from(given)).toBe(given)
  })
})
