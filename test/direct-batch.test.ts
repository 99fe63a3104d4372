import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  BatchTimeoutError,
  batchCancel,
  batchCreate,
  batchList,
  batchResults,
  batchStatus,
  InvalidInputError,
  modelRequestBatch,
  ModelRequest,
  RateLimitError
} from "../src/direct/index.js"
import { ResultError } from "../src/Batch.js"
import { ModelResponse, TextPart } from "../src/Message.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import * as Tool from "../src/Tool.js"
import { Schema } from "effect"

const ask = (q: string) => [ModelRequest.userTextPrompt(q)]
const tuples = [
  ["math-1", ask("What is 2 + 2?")],
  ["math-2", ask("What is the square root of 144?")],
  ["science-1", ask("What is photosynthesis?")]
] as const

const lastPrompt = (messages: ReadonlyArray<unknown>): string => {
  const first = (messages[0] as ModelRequest).parts[0]
  return first?._tag === "UserPromptPart" && typeof first.content === "string" ? first.content : ""
}

describe("facade batches", () => {
  it("modelRequestBatch resolves with one result per request, in submission order", async () => {
    const results = await modelRequestBatch(FunctionModel.layer((m) => `answer to ${lastPrompt(m)}`), tuples)
    expect(results.map((r) => r.customId)).toEqual(["math-1", "math-2", "science-1"])
    expect(results.map((r) => (r.isSuccessful ? r.response.text : r.error.code))).toEqual([
      "answer to What is 2 + 2?",
      "answer to What is the square root of 144?",
      "answer to What is photosynthesis?"
    ])
  })

  it("per-request parameters win over the shared ones; settings reach every request", async () => {
    const seen: Array<[string, ReadonlyArray<string>, number | undefined]> = []
    const layer = FunctionModel.layer((m, info) => {
      seen.push([lastPrompt(m), info.parameters.functionTools.map((t) => t.name), info.settings.temperature])
      return "ok"
    })
    const calc = Tool.make("calculate", { parameters: Schema.Struct({ expression: Schema.String }) })
    const other = Tool.make("other", { parameters: Schema.Struct({}) })
    await modelRequestBatch(layer, [["a", ask("a")], ["b", ask("b"), { functionTools: [other] }]], {
      modelRequestParameters: { functionTools: [calc] },
      modelSettings: { temperature: 0.5 }
    })
    expect(seen.sort()).toEqual([["a", ["calculate"], 0.5], ["b", ["other"], 0.5]])
  })

  it("a failed request is an error result, the rest succeed", async () => {
    const layer = FunctionModel.layer((m) => lastPrompt(m).includes("photosynthesis") ? Effect.fail(new RateLimitError({ provider: "function" })) : "fine")
    const results = await modelRequestBatch(layer, tuples)
    expect(results.map((r) => r.isSuccessful)).toEqual([true, true, false])
    const failed = results[2]!
    expect(failed.isSuccessful ? "" : failed.error.code).toBe("RateLimitError")
  })

  it("rejects bad input with InvalidInputError before any call", async () => {
    await expect(modelRequestBatch("test", [])).rejects.toBeInstanceOf(InvalidInputError)
    await expect(modelRequestBatch("test", [["x", ask("a")], ["x", ask("b")]])).rejects.toThrow(/duplicate/i)
  })

  it("the low-level functions: create, status, results, cancel, list", async () => {
    const layer = FunctionModel.layer(() => "done", { batch: { statusCalls: 2 } })
    const batch = await batchCreate(layer, tuples)
    expect(batch.requestCount).toBe(3)
    expect(batch.isComplete).toBe(false)
    let current = batch
    let polls = 0
    while (!current.isComplete && polls < 10) {
      current = await batchStatus(layer, current)
      polls++
    }
    expect(current.status).toBe("completed")
    expect(current.isSuccessful).toBe(true)
    expect(current.completedCount).toBe(3)
    const results = await batchResults(layer, batch)
    expect(results.map((r) => r.customId)).toEqual(["math-1", "math-2", "science-1"])
    const listed = await batchList(layer, { limit: 20 })
    expect(listed.map((b) => b.id)).toContain(batch.id)
    const second = await batchCreate(layer, tuples)
    const cancelled = await batchCancel(layer, second.id)
    expect(["cancelling", "cancelled"]).toContain(cancelled.status)
  })

  it("timeout cancels the batch and rejects with BatchTimeoutError carrying its id", async () => {
    const layer = FunctionModel.layer(() => "slow", { batch: { statusCalls: 1_000_000 } })
    const error = await modelRequestBatch(layer, tuples, { pollInterval: 0.01, timeout: 0.1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BatchTimeoutError)
    const id = (error as BatchTimeoutError).batchId
    const after = await batchStatus(layer, id)
    expect(["cancelling", "cancelled"]).toContain(after.status)
  })

  it("an aborted signal cancels the batch and rejects with the reason", async () => {
    const layer = FunctionModel.layer(() => "slow", { batch: { statusCalls: 1_000_000 } })
    const controller = new AbortController()
    const reason = new Error("stop")
    const pending = modelRequestBatch(layer, tuples, { pollInterval: 0.01, signal: controller.signal })
    setTimeout(() => controller.abort(reason), 50)
    await expect(pending).rejects.toBe(reason)
    const [batch] = await batchList(layer)
    expect(["cancelling", "cancelled"]).toContain(batch?.status)
  })

  it("resumeKey: a second call after an abort resumes the same batch instead of paying twice", async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), "resume-"))
    try {
      const layer = FunctionModel.layer((m) => `r ${lastPrompt(m)}`, { batch: { statusCalls: 40 } })
      const controller = new AbortController()
      const first = modelRequestBatch(layer, tuples, { pollInterval: 0.005, resumeKey: "nightly", resumeDirectory: directory, signal: controller.signal })
      setTimeout(() => controller.abort(new Error("crash")), 40)
      await expect(first).rejects.toThrow("crash")
      expect(await fs.readdir(directory)).toEqual(["nightly.json"])
      const results = await modelRequestBatch(layer, tuples, { pollInterval: 0.005, resumeKey: "nightly", resumeDirectory: directory })
      expect(results.map((r) => r.isSuccessful)).toEqual([true, true, true])
      expect((await batchList(layer)).length).toBe(1)
      expect(await fs.readdir(directory)).toEqual([])
    } finally {
      await fs.rm(directory, { recursive: true, force: true })
    }
  })

  it("works with the \"test\" model string", async () => {
    const results = await modelRequestBatch("test", [["q1", ask("Hello")]])
    expect(results[0]?.isSuccessful && results[0].response.text).toBe("success (no tool calls)")
  })
})

describe("facade batches: queue limits and resubmission", () => {
  it("modelRequestBatch passes resubmit, maxEnqueuedTokens, maxConcurrentBatches and estimateTokens to Batch.run", async () => {
    const asked = new Map<string, number>()
    const layer = SimulatedBatch.layer({
      lifecycle: { statusCalls: 0 },
      answer: (request) => {
        const n = (asked.get(request.customId) ?? 0) + 1
        asked.set(request.customId, n)
        return request.customId === "math-2" && n === 1
          ? new ResultError({ code: "server_error", message: "try again" })
          : new ModelResponse({ parts: [new TextPart({ content: `answer ${request.customId}` })], modelName: "test-model", providerName: "test" })
      }
    })
    const estimated: Array<string> = []
    const results = await modelRequestBatch(layer, tuples, {
      resubmit: { times: 1 },
      maxEnqueuedTokens: 20,
      maxConcurrentBatches: 1,
      estimateTokens: (request) => {
        estimated.push(request.customId)
        return 10
      }
    })
    expect(results.map((r) => [r.customId, r.isSuccessful, r.attempts])).toEqual([["math-1", true, 1], ["math-2", true, 2], ["science-1", true, 1]])
    expect(estimated).toContain("science-1")
    await expect(modelRequestBatch(layer, tuples, { maxEnqueuedTokens: 5, estimateTokens: () => 10 })).rejects.toBeInstanceOf(InvalidInputError)
  })
})
