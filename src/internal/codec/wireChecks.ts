/**
 * The predicates of hand-written checks of JSON values: the providers' codecs, stream decoders
 * and batch codecs (their fast paths before a Schema decode), the output modes, the messages'
 * argument parsing and the emulator. Each names the Schema it stands for: a value it accepts is
 * one that schema accepts.
 * @internal
 * @since 0.1.0
 */

/**
 * A JSON object.
 *
 * @since 0.1.0
 * @category models
 */
export type Obj = { readonly [key: string]: unknown }

/**
 * A non-array object: the input `Schema.Struct` and `Schema.Record` take.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Accepted by `Schema.optional(Schema.NullOr(Schema.Number))`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isNullishNumber = (u: unknown): boolean => u === undefined || u === null || typeof u === "number"

/**
 * Accepted by `Schema.optional(Schema.NullOr(Schema.String))`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isNullishString = (u: unknown): boolean => u === undefined || u === null || typeof u === "string"

/**
 * Accepted by `Schema.optional(Schema.String)`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isOptionalString = (u: unknown): boolean => u === undefined || typeof u === "string"

/**
 * Accepted by `Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })))`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isNullishRecord = (u: unknown): boolean => u === undefined || u === null || isRecord(u)
