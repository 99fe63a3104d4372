/**
 * Span attributes of the batch lifecycle (`batch.run`, `batch.create`, `batch.poll`,
 * `batch.status`, `batch.results`, `batch.cancel`, `batch.list`).
 * @internal
 */
import { Effect } from "effect"
import type { Batch } from "../Batch.js"

/** Attribute names on batch spans, next to the GenAI ones (`gen_ai.provider.name`, `gen_ai.request.model`). */
export const BatchAttributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  id: "batch.id",
  status: "batch.status",
  requestCount: "batch.request_count",
  completedCount: "batch.completed_count",
  failedCount: "batch.failed_count",
  batchCount: "batch.batch_count",
  resumed: "batch.resumed",
  errorType: "error.type"
} as const

/** The attributes every batch span starts with. */
export const modelAttributes = (model: { readonly provider: string; readonly modelName: string }): Record<string, unknown> => ({
  [BatchAttributes.operationName]: "batch",
  [BatchAttributes.providerName]: model.provider,
  [BatchAttributes.requestModel]: model.modelName
})

/** The attributes of one batch snapshot. */
export const batchAttributes = (batch: Batch): Record<string, unknown> => ({
  [BatchAttributes.id]: batch.id,
  [BatchAttributes.status]: batch.status,
  [BatchAttributes.requestCount]: batch.requestCount,
  [BatchAttributes.completedCount]: batch.completedCount,
  [BatchAttributes.failedCount]: batch.failedCount
})

/** Records a snapshot on the current span. */
export const annotateBatch = (batch: Batch): Effect.Effect<void> => Effect.annotateCurrentSpan(batchAttributes(batch))

/** Records a failure's tag on the current span. */
export const annotateError = (error: { readonly _tag: string }): Effect.Effect<void> =>
  Effect.annotateCurrentSpan(BatchAttributes.errorType, error._tag)
