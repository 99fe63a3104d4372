/**
 * The JSONL body reader of batch results (src/internal/batchLines.ts): lines cut at any byte,
 * a multi-byte character split between reads, CRLF, blank lines counted but skipped, a last line
 * without a newline; a bad line fails after the results before it; a failing read names the line
 * being read; the body is read only as far as the consumer pulls.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import { fromJsonlBody } from "../src/internal/batchLines.js"

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

  it.effect("reads the body only as far as the consumer pulls", () =>
    Effect.gen(function*() {
      const pulled = { count: 0 }
      const reads = Array.from({ length: 100 }, (_, i) => bytes(`{"v":"${i}"}\n`))
      const first = yield* Stream.runCollect(fromJsonlBody(bodyOf(reads, pulled), numbered, String).pipe(Stream.take(3)))
      expect(Chunk.toArray(first)).toEqual(["1:0", "2:1", "3:2"])
      expect(pulled.count).toBeLessThanOrEqual(4)
    }))
})
