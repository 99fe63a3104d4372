/**
 * The JSONL body reader of batch results (src/internal/batch/lines.ts): lines cut at any byte,
 * a multi-byte character split between reads, CRLF, blank lines counted but skipped, a last line
 * without a newline; a bad line fails after the results before it; a failing read names the line
 * being read; the body is read only as far as the consumer pulls.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import { fromJsonlBody } from "../src/internal/batch/lines.js"

const bodyOf = (reads: ReadonlyArray<Uint8Array | Error>, pulled?: { count: number }): ReadableStream<Uint8Array> => {
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled !== undefined) pulled.count += 1
      const next = reads[i++]
      if (next === undefined) controller.close()
      else if (next instanceof Error) controller.error(next)
      else controller.enqueue(next)
    }
  }, { highWaterMark: 0 })
}

const bytes = (text: string) => new TextEncoder().encode(text)
/** `text` cut into reads at the given byte offsets. */
const cutAt = (text: string, offsets: ReadonlyArray<number>): Array<Uint8Array> => {
  const all = bytes(text)
  const bounds = [0, ...offsets, all.length]
  return bounds.slice(1).map((end, i) => all.slice(bounds[i], end))
}

const numbered = (text: string, line: number) => Either.right(`${line}:${JSON.parse(text).v}`)

describe("fromJsonlBody", () => {
  it.effect("cuts lines at any byte, joins a split UTF-8 character, counts blank lines, takes a last line without newline", () =>
    Effect.gen(function*() {
      const text = `{"v":"a"}\r\n{"v":"é€"}\n\n   \n{"v":"c"}\n{"v":"d"}`
      const all = bytes(text).length
      for (let cut = 1; cut < all; cut++) {
        for (const second of [cut + 1, cut + 7]) {
          const offsets = second < all ? [cut, second] : [cut]
          const results = yield* Stream.runCollect(fromJsonlBody(bodyOf(cutAt(text, offsets)), numbered, String))
          expect(Chunk.toArray(results)).toEqual(["1:a", "2:é€", "5:c", "6:d"])
        }
      }
      expect(Chunk.toArray(yield* Stream.runCollect(fromJsonlBody(bodyOf([]), numbered, String)))).toEqual([])
      expect(Chunk.toArray(yield* Stream.runCollect(fromJsonlBody(bodyOf([bytes(`{"v":"x"}\n`)]), numbered, String)))).toEqual(["1:x"])
    }))

  it.effect("a bad line fails the stream after every result before it, in the same read included", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const decode = (text: string, line: number) => (text.includes("bad") ? Either.left(`bad line ${line}`) : numbered(text, line))
      const error = yield* fromJsonlBody(bodyOf([bytes(`{"v":"a"}\n{"v":"b"}\nbad\n{"v":"c"}\n`)]), decode, String).pipe(
        Stream.runForEach((r) => Effect.sync(() => seen.push(r))),
        Effect.flip
      )
      expect(seen).toEqual(["1:a", "2:b"])
      expect(error).toBe("bad line 3")
    }))

  it.effect("a failing read fails the stream with the number of the line being read, after the results before it", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const error = yield* fromJsonlBody(bodyOf([bytes(`{"v":"a"}\n{"v":"b"}\n{"v":`), new Error("terminated")]), numbered, (e, line) => `${String(e)} at line ${line}`).pipe(
        Stream.runForEach((r) => Effect.sync(() => seen.push(r))),
        Effect.flip
      )
      expect(seen).toEqual(["1:a", "2:b"])
      expect(error).toBe("Error: terminated at line 3")
    }))

  it.effect("with readAhead, a pull reads on until that many bytes, no further, with the same results", () =>
    Effect.gen(function*() {
      const pulled = { count: 0 }
      const reads = Array.from({ length: 100 }, (_, i) => bytes(`{"v":"${i % 10}"}\n`)) // 10 bytes each
      const first = yield* Stream.runCollect(fromJsonlBody(bodyOf(reads, pulled), numbered, String, { readAhead: 35 }).pipe(Stream.take(3)))
      expect(Chunk.toArray(first)).toEqual(["1:0", "2:1", "3:2"])
      // one pull: four reads make the 35 bytes
      expect(pulled.count).toBe(4)
      const text = `{"v":"a"}\r\n{"v":"é€"}\n\n   \n{"v":"c"}\n{"v":"d"}`
      for (let cut = 1; cut < bytes(text).length; cut++) {
        for (const readAhead of [1, 4, 16, 1024]) {
          const results = yield* Stream.runCollect(fromJsonlBody(bodyOf(cutAt(text, [cut])), numbered, String, { readAhead }))
          expect(Chunk.toArray(results)).toEqual(["1:a", "2:é€", "5:c", "6:d"])
        }
      }
    }))

  it.live("with readAhead, a pull never waits for the network once it has results; the read left waiting serves the next pull", () =>
    Effect.gen(function*() {
      let controller!: ReadableStreamDefaultController<Uint8Array>
      const body = new ReadableStream<Uint8Array>({ start(c) { controller = c } }, { highWaterMark: 0 })
      controller.enqueue(bytes(`{"v":"a"}\n{"v":"b"}\n`))
      const pulls: Array<ReadonlyArray<string>> = []
      const fiber = yield* fromJsonlBody(body, numbered, String, { readAhead: 1024 }).pipe(
        Stream.mapChunks((chunk) => {
          pulls.push(Chunk.toArray(chunk))
          return chunk
        }),
        Stream.runCollect,
        Effect.fork
      )
      // nothing more has arrived: the first pull hands its two results over without waiting
      yield* Effect.sleep("20 millis")
      expect(pulls).toEqual([["1:a", "2:b"]])
      controller.enqueue(bytes(`{"v":"c"}\n`))
      controller.close()
      expect(Chunk.toArray(yield* Fiber.join(fiber))).toEqual(["1:a", "2:b", "3:c"])
    }))

  it.effect("with readAhead, a failing read still fails after the results read before it in the same pull", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const body = bodyOf([bytes(`{"v":"a"}\n{"v":"b"}\n{"v":`), new Error("terminated")])
      const error = yield* fromJsonlBody(body, numbered, (e, line) => `${String(e)} at line ${line}`, { readAhead: 1024 }).pipe(
        Stream.runForEach((r) => Effect.sync(() => seen.push(r))),
        Effect.flip
      )
      expect(seen).toEqual(["1:a", "2:b"])
      expect(error).toBe("Error: terminated at line 3")
    }))

  it.effect("onEnd is called once the body was read to its end, not when the consumer stops early", () =>
    Effect.gen(function*() {
      let ended = 0
      const reads = () => Array.from({ length: 10 }, (_, i) => bytes(`{"v":"${i}"}\n`))
      yield* Stream.runCollect(fromJsonlBody(bodyOf(reads()), numbered, String, { onEnd: () => { ended += 1 } }).pipe(Stream.take(2)))
      expect(ended).toBe(0)
      yield* Stream.runDrain(fromJsonlBody(bodyOf(reads()), numbered, String, { onEnd: () => { ended += 1 } }))
      expect(ended).toBe(1)
    }))

  it.effect("reads the body only as far as the consumer pulls", () =>
    Effect.gen(function*() {
      const pulled = { count: 0 }
      const reads = Array.from({ length: 100 }, (_, i) => bytes(`{"v":"${i}"}\n`))
      const first = yield* Stream.runCollect(fromJsonlBody(bodyOf(reads, pulled), numbered, String).pipe(Stream.take(3)))
      expect(Chunk.toArray(first)).toEqual(["1:0", "2:1", "3:2"])
      expect(pulled.count).toBeLessThanOrEqual(4)
    }))
})
