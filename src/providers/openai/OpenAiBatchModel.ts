/**
 * The OpenAI `BatchModel`: the Batch API on Chat Completions through the official SDK. Requests
 * become a JSONL file (bodies built by the same codec as direct requests) uploaded through the
 * Files API with purpose "batch"; the batch runs on `/v1/chat/completions` within "24h"; results
 * are read from the output file, then the error file, as streams of lines. Every call is one
 * attempt with the fiber's `AbortSignal`; `Batch.run` adds retries, ordering and cancellation.
 *
 * @example
 * const results = yield* Batch.run(requests).pipe(Effect.provide(OpenAi.model("gpt-4o-mini")))
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Either, Layer, Option, Redacted, Stream } from "effect"
import { type AiError, InvalidInputError, ResponseDecodeError } from "../../AiError.js"
import type { Batch, BatchRequest, BatchResult } from "../../BatchData.js"
import * as BatchModel from "../../BatchModel.js"
import { scopedAbort } from "../../internal/http/scopedAbort.js"
import { unwrapScopedStream } from "../../internal/stream/scopedStream.js"
import { fromJsonlBody, RESULTS_READ_AHEAD } from "../../internal/batch/lines.js"
import type { ModelSettings } from "../../Parameters.js"
import {
  type BatchApi,
  chatCompletionsApi,
  checkBatch,
  COMPLETION_WINDOW,
  decodeBatchWire,
  decodeResultLine,
  encodeLine,
  ENDPOINT,
  filesOf,
  LIMITS
} from "./batchCodec.js"
import { type EncodeOptions, PROVIDER } from "./codec.js"
import { fromSdkError } from "./errors.js"
import { type OpenAiSdk, openAiSdk } from "./sdk.js"
import { keptEncoding } from "../../internal/batch/keptEncoding.js"
import { OpenAiClient, type Service as ClientService } from "./OpenAiClient.js"
import type { EncodeOptions as ResponsesEncodeOptions } from "./responsesCodec.js"

/**
 * OpenAI's limits of one batch (50,000 requests, 200 MB of input file); `Batch.run` splits larger lists.
 *
 * @since 0.2.0
 * @category constants
 */
export const limits: BatchModel.Limits = LIMITS

/**
 * Options of the OpenAI batch model: default settings of every request, and the system prompt role.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options extends EncodeOptions, ResponsesEncodeOptions {
  /** Settings every request starts from (its own settings win). */
  readonly settings?: ModelSettings | undefined
  /**
   * The API the batch's lines call (default Chat Completions, {@link chatCompletionsApi});
   * `OpenAi.responsesBatchModel` uses `BatchCodec.responsesApi`.
   */
  readonly api?: BatchApi | undefined
}

/**
 * What the model keeps of an encoded line that names another model or has warnings, until the
 * upload: its text, model and warnings, not the body object it was serialized from.
 */
class UploadLine {
  constructor(
    readonly customId: string,
    readonly model: string,
    readonly line: string,
    readonly warnings: ReadonlyArray<string>
  ) {}
}

/**
 * A request's line as kept until the upload: the usual one (the batch's model, no warnings) as
 * its text alone, any other as an {@link UploadLine}. Tens of thousands of them are alive at
 * once, so the usual one costs one string and nothing else.
 */
type Prepared = string | UploadLine

const textOf = (p: Prepared): string => (typeof p === "string" ? p : p.line)

/** Bytes of JSONL text per chunk of the streamed upload. */
const UPLOAD_CHUNK = 256 * 1024

/**
 * The JSONL file as chunks of about 256 KB, joined only as the upload reads them: memory holds
 * the lines (the file's text, once) and one chunk, never the file as one string or one Blob.
 */
async function* jsonlChunks(lines: ReadonlyArray<Prepared>): AsyncGenerator<string> {
  let group: Array<string> = []
  let size = 0
  for (const prepared of lines) {
    const line = textOf(prepared)
    group.push(line)
    // characters, not bytes: the chunk size only needs to be about right
    size += line.length + 1
    if (size >= UPLOAD_CHUNK) {
      group.push("")
      yield group.join("\n")
      group = []
      size = 0
    }
  }
  if (group.length > 0) {
    group.push("")
    yield group.join("\n")
  }
}

/** Largest page the list endpoint serves. */
const PAGE_SIZE = 100

// errors after which OpenAI certainly created no batch: the uploaded input file can go
const noBatchCreated = (error: AiError): boolean =>
  error._tag === "InvalidRequestError" ||
  error._tag === "AuthenticationError" ||
  error._tag === "PermissionDeniedError" ||
  error._tag === "NotFoundError" ||
  error._tag === "RateLimitError"

/**
 * The provider implementation over a client; `BatchModel.make` turns it into the service.
 *
 * @since 0.1.0
 * @category utils
 */
export const implementation = (client: ClientService, modelName: string, options: Options | undefined, sdkModule: OpenAiSdk): BatchModel.Implementation => {
  const { sdk } = client
  // the SDK's error classes and upload helper, from the module the client was built from
  const { toStreamingFile } = sdkModule
  const api = options?.api ?? chatCompletionsApi
  const secrets = [Redacted.value(client.apiKey)]
  const mapError = (error: unknown): AiError => fromSdkError(error, { secrets, where: "body", errors: sdkModule })
  const call = <A>(f: (signal: AbortSignal) => PromiseLike<A>): Effect.Effect<A, AiError> =>
    Effect.tryPromise({ try: (signal) => Promise.resolve(f(signal)), catch: mapError })

  const lineOf = (request: BatchRequest): Either.Either<Prepared, InvalidInputError> =>
    request.messages.length === 0
      ? Either.left(new InvalidInputError({ provider: PROVIDER, reason: `request ${JSON.stringify(request.customId)} has no messages; pass at least one ModelRequest.` }))
      : Either.map(encodeLine(request, modelName, options?.settings, options, api), ({ customId, line, model, warnings }) =>
          model === modelName && warnings.length === 0 ? line : new UploadLine(customId, model, line, warnings))
  const encodeAll = (requests: ReadonlyArray<BatchRequest>): Either.Either<Array<Prepared>, InvalidInputError> => {
    // sized up front: grown by push, its copies were promoted garbage
    const out = new Array<Prepared>(requests.length)
    for (let i = 0; i < requests.length; i++) {
      const encoded = lineOf(requests[i]!)
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      out[i] = encoded.right
    }
    return Either.right(out)
  }
  // the lines validate encoded for a list that may fit one batch, for its create to upload
  // (internal/batch/keptEncoding.ts); any other list, and each part of a split one, is encoded when
  // it is created
  const kept = keptEncoding<Array<Prepared>>()
  const linesOf = (requests: ReadonlyArray<BatchRequest>): Either.Either<Array<Prepared>, InvalidInputError> => {
    const lines = kept.of(requests)
    return lines !== undefined ? Either.right(lines) : encodeAll(requests)
  }
  const lineBytes = (p: Prepared): number => Buffer.byteLength(textOf(p), "utf8") + 1
  // the lines checkBatch needs to see: a line kept as text alone has the batch's model
  const unusual = (encoded: ReadonlyArray<Prepared>): Array<UploadLine> => encoded.filter((p): p is UploadLine => typeof p !== "string")

  // one warning per kind, with how many requests it concerns, rather than 50,000 lines of log
  const logWarnings = (encoded: ReadonlyArray<Prepared>): Effect.Effect<void> => {
    const counts = new Map<string, number>()
    for (const line of encoded) if (typeof line !== "string") for (const w of line.warnings) counts.set(w, (counts.get(w) ?? 0) + 1)
    return Effect.forEach(counts, ([warning, n]) => Effect.logWarning(n > 1 ? `${warning} (${n} requests)` : warning), { discard: true })
  }

  const status = (batchId: string): Effect.Effect<Batch, AiError> =>
    Effect.flatMap(call((signal) => sdk.batches.retrieve(batchId, { signal })), (wire) => decodeBatchWire(wire))

  /** One result file as a stream of results, read line by line as its body arrives. */
  const readFile = (file: "output" | "error", fileId: string): Stream.Stream<BatchResult, AiError> =>
    unwrapScopedStream(Effect.gen(function* () {
      // the scope owns the download (internal/http/scopedAbort.ts)
      const download = yield* scopedAbort
      const response = yield* call((signal) => sdk.files.content(fileId, { signal: download.follow(signal) }))
      const body = response.body
      if (body === null) return Stream.empty
      // a network read per pull, cut into lines and decoded in a plain loop (internal/batch/lines.ts);
      // an unreadable line fails the stream after the results before it
      // one source for every line (decodeResultLine keeps none of it, and reads it only for an error)
      const source = { file, fileId, line: 0 }
      return fromJsonlBody<BatchResult, AiError>(
        body,
        (text, line) => {
          source.line = line
          return decodeResultLine(text, source, modelName, api)
        },
        (error) => mapError(error),
        { onEnd: download.finished, readAhead: RESULTS_READ_AHEAD }
      )
    }))

  return {
    provider: PROVIDER,
    modelName,
    limits: LIMITS,
    validate: (requests, { metadata }) =>
      Effect.suspend(() =>
        Either.match(
          Either.flatMap(linesOf(requests), (lines) => Either.map(checkBatch(unusual(lines), modelName, metadata), () => lines)),
          {
            onLeft: Effect.fail,
            onRight: (lines) => Effect.sync(() => {
              if (requests.length <= LIMITS.maxRequests) kept.keep(requests, lines)
              else kept.drop()
            })
          }
        )),
    encodedSize: (request) => {
      kept.drop()
      return lineBytes(Either.getOrThrowWith(lineOf(request), (error) => new Error(error.reason)))
    },
    encodedBytes: (requests) => {
      const here = kept.of(requests)
      const lines = here ?? Either.getOrThrowWith(encodeAll(requests), (error) => new Error(error.reason))
      let bytes = 0
      for (const line of lines) bytes += lineBytes(line)
      // another list's lines, or this one's when it is too large for one batch (its parts are
      // encoded again), are not kept
      if (here === undefined || bytes > LIMITS.maxBytes) kept.drop()
      return bytes
    },
    create: (requests, { metadata }) =>
      Effect.gen(function* () {
        const lines = linesOf(requests)
        // this create holds them from here, the model no longer (this list's or another's)
        kept.drop()
        const encoded = yield* Either.match(lines, { onLeft: Effect.fail, onRight: Effect.succeed })
        yield* logWarnings(encoded)
        // streamed from memory (no file on disk): the SDK encodes the multipart body as it sends
        // it, reading the JSONL a chunk at a time (jsonlChunks), so neither one string of up to
        // 200 MB nor a Blob copy of it is ever built
        const input = yield* call((signal) =>
          sdk.files.create({
            file: toStreamingFile(jsonlChunks(encoded), "batch-input.jsonl", { type: "application/jsonl" }),
            purpose: "batch"
          }, { signal }))
        const wire = yield* call((signal) =>
          sdk.batches.create({
            input_file_id: input.id,
            // the SDK's type lists OpenAI's endpoints; Azure's are the same without `/v1`
            endpoint: api.endpoint as typeof ENDPOINT,
            completion_window: COMPLETION_WINDOW,
            ...(metadata !== undefined ? { metadata: { ...metadata } } : {})
          }, { signal })
        ).pipe(
          Effect.tapError((error) =>
            noBatchCreated(error)
              ? call((signal) => sdk.files.delete(input.id, { signal })).pipe(Effect.ignore)
              : Effect.void)
        )
        return yield* decodeBatchWire(wire, requests.length)
      }),
    status,
    results: (batch) => {
      const read = (files: ReturnType<typeof filesOf> = {}): Stream.Stream<BatchResult, AiError> => {
        const output = files.output === undefined ? undefined : readFile("output", files.output)
        const error = files.error === undefined ? undefined : readFile("error", files.error)
        // no concatenation with an empty stream when a batch has only one file (the usual case)
        return output === undefined ? error ?? Stream.empty : error === undefined ? output : Stream.concat(output, error)
      }
      // a Batch that did not come from OpenAI (an id only, a hand-made value) lacks its file ids:
      // look it up first; one that did needs no unwrapping stage
      const known = filesOf(batch)
      return known !== undefined ? read(known) : Stream.unwrap(Effect.map(status(batch.id), (fresh) => read(filesOf(fresh))))
    },
    cancel: (batchId) => Effect.flatMap(call((signal) => sdk.batches.cancel(batchId, { signal })), (wire) => decodeBatchWire(wire)),
    list: ({ after, limit }) =>
      Stream.paginateChunkEffect(after, (cursor: string | undefined) =>
        call((signal) => sdk.batches.list({ limit: Math.min(PAGE_SIZE, Math.max(1, limit ?? PAGE_SIZE)), ...(cursor !== undefined ? { after: cursor } : {}) }, { signal })).pipe(
          Effect.flatMap((page) =>
            !Array.isArray(page.data)
              ? Effect.fail(new ResponseDecodeError({ provider: PROVIDER, path: "data", detail: "expected a list of batches" }))
              : Effect.map(Effect.forEach(page.data as ReadonlyArray<unknown>, (wire) => decodeBatchWire(wire)), (batches) => {
                  const last = batches.at(-1)
                  return [
                    Chunk.unsafeFromArray(batches),
                    page.has_more && last !== undefined ? Option.some(last.id) : Option.none()
                  ] as const
                }))
        ))
  }
}

/**
 * The service over the client in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (modelName: string, options?: Options): Effect.Effect<BatchModel.Service, never, OpenAiClient> =>
  Effect.zipWith(OpenAiClient, openAiSdk, (client, sdk) => BatchModel.make(implementation(client, modelName, options, sdk)))

/**
 * The `BatchModel` layer of one OpenAI model, over the client in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (modelName: string, options?: Options): Layer.Layer<BatchModel.BatchModel, never, OpenAiClient> =>
  Layer.effect(BatchModel.BatchModel, make(modelName, options))
