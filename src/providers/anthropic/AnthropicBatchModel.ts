/**
 * The Anthropic `BatchModel`: the Message Batches API through the official SDK. Requests are
 * encoded by the same codec as direct requests (a model per request allowed; default
 * `max_tokens` 4096), results are read from the SDK's JSONL stream line by line (never the whole
 * file at once), and every call is one attempt with the fiber's `AbortSignal`, so interruption
 * aborts the HTTP request. Retries, deduplication, ordering and cancellation on interruption
 * come from the `Batch` module on top.
 *
 * Anthropic message batches carry no metadata: a `metadata` option fails validation instead of
 * being dropped.
 *
 * @since 0.1.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Chunk, Effect, Either, Layer, Option, Redacted, Stream } from "effect"
import { type AiError, InvalidInputError, ResponseDecodeError } from "../../AiError.js"
import type { Batch, BatchRequest, BatchResult } from "../../BatchData.js"
import * as BatchModel from "../../BatchModel.js"
import { scopedAbort } from "../../internal/http/scopedAbort.js"
import { unwrapScopedStream } from "../../internal/stream/scopedStream.js"
import { fromJsonlBody, RESULTS_READ_AHEAD } from "../../internal/batch/lines.js"
import { keptEncoding } from "../../internal/batch/keptEncoding.js"
import type { ModelSettings } from "../../Parameters.js"
import { AnthropicClient } from "./AnthropicClient.js"
import { bodyChunks, type Encode, itemBytes, plan, type Plan } from "./batchBody.js"
import { customIdPattern, decodeBatch, decodeResultLine, encodeItem, linePath } from "./batchCodec.js"
import { providerName } from "./codec.js"
import { mapError } from "./errors.js"
import { anthropicSdk } from "./sdk.js"
import { listed, logGrouped } from "../../internal/batch/warnings.js"

/**
 * Anthropic's limits of one message batch: 100,000 requests, 256 MB.
 *
 * @since 0.1.0
 * @category constants
 */
export const limits: BatchModel.Limits = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 }

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Settings every request starts from (a request's own settings win). */
  readonly settings?: ModelSettings | undefined
}

/** Page size of `list` (Anthropic allows 1 to 1000; it defaults to 20). */
const listPageSize = 100

/**
 * Builds the Anthropic `BatchModel` service for a default model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<BatchModel.Service, never, AnthropicClient> =>
  // the SDK module is loaded by then (the client was built from it): its error classes
  Effect.zipWith(AnthropicClient, anthropicSdk, (client, sdkModule) => {
    const { sdk } = client
    const apiKey = Redacted.value(client.apiKey)
    const onError = mapError(apiKey, sdkModule)

    const encode: Encode = (request) => encodeItem(modelName, options?.settings, request)
    // What validate learnt of a list (size, headers, warnings, problems), for the create of that
    // same list (Batch.create, and Batch.run for a list that fits one batch, pass it on as it is).
    const plans = new WeakMap<ReadonlyArray<BatchRequest>, Plan>()
    // the body a plan serialized to size its list, for the create to send (internal/batch/keptEncoding.ts)
    const kept = keptEncoding<Array<Uint8Array | undefined>>()
    // sized only when the list may fit one batch: a longer one is split request by request
    const planOf = (requests: ReadonlyArray<BatchRequest>, size = requests.length <= limits.maxRequests): Plan => {
      let known = plans.get(requests)
      if (known === undefined || (size && known.bytes === undefined && known.firstError === undefined)) {
        const { groups, ...planned } = plan(requests, encode, size)
        known = planned
        plans.set(requests, known)
        if (groups !== undefined) kept.keep(requests, groups)
      }
      return known
    }

    const decoded = (wire: unknown): Effect.Effect<Batch, ResponseDecodeError> => decodeBatch(wire)

    const validate = (requests: ReadonlyArray<BatchRequest>, createOptions: BatchModel.CreateOptions): Effect.Effect<void, InvalidInputError> =>
      Effect.suspend(() => {
        const invalid = (reason: string) => Effect.fail(new InvalidInputError({ provider: providerName, reason }))
        const labels = Object.keys(createOptions.metadata ?? {})
        if (labels.length > 0) {
          return invalid(
            `Anthropic message batches carry no metadata, so the labels ${listed(labels)} would be lost; ` +
              "remove `metadata`, or keep your labels next to the batch id yourself."
          )
        }
        const badIds = requests.filter((r) => !customIdPattern.test(r.customId)).map((r) => r.customId)
        if (badIds.length > 0) {
          return invalid(
            `Anthropic custom ids must match ^[a-zA-Z0-9_-]{1,64}$ (letters, digits, "_" and "-", 1 to 64 characters); these do not: ${listed(badIds)}.`
          )
        }
        const { problems } = planOf(requests)
        return problems.length > 0 ? invalid(`these batch requests cannot be sent to Anthropic: ${problems.join("; ")}.`) : Effect.void
      })

    const encodedSize = (request: BatchRequest): number => {
      kept.drop()
      return itemBytes(request, encode)
    }

    const encodedBytes = (requests: ReadonlyArray<BatchRequest>): number => {
      const known = planOf(requests, true)
      // only reached for a list that skipped validate; the batch planner then names the request
      if (known.firstError !== undefined) throw new Error(known.firstError.message)
      return known.bytes! // a sizing plan of a list that encodes has them
    }

    const create = (requests: ReadonlyArray<BatchRequest>): Effect.Effect<Batch, AiError> =>
      Effect.gen(function*() {
        // what the encoding could not carry, once per kind, naming the requests (a list not
        // planned yet, such as a part of a split run, is planned and sized here)
        const { firstError, headers, warned } = planOf(requests)
        // the kept body is this list's, or no list's any more
        const groups = kept.of(requests)
        kept.drop()
        if (firstError !== undefined) return yield* Effect.fail(firstError)
        yield* logGrouped(providerName, warned)
        // the body is streamed, a group of items at a time (batchBody.ts: the kept groups, or
        // encoded as read), through the SDK's request (its auth, headers, errors):
        // `messages.batches.create` would take the items as objects and serialize the whole body
        // into one string first
        const wire = yield* Effect.tryPromise({
          try: (signal) =>
            sdk.post<Anthropic.Messages.Batches.MessageBatch>("/v1/messages/batches", {
              body: bodyChunks(requests, encode, groups),
              headers: { ...headers, "content-type": "application/json" },
              signal
            }),
          catch: onError
        }).pipe(Effect.ensuring(Effect.sync(() => plans.delete(requests))))
        return yield* decoded(wire)
      })

    const status = (batchId: string): Effect.Effect<Batch, AiError> =>
      Effect.flatMap(
        Effect.tryPromise({ try: (signal) => sdk.messages.batches.retrieve(batchId, {}, { signal }), catch: onError }),
        decoded
      )

    const cancel = (batchId: string): Effect.Effect<Batch, AiError> =>
      Effect.flatMap(
        Effect.tryPromise({ try: (signal) => sdk.messages.batches.cancel(batchId, {}, { signal }), catch: onError }),
        decoded
      )

    const noResults = (batchId: string) =>
      new InvalidInputError({ provider: providerName, reason: `batch ${batchId} has no results yet; wait until it has ended.` })

    // The results URL of a batch already looked up (Batch.results looks it up when it is not
    // complete), saving the retrieve the SDK's `batches.results` makes first. Only on the API's
    // own origin: a stored Batch could have been edited to send the key elsewhere.
    const apiOrigin = new URL(sdk.baseURL).origin
    const knownResultsUrl = (batch: Batch): string | undefined => {
      const url = batch.details.resultsUrl
      if (typeof url !== "string" || url === "") return undefined
      try {
        return new URL(url, sdk.baseURL).origin === apiOrigin ? url : undefined
      } catch {
        return undefined
      }
    }

    const results = (batch: Batch): Stream.Stream<BatchResult, AiError> =>
      unwrapScopedStream(Effect.gen(function*() {
        // the stream's scope owns the download (internal/http/scopedAbort.ts)
        const download = yield* scopedAbort
        let known = batch
        let url = knownResultsUrl(batch)
        if (url === undefined) {
          known = yield* status(batch.id)
          const fresh = known.details.resultsUrl
          if (typeof fresh !== "string" || fresh === "") return yield* Effect.fail(noResults(batch.id))
          url = fresh
        }
        const resultsUrl = url
        // the body as bytes, read a network chunk per pull (see batchLines.ts), not the SDK's
        // JSONL iterator
        const response = yield* Effect.tryPromise({
          try: () =>
            sdk.get<Response>(resultsUrl, { headers: { Accept: "application/binary" }, __binaryResponse: true, signal: download.signal }),
          catch: onError
        })
        const body = response.body
        if (body === null) return yield* Effect.fail(onError(new Error("the results response has no body")))
        // one context for every line (decodeResultLine keeps none of it)
        const context = { batchId: batch.id, timestamp: known.completedAt ?? batch.completedAt, secrets: [apiKey], line: 0 }
        return fromJsonlBody(body, (text, line) => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch (error) {
            // a line that is not JSON: name the line
            const mapped = onError(error)
            const detail = mapped._tag === "ResponseDecodeError" ? mapped.detail : undefined
            return Either.left(new ResponseDecodeError({ provider: providerName, path: linePath(line), ...(detail !== undefined ? { detail } : {}) }))
          }
          context.line = line
          return decodeResultLine(json, context)
        }, (error) => onError(error), { onEnd: download.finished, readAhead: RESULTS_READ_AHEAD })
      }))

    const list = (listOptions: BatchModel.ListOptions): Stream.Stream<Batch, AiError> =>
      Stream.paginateChunkEffect(listOptions.after, (after) =>
        Effect.tryPromise({
          try: (signal) =>
            sdk.messages.batches.list(
              { limit: Math.min(listOptions.limit ?? listPageSize, listPageSize), ...(after !== undefined ? { after_id: after } : {}) },
              { signal }
            ),
          catch: onError
        }).pipe(
          Effect.flatMap((page) =>
            Effect.map(Effect.forEach(page.data, decoded), (batches) =>
              [
                Chunk.fromIterable(batches),
                page.has_more && page.last_id ? Option.some<string | undefined>(page.last_id) : Option.none()
              ] as const)
          )
        ))

    return BatchModel.make({
      provider: providerName,
      modelName,
      limits,
      validate,
      encodedSize,
      encodedBytes,
      create,
      status,
      results,
      cancel,
      list
    })
  })

/**
 * The Anthropic `BatchModel` as a Layer over the client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<BatchModel.BatchModel, never, AnthropicClient> =>
  Layer.effect(BatchModel.BatchModel, make(modelName, options))
