/**
 * Batch results built from values the codecs have already checked (a custom id read as a
 * string, a decoded ModelResponse, an error code and message): one per result line, so tens of
 * thousands per batch.
 *
 * They are built without their class constructors. Even unvalidated, a Schema class construction
 * copies its fields and walks every field for constructor defaults (`lazilyMergeDefaults`), about
 * 1 µs per result and two classes per failure, while the instance it makes is only the class
 * prototype with the fields assigned (Data.Class). These build exactly that: the same own keys
 * in the order a construction given every field makes (customId, isSuccessful, then response or
 * error), the same prototype, so `instanceof`, `Equal.equals`, `Schema.is` and the JSON
 * encoding are those of a constructed value (test/batch-results.test.ts).
 * @internal
 */
import { BatchResultFailure, BatchResultSuccess, ResultError } from "../Batch.js"
import type { ModelResponse } from "../Message.js"

/** `new BatchResultSuccess({ customId, isSuccessful: true, response }, true)`, without the constructor. */
export const succeeded = (customId: string, response: ModelResponse): BatchResultSuccess =>
  Object.assign(Object.create(BatchResultSuccess.prototype) as BatchResultSuccess, { customId, isSuccessful: true as const, response })

/** `new BatchResultFailure({ customId, isSuccessful: false, error: new ResultError({ code, message }) }, true)`, without the constructors. */
export const failed = (customId: string, code: string, message: string): BatchResultFailure =>
  Object.assign(Object.create(BatchResultFailure.prototype) as BatchResultFailure, {
    customId,
    isSuccessful: false as const,
    error: Object.assign(Object.create(ResultError.prototype) as ResultError, { code, message })
  })
