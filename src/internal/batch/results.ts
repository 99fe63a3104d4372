/**
 * Batch results built from values the codecs have already checked (a custom id read as a
 * string, a decoded ModelResponse, an error code and message): one per result line, so tens of
 * thousands per batch.
 *
 * They are built without their class constructors (./fromFields.ts), fields in the order a
 * construction given every field makes (customId, isSuccessful, then response or error, then attempts), so
 * `instanceof`, `Equal.equals`, `Schema.is` and the JSON encoding are those of a constructed value
 * (test/batch-results.test.ts).
 * @internal
 * @since 0.1.0
 */
import { BatchResultFailure, BatchResultSuccess, ResultError } from "../../BatchData.js"
import type { ModelResponse } from "../../Message.js"
import { fromFields } from "../codec/fromFields.js"

/**
 * `new BatchResultSuccess({ customId, isSuccessful: true, response }, true)`, without the constructor.
 *
 * @since 0.1.0
 * @category utils
 */
export const succeeded = (customId: string, response: ModelResponse): BatchResultSuccess =>
  fromFields(BatchResultSuccess, { customId, isSuccessful: true, response, attempts: 1 })

/**
 * `new BatchResultFailure({ customId, isSuccessful: false, error: new ResultError({ code, message }) }, true)`, without the constructors.
 *
 * @since 0.1.0
 * @category utils
 */
export const failed = (customId: string, code: string, message: string): BatchResultFailure =>
  fromFields(BatchResultFailure, { customId, isSuccessful: false, error: fromFields(ResultError, { code, message }), attempts: 1 })
