/**
 * effect-llm-direct/workflow/sqlite: the durable engine on one machine with no server to run.
 * The cluster's workflow engine (`@effect/cluster` `ClusterWorkflowEngine`) on a single runner
 * (`SingleRunner`), its journal and messages in a SQLite file (`@effect/sql-sqlite-node`). A
 * process that stops mid-run (crash, deploy, reboot) and starts again on the same file resumes
 * its batch runs where the journal left them.
 *
 * @example
 * const Live = BatchWorkflow.layer.pipe(
 *   Layer.provideMerge(WorkflowSqlite.layer({ filename: "./batch-runs.db" })),
 *   Layer.provideMerge(OpenAi.model("gpt-4o-mini"))
 * )
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type { ConfigError } from "effect/ConfigError"
import { Layer } from "effect"

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The SQLite file (created if missing) that holds the journal. */
  readonly filename: string
  /**
   * The cluster's settings, e.g. `entityMessagePollInterval` (default 10 seconds): how soon a
   * restarted process or a durable sleep's wake-up is noticed.
   */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * The workflow engine on a SQLite file, for one process at a time.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<WorkflowEngine, ConfigError | SqlError> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provide(SingleRunner.layer({ runnerStorage: "memory", shardingConfig: options.shardingConfig })),
    Layer.provide(SqliteClient.layer({ filename: options.filename }))
  )
