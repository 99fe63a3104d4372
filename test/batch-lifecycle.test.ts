/**
 * The decisions of the batch lifecycle as plain values: the plan (parts), admission under the
 * queue limits, what a refused part does next, what a status means, and the order of results.
 * No Effect runtime, no provider: what both drivers (`Batch.run`, `BatchWorkflow`) follow.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import fc from "fast-check"
import { BatchErrorItem } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import { admitCount, endingOf, inSubmissionOrder, nextBackoff, requeueStep } from "../src/internal/batch/lifecycle.js"
import { parts, partTokens } from "../src/internal/batch/plan.js"
import { ModelResponse, TextPart } from "../src/Message.js"

const batch = (status: Batch.BatchStatus, errors: ReadonlyArray<BatchErrorItem> = []) =>
  new Batch.Batch({ id: "b1", provider: "test", status, requestCount: 1, completedCount: 0, failedCount: 0, createdAt: new Date(0), errors })
const ok = (id: string) => new Batch.BatchResultSuccess({ customId: id, response: new ModelResponse({ parts: [new TextPart({ content: id })], modelName: "m", providerName: "test" }) })
const bad = (id: string, code: string) => new Batch.BatchResultFailure({ customId: id, error: new Batch.ResultError({ code, message: code }) })
const missing = (id: string) => bad(id, "missing")
const short = (results: ReadonlyArray<Batch.BatchResult>) => results.map((r) => `${r.customId}:${r.isSuccessful ? "ok" : r.error.code}`)

const plan = (maxRequests: number, maxBytes: number, maxEnqueuedTokens: number, size: (id: string) => number, tokens: (id: string) => number) => ({
  provider: "test",
  limits: { maxRequests, maxBytes },
  sizeOf: (r: { readonly customId: string }) => size(r.customId),
  tokensOf: (r: { readonly customId: string }) => tokens(r.customId),
  maxEnqueuedTokens
})

describe("the plan", () => {
  it("splits by requests, bytes and tokens, in order; a request too large alone is an InvalidInputError", () => {
    const rs = ["a", "b", "c", "d", "e"].map((customId) => ({ customId }))
    const ids = (e: Either.Either<ReadonlyArray<ReadonlyArray<{ customId: string }>>, unknown>) =>
      Either.map(e, (ps) => ps.map((p) => p.map((r) => r.customId).join("")))
    expect(ids(parts(plan(2, Infinity, Infinity, () => 1, () => 1), rs))).toEqual(Either.right(["ab", "cd", "e"]))
    expect(ids(parts(plan(10, 30, Infinity, () => 10, () => 1), rs))).toEqual(Either.right(["abc", "de"]))
    expect(ids(parts(plan(10, Infinity, 20, () => 1, (id) => (id === "c" ? 20 : 5)), rs))).toEqual(Either.right(["ab", "c", "de"]))
    const tooBig = parts(plan(10, 5, Infinity, (id) => (id === "d" ? 6 : 1), () => 1), rs)
    expect(Either.isLeft(tooBig) && tooBig.left._tag).toBe("InvalidInputError")
  })

  it("a part's tokens count only under a token budget", () => {
    expect(partTokens([1, 2, 3], (n) => n, Infinity)).toBe(0)
    expect(partTokens([1, 2, 3], (n) => n, 100)).toBe(6)
  })

  it("parts are consecutive slices of the list within the limits (property)", () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 9, max: 30 }),
      (sizes, maxRequests, maxBytes) => {
        const rs = sizes.map((size, i) => ({ customId: `r${i}`, size }))
        const out = parts({ provider: "test", limits: { maxRequests, maxBytes }, sizeOf: (r) => r.size, tokensOf: (r) => r.size, maxEnqueuedTokens: maxBytes }, rs)
        expect(Either.isRight(out)).toBe(true)
        const ps = Either.getOrThrow(out)
        expect(ps.flat()).toEqual(rs)
        for (const p of ps) {
          expect(p.length).toBeGreaterThan(0)
          expect(p.length).toBeLessThanOrEqual(maxRequests)
          expect(p.reduce((n, r) => n + r.size, 0)).toBeLessThanOrEqual(maxBytes)
        }
      }
    ))
  })
})

describe("admission under the queue limits", () => {
  const limits = { maxConcurrentBatches: 3, maxEnqueuedTokens: 100 }
  it("admits waiting parts first come first served; one that does not fit holds back the rest", () => {
    expect(admitCount({ running: 0, enqueuedTokens: 0 }, [40, 40, 30], (t) => t, limits)).toBe(2)
    expect(admitCount({ running: 0, enqueuedTokens: 0 }, [60, 50, 10], (t) => t, limits)).toBe(1) // 10 would fit, but 50 asked first
    expect(admitCount({ running: 2, enqueuedTokens: 0 }, [1, 1, 1], (t) => t, limits)).toBe(1)
    expect(admitCount({ running: 3, enqueuedTokens: 0 }, [1], (t) => t, limits)).toBe(0)
    expect(admitCount({ running: 0, enqueuedTokens: 0 }, [], (t: number) => t, limits)).toBe(0)
  })

  it("a refused part goes again after another part finished or its backoff, waits while others are live, else backs off", () => {
    const refusal = { finishesAtRefusal: 2, backoffOver: false }
    expect(requeueStep(refusal, 3, 0)).toBe("submit") // a part finished since: room was made
    expect(requeueStep(refusal, 2, 1)).toBe("wait") // others live: wait for one of them
    expect(requeueStep(refusal, 2, 0)).toBe("backoff") // none live: the queue is full of other work
    expect(requeueStep({ ...refusal, backoffOver: true }, 2, 0)).toBe("submit")
    const waits = [Duration.minutes(1), Duration.minutes(2)]
    expect(nextBackoff(waits, 1)).toEqual(Duration.minutes(2))
    expect(nextBackoff(waits, 2)).toBeUndefined() // the waits ran out: the run fails
  })
})

describe("what a status means", () => {
  it("running, results, a full queue (submit again) or a failed run", () => {
    expect(["validating", "in_progress", "finalizing", "cancelling"].map((s) => endingOf(batch(s as Batch.BatchStatus)))).toEqual(["running", "running", "running", "running"])
    expect(["completed", "expired", "cancelled"].map((s) => endingOf(batch(s as Batch.BatchStatus)))).toEqual(["results", "results", "results"])
    expect(endingOf(batch("failed", [new BatchErrorItem({ code: "token_limit_exceeded", message: "full" })]))).toBe("queueFull")
    expect(endingOf(batch("failed", [new BatchErrorItem({ code: "invalid_request", message: "bad" })]))).toBe("failed")
    expect(endingOf(batch("failed"))).toBe("failed")
  })
})

describe("the order of results", () => {
  it("submission order, the first result of an id wins, ids without one get the caller's code", () => {
    const results = inSubmissionOrder(["a", "b", "c", "d"], [[ok("c"), bad("a", "x"), ok("a")], [bad("c", "dup"), ok("b")]], missing)
    expect(short(results)).toEqual(["a:x", "b:ok", "c:ok", "d:missing"])
  })

  it("every id comes back once, in order, for any provider order, duplicates and omissions (property)", () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      (ids, picks) => {
        const lines = picks.map((p) => ok(ids[p % ids.length]!))
        const results = inSubmissionOrder(ids, [lines], missing)
        expect(results.map((r) => r.customId)).toEqual(ids)
        const answered = new Set(lines.map((l) => l.customId))
        for (const r of results) expect(r.isSuccessful).toBe(answered.has(r.customId))
      }
    ))
  })
})
