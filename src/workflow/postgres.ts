/**
 * effect-llm-direct/workflow/postgres: the durable engine on several machines sharing one
 * Postgres database (`@effect/sql-pg`). Each process is a runner of the cluster's workflow engine
 * (`ClusterWorkflowEngine`): runners share the workflow shards through locks in Postgres and hand
 * work to each other through its message tables, so no runner-to-runner network is needed. When
 * a runner dies mid-run its shard locks expire (`shardLockExpiration`, default 35 seconds) and
 * another runner resumes its batch runs from the journal.
 *
 * @example
 * const Live = BatchWorkflow.layer.pipe(
 *   Layer.provideMerge(WorkflowPostgres.layer({ url: Redacted.make(process.env.DATABASE_URL!) })),
 *   Layer.provideMerge(OpenAi.model("gpt-4o-mini"))
 * )
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import type { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type { ConfigError } from "effect/ConfigError"
import { Layer, Option, type Redacted } from "effect"

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The connection URL (`postgres://user:password@host:port/database`). */
  readonly url: Redacted.Redacted
  /**
   * This runner's name among the runners (host and port; nothing listens on it). Every process
   * needs its own; default the host name and the process id.
   */
  readonly runner?: { readonly host: string; readonly port: number } | undefined
  /** The cluster's settings, e.g. `entityMessagePollInterval`, `shardLockExpiration`. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * The workflow engine on Postgres: one runner of a cluster that shares the database.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<WorkflowEngine, ConfigError | SqlError> => {
  const runner = options.runner ?? { host: process.env.HOSTNAME ?? "localhost", port: 20_000 + (process.pid % 40_000) }
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provide(SingleRunner.layer({
      runnerStorage: "sql",
      shardingConfig: { runnerAddress: Option.some(RunnerAddress.make(runner.host, runner.port)), ...options.shardingConfig }
    })),
    Layer.provide(PgClient.layer({ url: options.url }))
  )
}
