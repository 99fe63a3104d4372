/**
 * A JSONL response body (a batch's results file) as a Stream of decoded lines, read straight
 * from the body's bytes. Each pull reads one network chunk (with `readAhead`, also the chunks the
 * body already holds, up to that many bytes), decodes it as UTF-8, cuts it at `\n` and decodes
 * every complete line, so:
 *
 * - memory holds one pull's lines and the unfinished last line, never the file: the next chunk
 *   is read only when the consumer pulls (the body's own queue and `readAhead` are the only
 *   read-ahead), and results die young (a pull of up to 1,024 lines, as an SDK line iterator
 *   batched, kept a few MB alive across young-generation collections: they were promoted and
 *   the old generation grew with the file until a full collection);
 * - the Effect costs are paid per pull, not per line (no per-character line splitter, no async
 *   iterator step per line).
 *
 * Lines are numbered from 1 (blank lines count but are skipped). A Left from `decode` fails the
 * stream after the results before it; a failing read becomes `onError(error, n)`, n the number
 * of the line being read, also after the results before it. The stream never cancels the body:
 * the caller's scope must, by aborting the request, unless `onEnd` said the body was read to its
 * end (an abort then costs a DOMException and undici's cancellation for nothing).
 * @internal
 * @since 0.1.0
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"

/** Whether a line holds only whitespace (checked cheaply for the usual line, which starts with `{`). */
const isBlank = (text: string): boolean => text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === "")

/**
 * The read-ahead of batch result downloads: four of undici's 64 KB reads per pull, a few hundred
 * results, a quarter of the Effect costs of one read per pull.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESULTS_READ_AHEAD = 256 * 1024

const NOT_YET: unique symbol = Symbol("not yet")
/** Settled at once: a read that loses the race against it would have to wait for the network. */
const notYet: Promise<typeof NOT_YET> = Promise.resolve(NOT_YET)

/**
 * Options of {@link fromJsonlBody}.
 *
 * @since 0.1.0
 * @category options
 */
export interface JsonlOptions {
  /** Called once the body has been read to its end (not when the stream stops early or fails). */
  readonly onEnd?: (() => void) | undefined
  /**
   * Bytes a pull may read, when the body already holds them, before it hands its lines over
   * (default 0: one network read per pull). Each pull costs the Effect runtime a fiber
   * suspension and a pass through every stage of the consumer's stream, tens of µs the first
   * times in a process: a fast download's 64 KB reads are better handed over a few at a time.
   * A pull never waits for the network once it has results.
   */
  readonly readAhead?: number | undefined
}

/**
 * fromJsonlBody.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromJsonlBody = <A, E>(
  body: ReadableStream<Uint8Array>,
  decode: (text: string, line: number) => Either.Either<A, E>,
  onError: (error: unknown, line: number) => E,
  options?: JsonlOptions
): Stream.Stream<A, E> =>
  Stream.suspend(() => {
    const reader = body.getReader()
    const readAhead = options?.readAhead ?? 0
    // a read not yet answered when a pull handed its results over (see readAhead)
    let waiting: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
    const utf8 = new TextDecoder()
    // the unfinished line at the end of the last chunk
    let carry = ""
    let line = 0
    let failure: Option.Option<E> = Option.none()
    let done = false

    /** Decodes the complete lines of `text` (all of it when `final`) into `out`; false on a bad line. */
    const cut = (text: string, out: Array<A>, final: boolean): boolean => {
      let start = 0
      for (;;) {
        const end = text.indexOf("\n", start)
        const last = end === -1
        if (last && !final) break
        const piece = last ? text.slice(start) : text.slice(start, end)
        start = last ? text.length : end + 1
        if (last && piece === "") break
        line += 1
        if (!isBlank(piece)) {
          const decoded = decode(piece, line)
          if (Either.isLeft(decoded)) {
            failure = Option.some(decoded.left)
            carry = ""
            return false
          }
          out.push(decoded.right)
        }
        if (last) break
      }
      carry = start === 0 ? text : text.slice(start)
      return true
    }

    const pull = async (): Promise<Either.Either<Array<A>, Option.Option<E>>> => {
      if (Option.isSome(failure)) return Either.left(failure)
      if (done) return Either.left(Option.none())
      const out: Array<A> = []
      let bytes = 0
      // a chunk may end inside the first line: read on until a result or the end; then, up to
      // readAhead bytes, only what the body already holds (a read that would wait is kept for the
      // next pull, so a slow download's results are handed over as they arrive)
      while (out.length === 0 || bytes < readAhead) {
        let read: ReadableStreamReadResult<Uint8Array>
        try {
          const next = waiting ?? reader.read()
          waiting = undefined
          if (out.length === 0) read = await next
          else {
            const ready = await Promise.race([next, notYet])
            if (ready === NOT_YET) {
              waiting = next
              break
            }
            read = ready
          }
        } catch (error) {
          // the results read before it first: the next pull fails
          failure = Option.some(onError(error, line + 1))
          break
        }
        if (read.done) {
          done = true
          options?.onEnd?.()
          cut(carry + utf8.decode(), out, true)
          break
        }
        bytes += read.value.length
        if (!cut(carry + utf8.decode(read.value, { stream: true }), out, false)) break
      }
      return out.length > 0 ? Either.right(out) : Either.left(failure)
    }

    // the end is a None, not a failure caught on every pull as repeatEffectChunkOption does
    const step: Effect.Effect<Option.Option<readonly [Chunk.Chunk<A>, undefined]>, E> = Effect.flatMap(
      Effect.promise(pull),
      Either.match({
        onLeft: Option.match({ onNone: () => Effect.succeedNone, onSome: (error) => Effect.fail(error) }),
        onRight: (results) => Effect.succeed(Option.some([Chunk.unsafeFromArray(results), undefined] as const))
      })
    )
    return Stream.unfoldChunkEffect(undefined, () => step)
  })
