/**
 * A runner process for the durable batch workflow tests (run with `node --import tsx`): the
 * workflow on the SQLite or Postgres engine, over the OpenAI model pointed at the parent's
 * emulator. It starts (or joins) one run and prints `RESULT <json>` with the batch ids and every
 * result read back; or, in "serve" mode, only waits for the run to finish elsewhere or here.
 *
 * Environment:
 * - WF_ENGINE "sqlite" | "postgres", WF_DB the file or the connection URL
 * - WF_MODE "run" (default) | "serve", WF_RUN_ID, WF_REQUESTS (count), WF_POLL_MS
 * - WF_KILL_AT: the step at which the process SIGKILLs itself, deterministically:
 *   "create" (before the create request), "after-create" (the provider answered, nothing
 *   journaled yet), "status" (the second status check answered, not journaled), "sleep" (half
 *   way through the first durable sleep), "stop-in-create" (not a kill: the program is interrupted
 *   while the create request is in flight, so the runner shuts down gracefully)
 */
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Chunk, Duration, Effect, Layer, Redacted, Stream } from "effect"
import { BatchModel } from "../../src/BatchModel.js"
import { ModelRequest } from "../../src/Message.js"
import * as OpenAi from "../../src/providers/openai/index.js"
import { BatchWorkflow } from "../../src/workflow/index.js"
import * as WorkflowPostgres from "../../src/workflow/postgres.js"
import * as WorkflowSqlite from "../../src/workflow/sqlite.js"

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const killAt = process.env.WF_KILL_AT ?? ""
const stop = new AbortController()
const pollMs = Number(env("WF_POLL_MS", "1000"))
const die = (step: string) => {
  process.stdout.write(`KILLED ${step}\n`)
  process.kill(process.pid, "SIGKILL")
}

/** The OpenAI BatchModel with the kill points around its calls. */
const killing = Layer.effect(
  BatchModel,
  Effect.map(BatchModel, (model) => {
    let statusCalls = 0
    return {
      ...model,
      create: (requests, options) =>
        Effect.suspend(() => {
          if (killAt === "create") die("create")
          if (killAt === "stop-in-create") {
            // a graceful stop (a deploy): the runner shuts down while the create is in flight
            process.stdout.write("KILLED stop-in-create\n")
            stop.abort()
          }
          return model.create(requests, options)
        }).pipe(Effect.tap(() => {
          if (killAt === "after-create") die("after-create")
        })),
      status: (batch) =>
        model.status(batch).pipe(Effect.tap((b) => {
          statusCalls += 1
          if (killAt === "status" && statusCalls === 2) die("status")
          if (killAt === "sleep" && statusCalls === 1 && !b.isComplete) setTimeout(() => die("sleep"), pollMs / 2)
        }))
    } satisfies BatchModel["Type"]
  })
).pipe(Layer.provide(OpenAi.model("gpt-4o-mini")))

const shardingConfig = {
  entityMessagePollInterval: Duration.millis(100),
  entityReplyPollInterval: Duration.millis(100),
  shardLockRefreshInterval: Duration.millis(500),
  shardLockExpiration: Duration.seconds(2),
  refreshAssignmentsInterval: Duration.millis(500)
}

const engine: Layer.Layer<WorkflowEngine.WorkflowEngine, unknown> =
  env("WF_ENGINE") === "postgres"
    ? WorkflowPostgres.layer({
        url: Redacted.make(env("WF_DB")),
        runner: { host: "127.0.0.1", port: Number(env("WF_RUNNER_PORT", String(30_000 + (process.pid % 20_000)))) },
        shardingConfig
      })
    : WorkflowSqlite.layer({ filename: env("WF_DB"), shardingConfig })

const requests = Array.from({ length: Number(env("WF_REQUESTS", "3")) }, (_, i) => ({
  customId: `q${i + 1}`,
  messages: [ModelRequest.userTextPrompt(`What is ${i + 1} + ${i + 1}?`)]
}))
const input: BatchWorkflow.RunInput = { runId: env("WF_RUN_ID"), requests, pollInterval: Duration.millis(pollMs) }

const report = (result: BatchWorkflow.RunResult) =>
  Effect.gen(function* () {
    const results = Chunk.toReadonlyArray(yield* Stream.runCollect(BatchWorkflow.results(result)))
    const line = {
      batches: result.batches.map((b) => b.id),
      completedCount: result.completedCount,
      results: results.map((r) => `${r.customId}:${r.isSuccessful ? "ok" : r.error.code}`)
    }
    process.stdout.write(`RESULT ${JSON.stringify(line)}\n`)
  })

/** Waits for the run to finish, wherever it runs. */
const awaitDone = Effect.gen(function* () {
  const executionId = yield* BatchWorkflow.executionId(input.runId)
  for (;;) {
    const polled = yield* BatchWorkflow.poll(executionId)
    if (polled !== undefined && polled._tag === "Complete") return yield* polled.exit
    yield* Effect.sleep("100 millis")
  }
})

const program = Effect.gen(function* () {
  process.stdout.write("READY\n")
  const result = env("WF_MODE", "run") === "serve" ? yield* awaitDone : yield* BatchWorkflow.run(input)
  yield* report(result)
})

const layer = BatchWorkflow.layer.pipe(Layer.provideMerge(engine), Layer.provideMerge(killing))

Effect.runPromise(program.pipe(Effect.provide(layer), Effect.scoped), { signal: stop.signal }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`FAILED ${String(error)}\n`)
    process.exit(1)
  }
)

