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
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { BatchWorkflow } from "../src/workflow/index.js"
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

const steps = ["create", "after-create", "sleep", "status"] as const

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
      expect(exit.signal).toBe("SIGKILL")
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
