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
import { type AiError, InvalidInputError, ResponseDecodeError, type UnsupportedError } from "../../AiError.js"
import type { Batch, BatchRequest, BatchResult } from "../../Batch.js"
import * as BatchModel from "../../BatchModel.js"
import { scopedAbort } from "../../internal/scopedAbort.js"
import { unwrapScopedStream } from "../../internal/scopedStream.js"
import { fromJsonlBody, RESULTS_READ_AHEAD } from "../../internal/batchLines.js"
import type { ModelSettings } from "../../Parameters.js"
import { AnthropicClient } from "./AnthropicClient.js"
import { AnthropicError } from "@anthropic-ai/sdk/core/error"
import { customIdPattern, decodeBatch, decodeResultLine, type EncodedItem, encodeItem, linePath } from "./batchCodec.js"
import { providerName } from "./codec.js"
import { mapError } from "./errors.js"
import { groupWarnings, listed, logGrouped } from "../../internal/batchWarnings.js"

/** Anthropic's limits of one message batch: 100,000 requests, 256 MB. */
export const limits: BatchModel.Limits = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 }

/** Options of {@link make} and {@link layer}. */
export interface Options {
  /** Settings every request starts from (a request's own settings win). */
  readonly settings?: ModelSettings | undefined
}

/** Page size of `list` (Anthropic allows 1 to 1000; it defaults to 20). */
const listPageSize = 100

/** Shows at most five values, then how many more. */
/**
 * What the model keeps of an encoded request with headers or warnings, or without a message,
 * until the create has sent it: the item's JSON text (serialized once, for its size and for the
 * body), not the item object.
 */
class PreparedItem {
  constructor(
    readonly json: string,
    readonly hasMessages: boolean,
    readonly headers: EncodedItem["headers"],
    readonly warnings: EncodedItem["warnings"]
  ) {}
}

/**
 * A request as kept until the create: the usual one (a message, no headers, no warnings) as its
 * item's JSON text alone, any other as a {@link PreparedItem}. Tens of thousands of them are
 * alive at once, so the usual one costs one string and nothing else.
 */
type Prepared = string | PreparedItem

const prepareItem = ({ headers, item, warnings }: EncodedItem): Prepared => {
  const json = JSON.stringify(item)
  // JSON.stringify's text is a rope of the pieces it wrote; measuring it makes it one flat string
  // now, while the pieces are young garbage, rather than at the split, after they have been
  // promoted with the text (about 12 MB more old-generation garbage for 50,000 requests)
  Buffer.byteLength(json, "utf8")
  const hasMessages = item.params.messages.length > 0
  return hasMessages && headers === undefined && warnings.length === 0 ? json : new PreparedItem(json, hasMessages, headers, warnings)
}

const jsonOf = (p: Prepared): string => (typeof p === "string" ? p : p.json)
const noWarnings: ReadonlyArray<string> = []
const warningsOf = (p: Prepared): ReadonlyArray<string> => (typeof p === "string" ? noWarnings : p.warnings)
const headersOf = (p: Prepared): EncodedItem["headers"] => (typeof p === "string" ? undefined : p.headers)

/** Bytes of JSON text per chunk of the streamed create body. */
const BODY_CHUNK = 256 * 1024

/**
 * The create body, `{"requests":[item,...]}`, as UTF-8 chunks of about 256 KB joined only as the
 * upload reads them: memory holds the items' text (once) and one chunk, never the body as one
 * string or the items as objects.
 */
async function* createBody(items: ReadonlyArray<Prepared>): AsyncGenerator<Uint8Array> {
  const utf8 = new TextEncoder()
  let group: Array<string> = []
  let size = 0
  for (let i = 0; i < items.length; i++) {
    const text = jsonOf(items[i]!)
    group.push(i === 0 ? `{"requests":[${text}` : text)
    size += text.length
    if (size >= BODY_CHUNK) {
      // the comma before the next item ends this chunk
      yield utf8.encode(group.join(",") + (i < items.length - 1 ? "," : ""))
      group = []
      size = 0
    }
  }
  yield utf8.encode(group.length > 0 ? `${group.join(",")}]}` : items.length === 0 ? `{"requests":[]}` : "]}")
}

/** Headers every request asked for with the same value: the only ones a batch create can send. */
const commonHeaders = (encoded: ReadonlyArray<Prepared>): { readonly common: Record<string, string>; readonly dropped: ReadonlyArray<string> } => {
  const common: Record<string, string> = {}
  const dropped: Array<string> = []
  const names = new Set<string>()
  for (const e of encoded) {
    const headers = headersOf(e)
    if (headers !== undefined) for (const name in headers) names.add(name)
  }
  for (const name of names) {
    const value = headersOf(encoded[0]!)?.[name]
    if (value !== undefined && encoded.every((e) => headersOf(e)?.[name] === value)) common[name] = value
    else dropped.push(name)
  }
  return { common, dropped }
}

/** Builds the Anthropic `BatchModel` service for a default model. */
export const make = (modelName: string, options?: Options): Effect.Effect<BatchModel.Service, never, AnthropicClient> =>
  Effect.map(AnthropicClient, (client) => {
    const { sdk } = client
    const apiKey = Redacted.value(client.apiKey)
    const onError = mapError(apiKey)

    // validate, encodedSize and create all need a request's encoding: encode each request once,
    // keep its text until the create has sent it
    const cache = new WeakMap<BatchRequest, Prepared | UnsupportedError | InvalidInputError>()
    const encode = (request: BatchRequest): Either.Either<Prepared, UnsupportedError | InvalidInputError> => {
      let encoded = cache.get(request)
      if (encoded === undefined) {
        // the encoding itself, not an Either of it, is kept (one object less a request)
        encoded = Either.match(encodeItem(modelName, options?.settings, request), { onLeft: (error) => error, onRight: prepareItem })
        cache.set(request, encoded)
      }
      return typeof encoded === "string" || encoded instanceof PreparedItem ? Either.right(encoded) : Either.left(encoded)
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
        const problems: Array<string> = []
        for (const request of requests) {
          const encoded = encode(request)
          if (Either.isLeft(encoded)) problems.push(`request ${JSON.stringify(request.customId)}: ${encoded.left.message}`)
          else if (typeof encoded.right !== "string" && !encoded.right.hasMessages) {
            problems.push(`request ${JSON.stringify(request.customId)}: it has no user or assistant message to send (Anthropic needs at least one)`)
          }
          if (problems.length >= 5) break
        }
        return problems.length > 0 ? invalid(`these batch requests cannot be sent to Anthropic: ${problems.join("; ")}.`) : Effect.void
      })

    const encodedSize = (request: BatchRequest): number =>
      Either.match(encode(request), {
        // only reached for a request that skipped validate; the batch planner reports the throw
        onLeft: (error) => {
          throw new Error(error.message)
        },
        // the item's JSON and the comma after it
        onRight: (encoded) => Buffer.byteLength(jsonOf(encoded), "utf8") + 1
      })

    const create = (requests: ReadonlyArray<BatchRequest>): Effect.Effect<Batch, AiError> =>
      Effect.gen(function*() {
        // sized up front: grown by push, its copies were promoted garbage
        const encoded = new Array<Prepared>(requests.length)
        for (let i = 0; i < requests.length; i++) {
          const e = encode(requests[i]!)
          if (Either.isLeft(e)) return yield* Effect.fail(e.left)
          encoded[i] = e.right
        }
        // what the encoding could not carry, once per kind, naming the requests
        const warned = groupWarnings(encoded.length, (i) => requests[i]!.customId, (i) => warningsOf(encoded[i]!))
        const { common, dropped } = commonHeaders(encoded)
        if (dropped.length > 0) {
          warned.set(
            `the extraHeaders ${listed(dropped)} were not sent: a batch sends one set of headers for all its requests, and these differ between them.`,
            []
          )
        }
        yield* logGrouped(providerName, warned)
        // the body is streamed from the items' JSON text (createBody) through the SDK's request
        // (its auth, headers, errors): `messages.batches.create` would take the items as objects
        // and serialize the whole body into one string first
        const wire = yield* Effect.tryPromise({
          try: (signal) =>
            sdk.post<Anthropic.Messages.Batches.MessageBatch>("/v1/messages/batches", {
              body: createBody(encoded),
              headers: { ...common, "content-type": "application/json" },
              signal
            }),
          catch: onError
        }).pipe(
          // sent: the items' text is dropped (a retried create encodes them again)
          Effect.ensuring(Effect.sync(() => {
            for (const request of requests) cache.delete(request)
          }))
        )
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
        // the stream's scope owns the download (internal/scopedAbort.ts)
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
        if (body === null) return yield* Effect.fail(onError(new AnthropicError("the results response has no body")))
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
      create,
      status,
      results,
      cancel,
      list
    })
  })

/** The Anthropic `BatchModel` as a Layer over the client. */
export const layer = (modelName: string, options?: Options): Layer.Layer<BatchModel.BatchModel, never, AnthropicClient> =>
  Layer.effect(BatchModel.BatchModel, make(modelName, options))
