/**
 * Hand-written checks of the common Anthropic wire shapes, shared by the codec and the stream
 * decoder (not exported from the package). They are far cheaper than Schema decodes, and follow
 * one rule: a value they accept is one the matching schema accepts (they only ever say no more
 * often), and anything they refuse goes through the schema, which accepts it or produces the
 * error naming the bad field. test/anthropic-codec.test.ts compares the two paths on fuzzed input.
 */
import type { WireUsage } from "./codec.js"

/** A JSON object. */
export type Obj = { readonly [key: string]: unknown }

/** A non-array object: the input `Schema.Struct` and `Schema.Record` take. */
export const isObj = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

/** Accepted by `Schema.optional(Schema.NullOr(Schema.Number))`. */
export const isCount = (u: unknown): boolean => u === undefined || u === null || typeof u === "number"

/** Accepted by `Schema.optional(Schema.NullOr(Schema.String))`. */
export const isNullishString = (u: unknown): boolean => u === undefined || u === null || typeof u === "string"

/** Accepted by `Schema.optional(Schema.String)`. */
export const isOptionalString = (u: unknown): boolean => u === undefined || typeof u === "string"

/** Accepted by `Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })))`. */
export const isNullishRecord = (u: unknown): boolean => u === undefined || u === null || isObj(u)

/** Accepted by the codec's `WireUsage`. */
export const isWireUsage = (u: unknown): u is WireUsage =>
  isObj(u) && isCount(u.input_tokens) && isCount(u.output_tokens) && isCount(u.cache_creation_input_tokens) &&
  isCount(u.cache_read_input_tokens) && isNullishRecord(u.cache_creation) && isNullishRecord(u.server_tool_use)
