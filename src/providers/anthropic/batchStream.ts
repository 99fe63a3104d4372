/**
 * Reading an async iterable of lines (the SDK's JSONL results) as a Stream of chunks. Pulling one
 * element per Effect costs more than decoding a results line; lines arrive a network read at a
 * time, so each pull takes every line the last read made available (up to a cap) and decodes
 * them together, without waiting for more: the first results still arrive while the download
 * goes on, and memory holds at most one pull's worth.
 * @internal
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"

/** Most lines one pull takes. */
const maxLinesPerPull = 1024

const settled = Symbol("settled")

/**
 * A Stream of `decode(line)` over `lines`, pulled in chunks. `decode` gets each line with its
 * 1-based number; a Left fails the stream after the lines before it. An iterator failure becomes
 * `onError(error, n)`, n the number of the line it failed on. The stream never stops the
 * iterator: the caller's scope must, by aborting the request.
 */
export const fromLines = <L, A, E>(
  lines: AsyncIterable<L>,
  decode: (line: L, n: number) => Either.Either<A, E>,
  onError: (error: unknown, n: number) => E
): Stream.Stream<A, E> =>
  Stream.suspend(() => {
    const iterator = lines[Symbol.asyncIterator]()
    let pending: Promise<IteratorResult<L>> | undefined
    let failure: Option.Option<E> = Option.none()
    let done = false
    let n = 0

    const pull = async (): Promise<Either.Either<ReadonlyArray<A>, Option.Option<E>>> => {
      if (Option.isSome(failure)) return Either.left(failure)
      if (done) return Either.left(Option.none())
      const out: Array<A> = []
      // set after the first line: lines a read already buffered come before the next macrotask
      let turn: Promise<typeof settled> | undefined
      for (;;) {
        const next = pending ?? iterator.next()
        pending = undefined
        let result: IteratorResult<L> | typeof settled
        try {
          result = turn === undefined ? await next : await Promise.race([next, turn])
        } catch (error) {
          failure = Option.some(onError(error, n + 1))
          return out.length > 0 ? Either.right(out) : Either.left(failure)
        }
        if (result === settled) {
          // the line of the next read: the next pull awaits it; if the stream ends first and
          // the request is aborted, its rejection is expected, not unhandled
          next.catch(() => undefined)
          pending = next
          return Either.right(out)
        }
        if (result.done === true) {
          done = true
          return out.length > 0 ? Either.right(out) : Either.left(Option.none())
        }
        n += 1
        const decoded = decode(result.value, n)
        if (Either.isLeft(decoded)) {
          failure = Option.some(decoded.left)
          return out.length > 0 ? Either.right(out) : Either.left(failure)
        }
        out.push(decoded.right)
        if (out.length >= maxLinesPerPull) return Either.right(out)
        turn ??= new Promise((resolve) => setImmediate(() => resolve(settled)))
      }
    }

    return Stream.repeatEffectChunkOption(
      Effect.flatMap(Effect.promise(pull), Either.match({
        onLeft: (error) => Effect.fail(error),
        onRight: (chunk) => Effect.succeed(Chunk.unsafeFromArray(chunk as Array<A>))
      }))
    )
  })
