/**
 * Crash tests of the durable batch workflow on the SQLite engine: a runner process SIGKILLs
 * itself at a named step (before the create request, after the provider answered the create but
 * before the journal write, during a durable sleep, during a status call); a second process on
 * the same file finishes the same run. The emulator runs here, so it counts what both processes
 * sent: exactly one provider batch per run, and every result readable.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Exit, Layer, Schedule } from "effect"
import { Message, OpenAi } from "../src/index.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import * as WorkflowSqlite from "../src/workflow/sqlite.js"
import { resultOf, startRunner } from "./helpers/workflow-processes.js"

let emulator: Emulator
let directory: string
beforeAll(async () => {
  emulator = await startEmulator()
  // batches finish on their fourth status check: the run sleeps between checks
  emulator.openaiBatches.lifecycle = { statusCalls: 4 }
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "batch-workflow-crash-"))
})
afterAll(async () => {
  await emulator.close()
  fs.rmSync(directory, { recursive: true, force: true })
})

const steps = ["create", "after-create", "sleep", "status", "stop-in-create"] as const

/** The emulator's batches of one run, told apart by the label the workflow puts on them. */
const batchesOf = async (runId: string) => {
  const executionId = await Effect.runPromise(BatchWorkflow.executionId(runId))
  return emulator.openaiBatches.batches().filter((b) => b.metadata[BatchWorkflow.runLabelKey]?.startsWith(`${executionId}/`))
}

// the four runs go at once (each its own file and run id): child start-up dominates their time
describe.concurrent("BatchWorkflow on SQLite survives a SIGKILL", () => {
  for (const step of steps) {
    it(`killed at ${step}: the next process finishes the run with one provider batch and every result`, async () => {
      const vars = { WF_ENGINE: "sqlite", WF_DB: path.join(directory, `${step}.db`), WF_RUN_ID: `crash-${step}`, WF_REQUESTS: "3", WF_POLL_MS: "600" }

      const first = startRunner(emulator, { ...vars, WF_KILL_AT: step })
      await first.waitFor(new RegExp(`KILLED ${step}`), 60_000)
      const exit = await first.exited
      // a graceful stop exits on its own; the others are killed
      if (step === "stop-in-create") expect(exit.code).not.toBeNull()
      else expect(exit.signal).toBe("SIGKILL")
      expect((await batchesOf(vars.WF_RUN_ID)).length).toBe(step === "create" ? 0 : 1)

      const second = startRunner(emulator, vars)
      const line = await second.waitFor(/RESULT .*/, 90_000)
      expect((await second.exited).code).toBe(0)
      const result = resultOf(line)
      const created = await batchesOf(vars.WF_RUN_ID)
      expect(created.map((b) => b.id)).toEqual(result.batches)
      expect(created).toHaveLength(1)
      expect(created[0]!.status).toBe("completed")
      expect(result.completedCount).toBe(3)
      expect([...result.results].sort()).toEqual(["q1:ok", "q2:ok", "q3:ok"]) // provider order
    }, 180_000)
  }
})

describe("BatchWorkflow on SQLite: the workflow's interrupt", () => {
  it("BatchWorkflow.interrupt on the cluster engine cancels the remote batch (compensation)", async () => {
    const runId = "sqlite-interrupt"
    const live = BatchWorkflow.layer.pipe(
      Layer.provideMerge(WorkflowSqlite.layer({ filename: path.join(directory, "interrupt.db"), shardingConfig: { entityMessagePollInterval: Duration.millis(100) } })),
      Layer.provideMerge(OpenAi.model("gpt-4o-mini", { client: { apiKey: "sk-emulator", baseURL: emulator.openaiBaseURL } }))
    )
    const program = Effect.gen(function* () {
      const executionId = yield* BatchWorkflow.start({
        runId,
        requests: [{ customId: "q1", messages: [Message.ModelRequest.userTextPrompt("What is 2 + 2?")] }],
        // long enough that the batch is still running (the lifecycle needs four checks)
        pollInterval: "1 hour"
      })
      yield* Effect.promise(() => batchesOf(runId)).pipe(
        Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (batches) => batches.length === 1 && batches[0]!.statusCalls >= 1 })
      )
      yield* BatchWorkflow.interrupt(executionId)
      for (;;) {
        const polled = yield* BatchWorkflow.poll(executionId)
        if (polled?._tag === "Complete") return polled
        yield* Effect.sleep("50 millis")
      }
    })
    const result = await Effect.runPromise(program.pipe(Effect.provide(live), Effect.scoped, Effect.timeout("60 seconds")))
    expect(result._tag === "Complete" && Exit.isInterrupted(result.exit)).toBe(true)
    const [batch] = await batchesOf(runId)
    expect(batch!.cancelCalls).toBe(1)
    expect(["cancelling", "cancelled"]).toContain(batch!.status)
  }, 90_000)
})
