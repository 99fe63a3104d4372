/**
 * An SDK's stream of wire chunks (an async iterable) as a Stream of decoded events, read in
 * batches. `Stream.fromAsyncIterable(...).pipe(Stream.mapEffect(decode))` pays Effect's per-element
 * costs (a suspended fiber resumed per `next()`, an effect per decode) for every SSE chunk: about
 * 20 µs each, several times what the SDK itself spends on one. Here a plain loop pulls the
 * iterable and decodes each chunk as it comes; the Stream takes whatever has accumulated since its
 * last pull (everything one network read delivered), so those costs are paid per batch.
 *
 * - Latency: the first events are handed over as soon as they are decoded (the reader is woken at
 *   once, not after the whole read), so the time to the first event stays that of the SDK's first
 *   chunk; after that, a pull takes everything decoded since the last one.
 * - Backpressure: the loop pauses once `highWaterMark` events wait unread.
 * - Order and errors: events keep their order; a decode failure or an SDK error (mapped by
 *   `onError`) fails the stream after the events decoded before it.
 * - Closing the stream (done, failed or interrupted) stops the loop and calls the iterator's
 *   `return()` (without waiting for it); the caller's scope still owns the HTTP response (its
 *   AbortController).
 * - `splitBefore`: an event for which it holds starts a new pull's chunk, so a consumer that stops
 *   before it (`Stream.take`) never has it observed by a `mapChunks` upstream of the stop (the
 *   call's span would otherwise record the final metadata of a stream that was stopped early).
 * - Direct reading: the Stream also carries a {@link DirectReader} over the same state
 *   ({@link directReaderOf}), for the promise facade: it takes the decoded events with plain
 *   promises instead of running the Stream (Effect's stream machinery costs a few hundred
 *   microseconds per stream, a tenth of a 200-delta stream's own cost). A stream is read one way
 *   or the other, never both.
 *
 * @since 0.1.0
 */
import { Channel, Chunk, Effect, Either, Option, Stream } from "effect"

/**
 * Turns wire chunks into events: per chunk, and once at the end.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChunkDecoder<In, Out, E> {
  readonly chunk: (input: In) => Either.Either<Iterable<Out>, E>
  readonly end: () => Either.Either<Iterable<Out>, E>
}

/**
 * Reads a stream made by {@link fromSdkStream} without running it as a Stream.
 *
 * @internal
 * @since 0.1.0
 * @category models
 */
export interface DirectReader<Out, E> {
  /** The events decoded and not yet taken, or undefined when none waits. Starts the reading. */
  readonly take: () => Array<Out> | undefined
  /** Resolves when events arrive or the reading ends. */
  readonly wait: () => Promise<void>
  /** Once no event waits: the end (`Right` when the iterable ended, `Left` on failure), else undefined. */
  readonly end: () => Either.Either<void, E> | undefined
  /** Stops reading and calls the iterator's `return()`; the caller still owns the HTTP response. */
  readonly close: () => void
}

const directReaderKey: unique symbol = Symbol.for("effect-llm-direct/internal/DirectReader")

/**
 * The direct reader of a stream made by {@link fromSdkStream}, if it is one.
 *
 * @internal
 * @since 0.1.0
 * @category streams
 */
export const directReaderOf = <A, E, R>(stream: Stream.Stream<A, E, R>): DirectReader<A, E> | undefined =>
  (stream as { readonly [directReaderKey]?: DirectReader<A, E> })[directReaderKey]

/** The reading loop and its buffer, shared by the Stream and the direct reader. */
class Pump<In, Out, E> {
  private iterator: AsyncIterator<In> | undefined
  // events not yet handed over: complete chunks cut by `splitBefore`, then the current one
  private readonly ready: Array<Array<Out>> = []
  private buffer: Array<Out> = []
  private pending = 0
  failure: Option.Option<E> = Option.none()
  done = false
  private closed = false
  /** Called once when events arrive or the reading ends; set by whoever waits. */
  wake: (() => void) | undefined
  private wakeScheduled = false
  // whether any events were handed over yet: until then the reader is woken per chunk
  private started = false
  private room: (() => void) | undefined

  constructor(
    private readonly iterable: AsyncIterable<In>,
    private readonly decoder: ChunkDecoder<In, Out, E>,
    private readonly onError: (error: unknown) => E,
    private readonly highWaterMark: number,
    private readonly splitBefore: ((event: Out) => boolean) | undefined
  ) {}

  private readonly notify = (): void => {
    this.wakeScheduled = false
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  // wake the reader after the current network read is fully decoded, not per chunk
  private notifySoon(): void {
    if (this.wake !== undefined && !this.wakeScheduled) {
      this.wakeScheduled = true
      setImmediate(this.notify)
    }
  }

  private push(result: Either.Either<Iterable<Out>, E>): boolean {
    if (Either.isLeft(result)) {
      this.failure = Option.some(result.left)
      return false
    }
    const splitBefore = this.splitBefore
    for (const event of result.right) {
      if (splitBefore !== undefined && this.buffer.length > 0 && splitBefore(event)) {
        this.ready.push(this.buffer)
        this.buffer = []
      }
      this.buffer.push(event)
      this.pending++
    }
    return true
  }

  private async run(it: AsyncIterator<In>): Promise<void> {
    try {
      for (;;) {
        const next = await it.next()
        if (this.closed) return
        if (next.done === true) {
          if (this.push(this.decoder.end())) this.done = true
          return
        }
        if (!this.push(this.decoder.chunk(next.value))) return
        if (this.pending >= this.highWaterMark) {
          this.notify()
          await new Promise<void>((resolve) => (this.room = resolve))
          if (this.closed) return
        } else if (!this.started && this.pending > 0) {
          this.notify()
        } else {
          this.notifySoon()
        }
      }
    } catch (error) {
      if (!this.closed) this.failure = Option.some(this.onError(error))
    } finally {
      this.notify()
    }
  }

  /** Whether a reader has something to take or to learn (events, the end, a failure). */
  get hasNews(): boolean {
    return this.pending > 0 || this.done || Option.isSome(this.failure)
  }

  /** The events decoded and not yet taken, or undefined; the first call starts the loop. */
  take(): Array<Out> | undefined {
    if (this.iterator === undefined) {
      this.iterator = this.iterable[Symbol.asyncIterator]()
      void this.run(this.iterator)
    }
    if (this.pending === 0) return undefined
    const out = this.ready.length > 0 ? this.ready.shift()! : this.buffer
    if (out === this.buffer) this.buffer = []
    this.pending -= out.length
    this.started = true
    const resume = this.room
    this.room = undefined
    resume?.()
    return out
  }

  close(): void {
    this.closed = true
    const resume = this.room
    this.room = undefined
    resume?.()
    const it = this.iterator
    if (it?.return === undefined || this.done) return
    try {
      void it.return().catch(() => undefined)
    } catch {
      // an iterator whose return() throws is closed all the same
    }
  }
}

/**
 * The events of an SDK's stream of wire chunks, decoded in a plain loop and pulled in batches.
 *
 * @since 0.1.0
 * @category streams
 */
export const fromSdkStream = <In, Out, E>(
  iterable: AsyncIterable<In>,
  decoder: ChunkDecoder<In, Out, E>,
  onError: (error: unknown) => E,
  options?: { readonly highWaterMark?: number | undefined; readonly splitBefore?: ((event: Out) => boolean) | undefined }
): Stream.Stream<Out, E> => {
  // one pump per run of the stream (a Stream value can be run more than once), or per direct reader
  const makePump = () => new Pump(iterable, decoder, onError, options?.highWaterMark ?? 512, options?.splitBefore)
  const stream = Stream.fromChannel(Channel.suspend(() => {
    const pump = makePump()
    // parked until the pump has events (or ends): one effect per run, reused by every wait
    const wait = Effect.async<void>((resume) => {
      pump.wake = () => resume(Effect.void)
      return Effect.sync(() => {
        pump.wake = undefined
      })
    })
    // A channel loop rather than `Stream.repeatEffectChunkOption(pull)`: the same pulls, without
    // the Option-wrapped failures and the extra stages it builds (~100 µs per stream, measured).
    const loop: Channel.Channel<Chunk.Chunk<Out>, unknown, E, unknown, void, unknown> = Channel.suspend(() => {
      const out = pump.take()
      if (out !== undefined) return Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), loop)
      if (Option.isSome(pump.failure)) return Channel.fail(pump.failure.value)
      if (pump.done) return Channel.void
      return Channel.zipRight(Channel.fromEffect(wait), loop)
    })
    return Channel.ensuring(loop, Effect.sync(() => pump.close()))
  }))
  let reader: DirectReader<Out, E> | undefined
  Object.defineProperty(stream, directReaderKey, {
    get: (): DirectReader<Out, E> => {
      if (reader !== undefined) return reader
      const pump = makePump()
      return reader = {
        take: () => pump.take(),
        wait: () =>
          new Promise<void>((resolve) => {
            if (pump.hasNews) return resolve()
            pump.wake = resolve
          }),
        end: () => (Option.isSome(pump.failure) ? Either.left(pump.failure.value) : pump.done ? Either.right(undefined) : undefined),
        close: () => pump.close()
      }
    }
  })
  return stream
}
