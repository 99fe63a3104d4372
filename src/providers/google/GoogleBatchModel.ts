/**
 * The Gemini `BatchModel`: Gemini batch mode through the official SDK. Requests are encoded by
 * the same codec as direct requests; a batch whose requests fit `inlineLimitBytes` (default
 * 20 MB, the API's limit of an inline create) goes inline, a larger one as a JSONL file uploaded
 * with `files.upload`. Inline results come back in submission order with their keys; a results
 * file is downloaded with `files.download` to a temporary file (removed when the stream ends) and
 * read line by line, never whole. Every call is one attempt with the call's `abortSignal`, so
 * interruption aborts the HTTP request; retries, deduplication, ordering and cancellation on
 * interruption come from the `Batch` module on top.
 *
 * Gemini batches run on one model and carry no metadata: a request for another model, or a
 * `metadata` option, fails validation instead of being dropped.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Readable } from "node:stream"
import type { BatchJob } from "@google/genai"
import { Chunk, Effect, Either, Layer, Option, Redacted, Stream } from "effect"
import { type AiError, InvalidInputError, ResponseDecodeError } from "../../AiError.js"
import { Batch, type BatchRequest, type BatchResult } from "../../BatchData.js"
import * as BatchModel from "../../BatchModel.js"
import { fromJsonlBody, RESULTS_READ_AHEAD } from "../../internal/batch/lines.js"
import { unwrapScopedStream } from "../../internal/stream/scopedStream.js"
import type { ModelSettings } from "../../Parameters.js"
import { decodeBatch, decodeResult, type EncodedItem, encodeItem, itemSize, resultPath } from "./batchCodec.js"
import { providerName } from "./codec.js"
import { mapError } from "./errors.js"
import { GoogleClient } from "./GoogleClient.js"
import { googleSdk } from "./sdk.js"
import { groupWarnings, listed, logGrouped } from "../../internal/batch/warnings.js"

/**
 * Gemini's limits of one batch: 100,000 requests (our cap), 2 GB of JSONL input file.
 *
 * @since 0.1.0
 * @category constants
 */
export const limits: BatchModel.Limits = { maxRequests: 100_000, maxBytes: 2 * 1024 * 1024 * 1024 }

/**
 * The API's limit of an inline batch create: 20 MB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultInlineLimitBytes = 20 * 1024 * 1024

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Settings every request starts from (a request's own settings win). */
  readonly settings?: ModelSettings | undefined
  /** Requests of at most this many bytes (as JSONL) go inline, larger batches as a file (default 20 MB). */
  readonly inlineLimitBytes?: number | undefined
}

/** Page size of `list`. */
const listPageSize = 50

/**
 * Builds the Gemini `BatchModel` service for a model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<BatchModel.Service, never, GoogleClient> =>
  // the SDK module is loaded by then (the client was built from it): its error class
  Effect.zipWith(GoogleClient, googleSdk, (client, sdkModule) => {
    const { sdk } = client
    const apiKey = Redacted.value(client.apiKey)
    const onError = mapError(apiKey, sdkModule)
    const inlineLimit = options?.inlineLimitBytes ?? defaultInlineLimitBytes

    const cache = new WeakMap<BatchRequest, Either.Either<EncodedItem, InvalidInputError>>()
    const encode = (request: BatchRequest) => {
      let encoded = cache.get(request)
      if (encoded === undefined) {
        encoded = encodeItem(modelName, options?.settings, request)
        cache.set(request, encoded)
      }
      return encoded
    }

    const decoded = (job: BatchJob, requestCount?: number): Effect.Effect<Batch, ResponseDecodeError> => decodeBatch(job, requestCount)

    const validate = (requests: ReadonlyArray<BatchRequest>, createOptions: BatchModel.CreateOptions): Effect.Effect<void, InvalidInputError> =>
      Effect.suspend(() => {
        const invalid = (reason: string) => Effect.fail(new InvalidInputError({ provider: providerName, reason }))
        const labels = Object.keys(createOptions.metadata ?? {})
        if (labels.length > 0) {
          return invalid(
            `Gemini batches carry no metadata, so the labels ${listed(labels)} would be lost; remove \`metadata\`, or keep your labels next to the batch id yourself.`
          )
        }
        const otherModels = requests.filter((r) => r.model !== undefined && r.model !== modelName).map((r) => r.customId)
        if (otherModels.length > 0) {
          return invalid(
            `a Gemini batch runs on one model (${modelName}), and these requests ask for another: ${listed(otherModels)}; submit them in a batch of their own model.`
          )
        }
        const problems: Array<string> = []
        for (const request of requests) {
          const encoded = encode(request)
          if (Either.isLeft(encoded)) problems.push(`request ${JSON.stringify(request.customId)}: ${encoded.left.message}`)
          if (problems.length >= 5) break
        }
        return problems.length > 0 ? invalid(`these batch requests cannot be sent to Gemini: ${problems.join("; ")}.`) : Effect.void
      })

    const encodedSize = (request: BatchRequest): number =>
      Either.match(encode(request), {
        onLeft: (error) => {
          throw new Error(error.message)
        },
        onRight: itemSize
      })

    const create = (requests: ReadonlyArray<BatchRequest>): Effect.Effect<Batch, AiError> =>
      Effect.gen(function*() {
        const encoded = yield* Either.all(requests.map(encode))
        yield* logGrouped(providerName, groupWarnings(encoded.length, (i) => requests[i]!.customId, (i) => encoded[i]!.warnings))
        const displayName = `effect-llm-direct-${Date.now()}`
        const size = encoded.reduce((n, e) => n + itemSize(e), 0)
        if (size <= inlineLimit) {
          const job = yield* Effect.tryPromise({
            try: (signal) =>
              sdk.batches.create({ model: modelName, src: encoded.map((e) => e.inline), config: { displayName, abortSignal: signal } }),
            catch: onError
          })
          return yield* decoded(job, requests.length)
        }
        const jsonl = encoded.map((e) => e.line).join("\n") + "\n"
        const file = yield* Effect.tryPromise({
          try: (signal) =>
            sdk.files.upload({
              file: new Blob([jsonl], { type: "application/jsonl" }),
              config: { mimeType: "application/jsonl", displayName: `${displayName}-input`, abortSignal: signal }
            }),
          catch: onError
        })
        if (file.name === undefined) return yield* Effect.fail(new ResponseDecodeError({ provider: providerName, path: "file.name", detail: "the upload returned no file name" }))
        const fileName = file.name
        const job = yield* Effect.tryPromise({
          try: (signal) => sdk.batches.create({ model: modelName, src: fileName, config: { displayName, abortSignal: signal } }),
          catch: onError
        })
        return yield* decoded(job, requests.length)
      })

    const getJob = (batchId: string): Effect.Effect<BatchJob, AiError> =>
      Effect.tryPromise({ try: (signal) => sdk.batches.get({ name: batchId, config: { abortSignal: signal } }), catch: onError })

    const status = (batchId: string): Effect.Effect<Batch, AiError> => Effect.flatMap(getJob(batchId), (job) => decoded(job))

    const cancel = (batchId: string): Effect.Effect<Batch, AiError> =>
      Effect.zipRight(
        Effect.tryPromise({ try: (signal) => sdk.batches.cancel({ name: batchId, config: { abortSignal: signal } }), catch: onError }),
        status(batchId)
      )

    const noResults = (batchId: string) =>
      new InvalidInputError({ provider: providerName, reason: `batch ${batchId} has no results yet; wait until it has ended.` })

    // a results file downloaded to a temporary directory, removed with the stream's scope
    const download = (fileName: string) =>
      Effect.acquireRelease(
        Effect.tryPromise({
          try: async (signal) => {
            const dir = await Fs.promises.mkdtemp(Path.join(Os.tmpdir(), "effect-llm-direct-gemini-"))
            const path = Path.join(dir, "results.jsonl")
            try {
              await sdk.files.download({ file: fileName, downloadPath: path, config: { abortSignal: signal } })
            } catch (error) {
              await Fs.promises.rm(dir, { recursive: true, force: true })
              throw error
            }
            return { dir, path }
          },
          catch: onError
        }),
        ({ dir }) => Effect.promise(() => Fs.promises.rm(dir, { recursive: true, force: true }))
      )

    const results = (batch: Batch): Stream.Stream<BatchResult, AiError> =>
      unwrapScopedStream(Effect.gen(function*() {
        const job = yield* getJob(batch.id)
        const known = yield* decoded(job)
        const timestamp = known.completedAt ?? batch.completedAt
        const inline = job.dest?.inlinedResponses
        if (inline !== undefined) {
          const out: Array<BatchResult> = []
          for (const [i, item] of inline.entries()) {
            const result = decodeResult(item, { modelName, fallbackKey: batch.customIds[i], timestamp, secrets: [apiKey], line: i + 1 })
            if (Either.isLeft(result)) return Stream.concat(Stream.fromIterable(out), Stream.fail(result.left))
            out.push(result.right)
          }
          return Stream.fromIterable(out)
        }
        const fileName = job.dest?.fileName
        if (fileName === undefined) {
          // a batch that ended without output (failed, cancelled before any request ran): Batch.results fills in the rest
          return known.isComplete ? Stream.empty : yield* Effect.fail(noResults(batch.id))
        }
        const { path } = yield* download(fileName)
        const body = Readable.toWeb(Fs.createReadStream(path)) as ReadableStream<Uint8Array>
        const context = { modelName, fallbackKey: undefined, timestamp, secrets: [apiKey], line: 0 }
        return fromJsonlBody(body, (text, line) => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch (error) {
            return Either.left(new ResponseDecodeError({ provider: providerName, path: resultPath(line), detail: error instanceof Error ? error.message : String(error) }))
          }
          return decodeResult(json, { ...context, line })
        }, (error) => onError(error), { readAhead: RESULTS_READ_AHEAD })
      }))

    const list = (listOptions: BatchModel.ListOptions): Stream.Stream<Batch, AiError> =>
      Stream.paginateChunkEffect(listOptions.after, (after) =>
        Effect.tryPromise({
          try: (signal) =>
            sdk.batches.list({
              config: { pageSize: Math.min(listOptions.limit ?? listPageSize, listPageSize), ...(after !== undefined ? { pageToken: after } : {}), abortSignal: signal }
            }),
          catch: onError
        }).pipe(
          Effect.flatMap((pager) =>
            Effect.map(Effect.forEach(pager.page, (job) => decoded(job)), (batches) => {
              const next = pager.params.config?.pageToken
              return [Chunk.fromIterable(batches), next ? Option.some<string | undefined>(next) : Option.none()] as const
            })
          )
        ))

    const service = BatchModel.make({ provider: providerName, modelName, limits, validate, encodedSize, create, status, results, cancel, list })
    // the SDK's BatchJob has no request count (it drops the wire's batchStats): the submitted ids
    // say how many there are, when the batch is known
    const counted = (batch: Batch): Batch =>
      batch.requestCount === 0 && batch.customIds.length > 0 ? new Batch({ ...batch, requestCount: batch.customIds.length }, true) : batch
    return {
      ...service,
      status: (batch) => Effect.map(service.status(batch), counted),
      cancel: (batch) => Effect.map(service.cancel(batch), counted)
    }
  })

/**
 * The Gemini `BatchModel` as a Layer over the client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<BatchModel.BatchModel, never, GoogleClient> =>
  Layer.effect(BatchModel.BatchModel, make(modelName, options))
