/**
 * Batch results built without their class constructors (src/internal/batch/results.ts, used by
 * both providers' result-line decoders) are the values the constructors make: same prototype,
 * same own keys in the same order, equal, recognised by the Schema, same encoding.
 */
import { describe, expect, it } from "@effect/vitest"
import { Equal, Hash, Schema } from "effect"
import { BatchResult, BatchResultFailure, BatchResultSuccess, ResultError } from "../src/Batch.js"
import { failed, succeeded } from "../src/internal/batch/results.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import { RequestUsage } from "../src/Usage.js"

const response = new ModelResponse({
  parts: [new TextPart({ content: "4" })],
  usage: new RequestUsage({ inputTokens: 3, outputTokens: 1 }),
  modelName: "gpt-4o-mini",
  providerName: "openai",
  timestamp: new Date("2025-01-01T00:00:00Z")
})

const same = (built: BatchResult, constructed: BatchResult) => {
  expect(Object.getPrototypeOf(built)).toBe(Object.getPrototypeOf(constructed))
  expect(Reflect.ownKeys(built)).toEqual(Reflect.ownKeys(constructed))
  expect(Equal.equals(built, constructed)).toBe(true)
  expect(Hash.hash(built)).toBe(Hash.hash(constructed))
  expect(Schema.is(BatchResult)(built)).toBe(true)
  const encoded = Schema.encodeSync(BatchResult)(built)
  expect(encoded).toEqual(Schema.encodeSync(BatchResult)(constructed))
  expect(JSON.stringify(encoded)).toBe(JSON.stringify(Schema.encodeSync(BatchResult)(constructed)))
  expect(Schema.decodeUnknownSync(BatchResult)(encoded)).toEqual(constructed)
}

describe("batch results built without constructors", () => {
  it("a success is the constructed BatchResultSuccess", () => {
    const built = succeeded("req-1", response)
    const constructed = new BatchResultSuccess({ customId: "req-1", isSuccessful: true, response })
    expect(built).toBeInstanceOf(BatchResultSuccess)
    expect(built.isSuccessful).toBe(true)
    same(built, constructed)
  })

  it("a failure is the constructed BatchResultFailure with its ResultError", () => {
    const built = failed("req-2", "rate_limit_exceeded", "slow down")
    const constructed = new BatchResultFailure({
      customId: "req-2",
      isSuccessful: false,
      error: new ResultError({ code: "rate_limit_exceeded", message: "slow down" })
    })
    expect(built).toBeInstanceOf(BatchResultFailure)
    expect(built.error).toBeInstanceOf(ResultError)
    expect(Reflect.ownKeys(built.error)).toEqual(Reflect.ownKeys(constructed.error))
    same(built, constructed)
  })
})
