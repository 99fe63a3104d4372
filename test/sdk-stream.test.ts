import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Exit, Fiber, Stream } from "effect"
import { type ChunkDecoder, fromSdkStream } from "../src/internal/stream/sdkStream.js"

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** An async iterable of `items` that records what its consumer did. */
const source = (items: ReadonlyArray<number>, options?: { readonly failAt?: number; readonly gate?: () => Promise<void> }) => {
  const seen = { pulled: 0, returned: false }
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => {
      let i = 0
      return {
        next: async () => {
          if (options?.gate) await options.gate()
          if (options?.failAt === i) throw new Error(`socket closed at ${i}`)
          if (i >= items.length) return { done: true, value: undefined }
          seen.pulled++
          return { done: false, value: items[i++]! }
        },
        return: async () => {
          seen.returned = true
          return { done: true, value: undefined }
        }
      }
    }
  }
  return { iterable, seen }
}

const twice: ChunkDecoder<number, number | "end", string> = {
  chunk: (n) => (n < 0 ? Either.left(`bad chunk ${n}`) : Either.right([n, n])),
  end: () => Either.right(["end"])
}

describe("fromSdkStream", () => {
  it.effect("decodes every chunk in order and appends the end events", () =>
    Effect.gen(function*() {
      const { iterable, seen } = source([1, 2, 3])
      const out = yield* Stream.runCollect(fromSdkStream(iterable, twice, String))
      expect(Chunk.toArray(out)).toEqual([1, 1, 2, 2, 3, 3, "end"])
      expect(seen.returned).toBe(false)
    }))

  it.effect("hands over events in batches, not one pull per chunk", () =>
    Effect.gen(function*() {
      const { iterable } = source(Array.from({ length: 100 }, (_, i) => i))
      const batches = yield* Stream.runCollect(Stream.mapChunks(fromSdkStream(iterable, twice, String), (c) => Chunk.of(c.length)))
      expect(Chunk.toArray(batches).reduce((a, b) => a + b, 0)).toBe(201)
      expect(Chunk.size(batches)).toBeLessThan(20)
    }))

  it.effect("fails with the decode error after the events decoded before it", () =>
    Effect.gen(function*() {
      const { iterable } = source([1, -2, 3])
      const seen: Array<unknown> = []
      const exit = yield* Effect.exit(Stream.runForEach(fromSdkStream(iterable, twice, String), (e) => Effect.sync(() => seen.push(e))))
      expect(seen).toEqual([1, 1])
      expect(exit).toEqual(Exit.fail("bad chunk -2"))
    }))

  it.effect("maps an error the iterable throws with onError", () =>
    Effect.gen(function*() {
      const { iterable } = source([1, 2, 3], { failAt: 2 })
      const exit = yield* Effect.exit(Stream.runCollect(fromSdkStream(iterable, twice, (e) => `mapped: ${(e as Error).message}`)))
      expect(exit).toEqual(Exit.fail("mapped: socket closed at 2"))
    }))

  it.effect("stops reading when the consumer stops early, and closes the iterator", () =>
    Effect.gen(function*() {
      const { iterable, seen } = source(Array.from({ length: 10_000 }, (_, i) => i), { gate: tick })
      const firstThree = yield* Stream.runCollect(Stream.take(fromSdkStream(iterable, twice, String), 3))
      expect(Chunk.toArray(firstThree)).toEqual([0, 0, 1])
      yield* Effect.promise(tick)
      const pulled = seen.pulled
      yield* Effect.promise(async () => {
        for (let i = 0; i < 5; i++) await tick()
      })
      expect(seen.pulled).toBe(pulled)
      expect(pulled).toBeLessThan(100)
      expect(seen.returned).toBe(true)
    }))

  it.effect("pauses the reader at the high-water mark until the consumer takes events", () =>
    Effect.gen(function*() {
      const { iterable, seen } = source(Array.from({ length: 1_000 }, (_, i) => i))
      const stream = fromSdkStream(iterable, twice, String, { highWaterMark: 10 })
      const fiber = yield* Effect.fork(Stream.runForEach(stream, () => Effect.never))
      yield* Effect.promise(async () => {
        for (let i = 0; i < 20; i++) await tick()
      })
      // the consumer holds the first batch; the reader filled one more up to the mark and waits
      expect(seen.pulled).toBeLessThanOrEqual(12)
      yield* Fiber.interrupt(fiber)
      expect(seen.returned).toBe(true)
    }))

  it.effect("interrupting a consumer that waits for the network closes the iterator", () =>
    Effect.gen(function*() {
      let release: (() => void) | undefined
      const { iterable, seen } = source([1, 2], { gate: () => new Promise<void>((resolve) => (release = resolve)) })
      const fiber = yield* Effect.fork(Stream.runCollect(fromSdkStream(iterable, twice, String)))
      yield* Effect.promise(tick)
      yield* Fiber.interrupt(fiber)
      expect(seen.returned).toBe(true)
      release?.()
    }))
})

describe("fromSdkStream splitBefore", () => {
  it.effect("starts a new chunk at a marked event, even within one read", () =>
    Effect.gen(function*() {
      const { iterable } = source([1, 2, 3])
      const stream = fromSdkStream(iterable, twice, String, { splitBefore: (e) => e === "end" })
      const chunks = yield* Stream.runCollect(Stream.mapChunks(stream, (c) => Chunk.of(Chunk.toArray(c))))
      const all = Chunk.toArray(chunks)
      expect(all.flat()).toEqual([1, 1, 2, 2, 3, 3, "end"])
      expect(all[all.length - 1]).toEqual(["end"])
    }))

  it.effect("a consumer that stops before the marked event never has it pulled", () =>
    Effect.gen(function*() {
      const { iterable } = source([1, 2, 3])
      const seen: Array<unknown> = []
      const stream = fromSdkStream(iterable, twice, String, { splitBefore: (e) => e === "end" }).pipe(
        Stream.mapChunks((c) => {
          seen.push(...c)
          return c
        }),
        Stream.take(1)
      )
      yield* Effect.promise(tick)
      expect(Chunk.toArray(yield* Stream.runCollect(stream))).toEqual([1])
      expect(seen).not.toContain("end")
    }))
})
