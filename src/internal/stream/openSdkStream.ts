/**
 * A provider's streamed request, opened the same way for every provider: the caller's scope owns
 * the HTTP response (scopedAbort.ts: closing the scope early aborts it), interrupting the open
 * itself aborts it too (abortableFetch.ts), and the SDK's stream of wire chunks is decoded in a
 * plain loop and pulled in batches (sdkStream.ts). The decoder's `end` runs once the body was
 * read to its end, after the response is marked finished. The final metadata event comes in a pull
 * of its own, so a consumer that stops before it never has it observed (sdkStream.ts `splitBefore`).
 * @internal
 * @since 0.1.0
 */
import type { Scope, Stream } from "effect"
import { Effect } from "effect"
import type { AiError } from "../../AiError.js"
import type { ModelResponseStreamEvent } from "../../StreamEvent.js"
import { abortable } from "../http/abortableFetch.js"
import { type ChunkDecoder, fromSdkStream } from "./sdkStream.js"
import { scopedAbort } from "../http/scopedAbort.js"

/**
 * What the opened response gives: the SDK's chunks and the decoder for them.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenedStream<In> {
  readonly chunks: AsyncIterable<In>
  readonly decoder: ChunkDecoder<In, ModelResponseStreamEvent, AiError>
}

const isMetadata = (event: ModelResponseStreamEvent): boolean => event._tag === "ResponseMetadataEvent"

/**
 * Opens a streamed request: `open` sends it with the controller (pass it to the SDK), `read`
 * turns what it resolved to into the chunks and their decoder (a decoder may need the
 * response's request id).
 *
 * @since 0.1.0
 * @category streams
 */
export const openSdkStream = <A, In>(
  open: (controller: AbortController) => PromiseLike<A>,
  read: (opened: A) => OpenedStream<In>,
  onError: (error: unknown) => AiError
): Effect.Effect<Stream.Stream<ModelResponseStreamEvent, AiError>, AiError, Scope.Scope> =>
  Effect.flatMap(scopedAbort, (response) =>
    Effect.map(abortable(open, onError, response.controller), (opened) => {
      const { chunks, decoder } = read(opened)
      return fromSdkStream(chunks, {
        chunk: decoder.chunk,
        end: () => {
          response.finished()
          return decoder.end()
        }
      }, onError, { splitBefore: isMetadata })
    }))
