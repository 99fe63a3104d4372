/** Shared pieces of the batch tests (not a test file). */
import { type Duration, Effect, Fiber, TestClock } from "effect"
import { BatchRequest, type BatchRequestInput, type BatchResult } from "../src/Batch.js"
import { ModelRequest } from "../src/Message.js"

/** A request with a one-line prompt. */
export const req = (customId: string): BatchRequestInput => ({ customId, messages: [ModelRequest.userTextPrompt(`question ${customId}`)] })

/** Requests for these ids. */
export const reqs = (...ids: ReadonlyArray<string>): ReadonlyArray<BatchRequestInput> => ids.map(req)

/** Runs an effect while the TestClock jumps ahead (never sleeps real time). */
export const withClock = <A, E, R>(self: Effect.Effect<A, E, R>, advance: Duration.DurationInput = "1 day"): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust(advance)
    return yield* Fiber.join(fiber)
  })

/** Results as short strings: "id:ok" or "id:<code>". */
export const outcomes = (results: ReadonlyArray<BatchResult>): ReadonlyArray<string> =>
  results.map((r) => `${r.customId}:${r.isSuccessful ? "ok" : r.error.code}`)

/**
 * `n` requests (ids `${prefix}0`...) whose `messages` count their reads: a codec reads them the
 * same number of times per encoding, so the count tells how often a list was encoded.
 */
export const countingReads = (n: number, prefix: string): { readonly list: ReadonlyArray<BatchRequest>; readonly reads: { count: number } } => {
  const reads = { count: 0 }
  const list = Array.from({ length: n }, (_, i) => {
    const request = BatchRequest.from({ customId: `${prefix}${i}`, messages: [ModelRequest.userTextPrompt(`question ${i}`)] })
    const { messages } = request
    Object.defineProperty(request, "messages", {
      get: () => {
        reads.count++
        return messages
      }
    })
    return request
  })
  return { list, reads }
}
