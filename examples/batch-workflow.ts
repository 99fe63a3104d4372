/**
 * A batch run that outlives its process: `BatchWorkflow` on the SQLite engine. The run's steps
 * (create, status checks, durable sleeps) are journaled in a SQLite file, so a program that is
 * stopped mid-run and started again on the same file (or with the same `runId`) picks the run up
 * where it was, without creating the batch again. The results are not journaled: they stream
 * from the provider with `BatchWorkflow.results`.
 */
import { Effect, Layer, Schedule, Stream } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Batch, Message, OpenAi } from "../src/index.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import * as WorkflowSqlite from "../src/workflow/sqlite.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

const requests = ["What is 2 + 2?", "What is the square root of 144?", "What is photosynthesis?"].map((q, i) => ({
  customId: `q${i + 1}`,
  messages: [Message.ModelRequest.userTextPrompt(q)]
}))

const input: BatchWorkflow.RunInput = {
  runId: "nightly-eval-2026-12-03",
  requests,
  pollInterval: usingRealProviders() ? "5 minutes" : "50 millis"
}

/** The provider batches of a run: the workflow labels each with its execution id. */
const runBatches = (executionId: string) =>
  Stream.runCollect(Batch.list({ limit: 20 }).pipe(
    Stream.filter((b) => String((b.details.metadata as Record<string, unknown> | undefined)?.[BatchWorkflow.runLabelKey]).startsWith(executionId))
  )).pipe(Effect.map((chunk) => [...chunk]))

/** The engine, the workflow and the provider: what every runner process provides. */
const live = (filename: string) =>
  BatchWorkflow.layer.pipe(
    // against the emulator the runner checks its journal often, so the example is quick
    Layer.provideMerge(WorkflowSqlite.layer({ filename, shardingConfig: usingRealProviders() ? {} : { entityMessagePollInterval: "50 millis" } })),
    Layer.provideMerge(OpenAi.model("gpt-4o-mini"))
  )

/** The emulator keeps the batch running for three status checks, so the workflow sleeps between polls. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 3 }

export const main = async (): Promise<void> => {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "batch-workflow-"))
  const filename = path.join(directory, "runs.db")
  try {
    // first "process": starts the run and stops once the batch exists (a deploy, a crash)
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const executionId = yield* BatchWorkflow.start(input) // returns at once; the runner works on
      yield* runBatches(executionId).pipe(Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (batches) => batches.length > 0 }))
      // the scope closes here: the runner stops with the run unfinished in the journal
      yield* Effect.log(`stopping with run ${executionId} in flight`)
    }).pipe(Effect.provide(live(filename)))))

    // second "process", same file: the same runId joins the run and waits for it to finish
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const result = yield* BatchWorkflow.run(input)
      yield* Effect.log(`batches ${result.batches.map((b) => b.id).join(", ")}: ${result.completedCount}/${result.requestCount} completed`)
      const results = yield* Stream.runCollect(BatchWorkflow.results(result))
      for (const r of results) yield* Effect.log(`${r.customId}: ${r.isSuccessful ? r.response.text : r.error.message}`)
      check(result.batches.length === 1, "one provider batch for the run")
      check(results.length === 3 && [...results].every((r) => r.isSuccessful), `every result (got ${[...results].map((r) => r.customId + ":" + r.isSuccessful).join(", ")})`)
      const created = yield* runBatches(yield* BatchWorkflow.executionId(input.runId))
      check(created.length === 1 && created[0]!.id === result.batches[0]!.id, "the second process created nothing")
    }).pipe(Effect.provide(live(filename)))))
  } finally {
    await fs.rm(directory, { recursive: true, force: true })
  }
}

runExample(import.meta.url, main, emulatorSettings)
