import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { BatchErrorItem } from "../src/AiError.js"
import {
  Batch,
  BatchRequest,
  BatchResult,
  BatchResultFailure,
  BatchResultSuccess,
  ResultError,
  statusFromAnthropic,
  statusFromOpenAi,
  unanswered
} from "../src/Batch.js"
import * as BatchModel from "../src/BatchModel.js"
import { ModelRequest, ModelResponse, TextPart } from "../src/Message.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import { reqs } from "./batch-helpers.js"

const batch = new Batch({
  id: "batch_1",
  provider: "openai",
  status: "completed",
  requestCount: 2,
  completedCount: 1,
  failedCount: 1,
  createdAt: new Date("2025-01-01T00:00:00Z"),
  completedAt: new Date("2025-01-01T01:00:00Z"),
  customIds: ["a", "b"],
  errors: [new BatchErrorItem({ code: "invalid", message: "bad line", line: 2 })],
  details: { inputFileId: "file_1", metadata: { run: "x" }, counts: [1, 2] }
})

const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A): A =>
  Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value))))

describe("Batch data", () => {
  it("a Batch encodes to JSON and back", () => {
    const again = roundTrip(Batch, batch)
    expect(again).toBeInstanceOf(Batch)
    expect(again).toEqual(batch)
    expect(again.createdAt.getTime()).toBe(batch.createdAt.getTime())
    expect(again.isComplete).toBe(true)
    expect(again.isSuccessful).toBe(true)
  })

  it("optional fields default when decoding a minimal Batch", () => {
    const minimal = Schema.decodeUnknownSync(Batch)({
      id: "b", provider: "anthropic", status: "in_progress", requestCount: 1, completedCount: 0, failedCount: 0, createdAt: "2025-01-01T00:00:00.000Z"
    })
    expect(minimal.customIds).toEqual([])
    expect(minimal.errors).toEqual([])
    expect(minimal.details).toEqual({})
    expect(minimal.isComplete).toBe(false)
  })

  it("isComplete and isSuccessful follow the status", () => {
    const at = (status: Batch["status"]) => new Batch({ ...batch, status })
    expect(["validating", "in_progress", "finalizing", "cancelling"].map((s) => at(s as Batch["status"]).isComplete)).toEqual([false, false, false, false])
    expect(["completed", "failed", "expired", "cancelled"].map((s) => at(s as Batch["status"]).isComplete)).toEqual([true, true, true, true])
    expect(["completed", "failed", "expired", "cancelled"].map((s) => at(s as Batch["status"]).isSuccessful)).toEqual([true, false, false, false])
  })

  it("BatchResult is a union on isSuccessful that round-trips", () => {
    const success = new BatchResultSuccess({
      customId: "a",
      response: new ModelResponse({ parts: [new TextPart({ content: "Paris" })], modelName: "m", providerName: "openai" })
    })
    const failure = new BatchResultFailure({ customId: "b", error: new ResultError({ code: "rate_limit", message: "slow" }) })
    expect(success.isSuccessful).toBe(true)
    expect(failure.isSuccessful).toBe(false)
    const [s, f] = [roundTrip(BatchResult, success), roundTrip(BatchResult, failure)]
    expect(s).toBeInstanceOf(BatchResultSuccess)
    expect(f).toBeInstanceOf(BatchResultFailure)
    if (s.isSuccessful) expect(s.response.text).toBe("Paris")
    if (!f.isSuccessful) expect(f.error.code).toBe("rate_limit")
  })

  it("a BatchRequest with parameters round-trips, and plain objects normalise", () => {
    const request = BatchRequest.from({
      customId: "calc-1",
      messages: [ModelRequest.userTextPrompt("What is 15 * 23?")],
      parameters: { allowTextOutput: false },
      settings: { maxTokens: 10 },
      model: "claude-haiku-4-5"
    })
    expect(request.parameters?.allowTextOutput).toBe(false)
    expect(roundTrip(BatchRequest, request)).toEqual(request)
  })

  it("maps Anthropic's processing status as documented", () => {
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 }
    expect(statusFromAnthropic({ processingStatus: "in_progress", cancelInitiated: false, requestCounts: { ...counts, processing: 2 } })).toBe("in_progress")
    expect(statusFromAnthropic({ processingStatus: "canceling", cancelInitiated: true, requestCounts: counts })).toBe("cancelling")
    expect(statusFromAnthropic({ processingStatus: "ended", cancelInitiated: true, requestCounts: { ...counts, succeeded: 1, canceled: 1 } })).toBe("cancelled")
    expect(statusFromAnthropic({ processingStatus: "ended", cancelInitiated: false, requestCounts: { ...counts, expired: 3 } })).toBe("expired")
    expect(statusFromAnthropic({ processingStatus: "ended", cancelInitiated: false, requestCounts: { ...counts, succeeded: 1, expired: 2 } })).toBe("completed")
    expect(statusFromOpenAi("finalizing")).toBe("finalizing")
    expect(statusFromOpenAi("something_new")).toBe("in_progress")
  })

  it("codes requests without a provider line by the batch's status", () => {
    const code = (status: Batch["status"]) => unanswered("x", new Batch({ ...batch, status })).error.code
    expect([code("expired"), code("cancelled"), code("completed"), code("failed")]).toEqual(["expired", "cancelled", "missing", "missing"])
  })
})

describe("BatchModel.make", () => {
  it.effect("fills custom ids on create and carries them over status and cancel", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatedBatch.make()
      const created = yield* sim.service.create(reqs("a", "b").map(BatchRequest.from), {})
      expect(created.customIds).toEqual(["a", "b"])
      const byId = yield* sim.service.status(created.id)
      expect(byId.customIds).toEqual([]) // a provider does not list them
      expect((yield* sim.service.status(created)).customIds).toEqual(["a", "b"])
      expect((yield* sim.service.cancel(created)).customIds).toEqual(["a", "b"])
      expect(yield* BatchModel.status(created).pipe(Effect.map((b) => b.id), Effect.provide(sim.layer))).toBe(created.id)
    }))
})
