/**
 * Two runner processes on one Postgres database (effect-llm-direct/workflow/postgres): the
 * first starts a batch run and is SIGKILLed mid-run (after the create, while the emulator holds
 * its first status check);
 * the second, a runner that only waits for the run, takes over the dead runner's shards once
 * their locks expire and finishes it. One provider batch, every result read back.
 *
 * Needs WORKFLOW_POSTGRES_URL (`.ci/run` starts a throwaway server with
 * scripts/postgres-for-tests.sh); without it, or when it cannot connect, the test skips and says
 * why. Each run gets a database of its own, dropped at the end.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { BatchWorkflow } from "../src/workflow/index.js"
import { resultOf, startRunner } from "./helpers/workflow-processes.js"

const url = process.env.WORKFLOW_POSTGRES_URL

/** Runs SQL on the server's default database; fails when it cannot connect. */
const admin = (statement: string) =>
  Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url!), connectTimeout: "3 seconds" })), Effect.scoped, Effect.timeout("10 seconds"))

const database = `batch_workflow_${process.pid}_${Date.now()}`
const skipped: string | undefined =
  url === undefined
    ? "WORKFLOW_POSTGRES_URL is not set (.ci/run sets it; or start one with scripts/postgres-for-tests.sh)"
    : await Effect.runPromise(admin(`CREATE DATABASE ${database}`).pipe(
        Effect.as(undefined),
        Effect.catchAllCause((cause) => Effect.succeed(`cannot use Postgres at WORKFLOW_POSTGRES_URL: ${String(cause).slice(0, 200)}`))
      ))
if (skipped !== undefined) console.warn(`batch-workflow-postgres: skipped, ${skipped}`)

const runUrl = () => {
  const u = new URL(url!)
  u.pathname = `/${database}`
  return u.toString()
}

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator.close()
  if (skipped === undefined) await Effect.runPromise(admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).pipe(Effect.ignore))
})

describe.skipIf(skipped !== undefined)("BatchWorkflow on Postgres with two runners", () => {
  it("a runner killed mid-run: the other runner finishes the run, with one provider batch and every result", async () => {
    // batches finish on their fourth status check: the second runner has checks of its own to make
    emulator.openaiBatches.lifecycle = { statusCalls: 4 }
    const vars = { WF_ENGINE: "postgres", WF_DB: runUrl(), WF_RUN_ID: "pg-two-runners", WF_REQUESTS: "3", WF_POLL_MS: "500" }
    const executionId = await Effect.runPromise(BatchWorkflow.executionId(vars.WF_RUN_ID))
    const batches = () => emulator.openaiBatches.batches().filter((b) => b.metadata[BatchWorkflow.runLabelKey]?.startsWith(`${executionId}/`))

    // the emulator holds the first status check, so the first runner is mid-run (created, in a
    // status call) however slowly the second one starts
    let held = false
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const retrieve = emulator.openaiBatches.handler("GET /v1/batches/:id")
    emulator.script("GET /v1/batches/:id", async (request) => {
      held = true
      await gate
      return retrieve(request)
    })

    const first = startRunner(emulator, { ...vars, WF_RUNNER_PORT: "34501" })
    const deadline = Date.now() + 90_000
    while (!(held && batches().length === 1)) {
      if (Date.now() > deadline) throw new Error(`the first runner did not create a batch and check it:\n${first.output()}`)
      if (first.child.exitCode !== null) throw new Error(`the first runner exited:\n${first.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const second = startRunner(emulator, { ...vars, WF_MODE: "serve", WF_RUNNER_PORT: "34502" })
    await second.waitFor(/READY/, 90_000)
    first.child.kill("SIGKILL")
    expect((await first.exited).signal).toBe("SIGKILL")
    release() // the held answer goes to a dead socket
    const pollsBeforeKill = 1
    expect(first.output()).not.toContain("RESULT")

    const line = await second.waitFor(/RESULT .*/, 90_000)
    expect((await second.exited).code).toBe(0)
    const result = resultOf(line)
    expect(batches()).toHaveLength(1)
    expect(result.batches).toEqual([batches()[0]!.id])
    expect(batches()[0]!.status).toBe("completed")
    // the checks after the kill came from the second runner, the only one left
    expect(batches()[0]!.statusCalls).toBeGreaterThan(pollsBeforeKill)
    expect([...result.results].sort()).toEqual(["q1:ok", "q2:ok", "q3:ok"])
  }, 180_000)
})
