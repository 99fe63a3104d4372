/**
 * Anthropic's Message Batches API on the emulator: `POST /v1/messages/batches` (validated like
 * the real API: custom id pattern, unique ids, each `params` checked like a `/v1/messages` body
 * → 400), `GET /v1/messages/batches[/:id]` (each retrieve a step of the lifecycle),
 * `POST /v1/messages/batches/:id/cancel`, `GET /v1/messages/batches/:id/results` at the
 * `results_url` each ended batch carries, and `POST /v1/emulator/anthropic-batch-lifecycle`
 * (the default lifecycle, from another process).
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { Json } from "../json.js"
import type { Handler, Scripted } from "../route.js"
import { errorIn, nextId, ok } from "./http.js"
import { type AnthropicBatchLifecycle, batchLifecycleHeaderName, lifecycleFromHeader } from "./lifecycle.js"
import { validateMessagesBody } from "./messagesRequest.js"
import { advance, end, processedNow } from "./progress.js"
import { buildChunks } from "./results.js"
import { type AnthropicState, type BatchState, processingStatus, scriptedStatus } from "./state.js"

const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/
const maxBatchRequests = 100_000
const dayMs = 24 * 60 * 60 * 1000

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * The Message Batches API handlers of one emulator (the key is checked by the routes).
 *
 * @since 0.2.0
 * @category constructors
 */
export const batchHandlers = (state: AnthropicState) => {
  const { batches, context } = state
  const notFound = (id: string) => errorIn(context, 404, "not_found_error", `message batch ${id} not found`)

  const batchJson = (b: BatchState): Json => {
    const n = b.customIds.length
    const processed = processedNow(b)
    const errors = scriptedStatus(b)
    let errored = 0
    for (let i = 0; i < processed; i++) if (errors(b.customIds[i]!) !== undefined) errored++
    const rest = n - processed
    return {
      id: b.id,
      type: "message_batch",
      processing_status: processingStatus(b),
      request_counts: {
        processing: b.ended !== undefined ? 0 : rest,
        succeeded: processed - errored,
        errored,
        canceled: b.ended?.rest === "canceled" ? rest : 0,
        expired: b.ended?.rest === "expired" ? rest : 0
      },
      ended_at: b.ended !== undefined ? iso(b.ended.at) : null,
      created_at: iso(b.createdAt),
      expires_at: iso(b.createdAt + dayMs),
      archived_at: null,
      cancel_initiated_at: b.cancelInitiatedAt !== undefined ? iso(b.cancelInitiatedAt) : null,
      results_url: b.ended !== undefined ? `${context.url()}/v1/messages/batches/${b.id}/results` : null
    }
  }

  const createBatch: Handler = (request) => {
    const invalid = (message: string) => errorIn(context, 400, "invalid_request_error", message)
    const body = request.body
    if (!isRecord(body) || !Array.isArray(body.requests)) return invalid("requests: Field required")
    const items = body.requests as ReadonlyArray<unknown>
    if (items.length === 0) return invalid("requests: List should have at least 1 item after validation, not 0")
    if (items.length > maxBatchRequests) return invalid(`requests: List should have at most ${maxBatchRequests} items after validation, not ${items.length}`)
    const chosen = lifecycleFromHeader(request.headers)
    if (typeof chosen === "string") return invalid(chosen)
    const seen = new Set<string>()
    const customIds: Array<string> = []
    const params: Array<Json> = []
    for (const [i, item] of items.entries()) {
      if (!isRecord(item)) return invalid(`requests.${i}: Input should be a valid dictionary`)
      const customId = item.custom_id
      if (typeof customId !== "string" || !customIdPattern.test(customId)) {
        return invalid(`requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`)
      }
      if (seen.has(customId)) return invalid(`requests: custom_id values must be unique within a batch; ${customId} appears more than once`)
      seen.add(customId)
      const problem = validateMessagesBody(item.params)
      if (problem !== undefined) return invalid(`requests.${i}.params.${problem}`)
      customIds.push(customId)
      params.push(item.params as Json)
    }
    const steering: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (name.startsWith("x-emulator-") && name !== batchLifecycleHeaderName && name !== "x-emulator-id") steering[name] = value
    }
    const seq = context.next("anthropic.batches")
    const lifecycle = chosen ?? state.lifecycle ?? {}
    const b: BatchState = {
      id: `msgbatch_emu_${seq.toString().padStart(6, "0")}`,
      seq,
      createdAt: Date.now(),
      customIds,
      params,
      steering,
      lifecycle,
      polls: 0,
      retrieves: 0,
      cancels: 0,
      cancelInitiatedAt: undefined,
      cancelPolls: 0,
      cancelProcessed: 0,
      ended: undefined,
      downloads: 0,
      chunks: undefined
    }
    if ((lifecycle.statusCalls ?? 3) <= 0) end(context, b, b.createdAt)
    batches.set(b.id, b)
    return ok(context, batchJson(b))
  }

  const withBatch = (f: (b: BatchState) => Scripted): Handler => (request) => {
    const id = request.params.id ?? ""
    const b = batches.get(id)
    return b === undefined ? notFound(id) : f(b)
  }

  const retrieveBatch = withBatch((b) => {
    b.retrieves += 1
    advance(context, b, Date.now())
    return ok(context, batchJson(b))
  })

  const cancelBatch = withBatch((b) => {
    b.cancels += 1
    // cancelling an ended or canceling batch changes nothing
    if (b.ended === undefined && b.cancelInitiatedAt === undefined) {
      b.cancelProcessed = processedNow(b)
      b.cancelInitiatedAt = Date.now()
      if ((b.lifecycle.cancelStatusCalls ?? 1) <= 0) end(context, b, b.cancelInitiatedAt)
    }
    return ok(context, batchJson(b))
  })

  const batchResults = withBatch((b) => {
    if (b.ended === undefined) return errorIn(context, 404, "not_found_error", `message batch ${b.id} has no results yet: it is still processing`)
    b.chunks ??= buildChunks(context, b)
    b.downloads += 1
    const cut = b.downloads <= (b.lifecycle.truncateDownloads ?? 0)
    // the SSE writer sends its frames as they are: here, groups of JSONL lines
    return {
      headers: { "content-type": "application/binary", "request-id": nextId(context, "req_emu_") },
      sse: b.chunks,
      ...(b.lifecycle.chunkDelayMs !== undefined ? { chunkDelayMs: b.lifecycle.chunkDelayMs } : {}),
      ...(cut ? { fault: "truncate" as const } : {})
    }
  })

  const listBatches: Handler = (request) => {
    const limitRaw = request.query.get("limit")
    const limit = limitRaw === null ? 20 : Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return errorIn(context, 400, "invalid_request_error", "limit: Input should be between 1 and 1000")
    const newestFirst = [...batches.values()].reverse()
    const afterId = request.query.get("after_id")
    const beforeId = request.query.get("before_id")
    let page: Array<BatchState>
    let hasMore: boolean
    if (beforeId !== null) {
      // the page just newer than before_id
      const at = newestFirst.findIndex((b) => b.id === beforeId)
      const newer = at === -1 ? [] : newestFirst.slice(0, at)
      page = newer.slice(Math.max(0, newer.length - limit))
      hasMore = newer.length > limit
    } else {
      const at = afterId === null ? -1 : newestFirst.findIndex((b) => b.id === afterId)
      const older = afterId !== null && at === -1 ? [] : newestFirst.slice(at + 1)
      page = older.slice(0, limit)
      hasMore = older.length > limit
    }
    return ok(context, { data: page.map(batchJson), has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null })
  }

  const setLifecycle: Handler = (request) => {
    state.lifecycle = isRecord(request.body) ? (request.body as AnthropicBatchLifecycle) : undefined
    return { json: { lifecycle: state.lifecycle ?? null } }
  }

  return { createBatch, retrieveBatch, cancelBatch, batchResults, listBatches, setLifecycle }
}
