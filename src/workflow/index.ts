/**
 * effect-llm-direct/workflow: batch runs as durable workflows on `@effect/workflow`. A separate
 * entry point: the main entry never imports it, so a program that does not use it needs none of
 * the optional `@effect/workflow` / `@effect/cluster` / `@effect/sql` peers.
 *
 * @since 0.1.0
 */

/**
 * The batch run workflow: its Layer, start / run / poll / interrupt, and results as a stream.
 *
 * @since 0.1.0
 * @category programs
 */
export * as BatchWorkflow from "./BatchWorkflow.js"
