/**
 * The journaled steps of a durable batch run: each call to the provider is an activity whose
 * result the engine journals (its name is its place in the journal, so the names stay as they
 * are for replays), plus the compensation that cancels a created batch when the run fails or is
 * interrupted. The workflow's driver (`runDriver.ts`) decides which step comes next.
 *
 * @since 0.2.0
 * @internal
 */
import * as Activity from "@effect/workflow/Activity"
import * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import { Cause, Clock, Duration, Effect, Exit, Option, Schedule, Schema, Stream } from "effect"
import { AiError, type BatchError } from "../AiError.js"
import * as Batch from "../Batch.js"
import { BatchModel, type Service as BatchModelService } from "../BatchModel.js"
import { isResubmittable, type ResubmitPolicy, selectResubmit } from "../internal/batch/lifecycle.js"
import * as Retry from "../Retry.js"
import { runLabelKey } from "./runData.js"

/**
 * What a create activity needs of a part: its place (the activity's name), its label and requests.
 *
 * @since 0.2.0
 * @category models
 */
export interface PartToCreate {
  readonly index: number
  readonly label: string
  readonly requests: ReadonlyArray<Batch.BatchRequest>
}

// a provider's clock may run behind ours: the lookup reads batches created this long before the run began
const LOOKUP_SLACK = Duration.minutes(10)

/**
 * Whether the provider keeps a create's metadata (OpenAI does; Anthropic refuses it in validate).
 *
 * @since 0.2.0
 * @category utils
 */
export const keepsLabels = (
  model: BatchModelService,
  requests: ReadonlyArray<Batch.BatchRequest>,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<boolean> =>
  Effect.isSuccess(model.validate(requests, { metadata: { ...metadata, [runLabelKey]: "probe" } }))

const labelOf = (batch: Batch.Batch): unknown => {
  const metadata = batch.details.metadata
  return typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>)[runLabelKey] : undefined
}

/** The batch a previous attempt of this create made, found by its label among the recent batches. */
const findLabelled = (label: string, since: number): Effect.Effect<Option.Option<Batch.Batch>, AiError, BatchModel> =>
  Batch.list({ instrument: false }).pipe(
    Stream.takeWhile((b) => b.createdAt.getTime() >= since - Duration.toMillis(LOOKUP_SLACK)),
    Stream.filter((b) => labelOf(b) === label),
    Stream.runHead
  )

/**
 * The create activity of one part: look up by label first, create only if nothing is found.
 *
 * @since 0.2.0
 * @category programs
 */
export const createPart = (part: PartToCreate, options: { readonly since: number; readonly labelled: boolean; readonly metadata: Readonly<Record<string, string>> | undefined }) =>
  Activity.make({
    name: `create/${part.index}`,
    success: Batch.Batch,
    error: AiError,
    execute: Retry.retry(
      Effect.gen(function* () {
        if (options.labelled) {
          const found = yield* findLabelled(part.label, options.since)
          if (Option.isSome(found)) {
            yield* Effect.logInfo(`Batch ${found.value.id} found by its label ${part.label}; not creating it again.`)
            return found.value.withCustomIds(part.requests.map((r) => r.customId))
          }
        }
        const model = yield* BatchModel
        const metadata = options.labelled ? { ...options.metadata, [runLabelKey]: part.label } : options.metadata
        // uninterruptible, and never cancelled here: a runner that stops mid-create leaves the
        // batch to the next attempt's lookup (Batch.create would cancel it on interruption)
        return yield* Effect.uninterruptible(model.create(part.requests, { metadata }))
      }),
      // with labels any transient fault is retried, since the lookup runs again first; without
      // them only a rate-limited create, after which nothing exists
      options.labelled ? Retry.defaultPolicy : Retry.defaultPolicy.pipe(Schedule.whileInput((e: AiError | BatchError) => e._tag === "RateLimitError"))
    )
  })

/**
 * Without the custom ids: a status snapshot is journaled every round, the ids once at create.
 *
 * @since 0.2.0
 * @category utils
 */
export const slim = (batch: Batch.Batch): Batch.Batch => (batch.customIds.length === 0 ? batch : batch.withCustomIds([]))

/**
 * One status round over the unfinished batches.
 *
 * @since 0.2.0
 * @category programs
 */
export const statusRound = (round: number, batches: ReadonlyArray<Batch.Batch>) =>
  Activity.make({
    name: `status/${round}`,
    success: Schema.Array(Batch.Batch),
    error: AiError,
    execute: Effect.forEach(batches, (batch) => Effect.map(Batch.status(batch.id), slim), { concurrency: "unbounded" })
  })

/** Cancels a batch unless it is final; a cancel that keeps failing is logged, never raised. */
const cancelUnlessFinal = (batch: Batch.Batch): Effect.Effect<void, never, BatchModel> =>
  Batch.status(batch.id).pipe(
    Effect.flatMap((current) => (current.isComplete ? Effect.void : Effect.asVoid(Batch.cancel(current)))),
    Effect.catchAll((error) => Effect.logWarning(`Could not cancel batch ${batch.id}: ${error.message}`))
  )

/**
 * Compensation for a created batch: cancelled (unless final) when the run ends in failure or is
 * interrupted through `Workflow.interrupt`, but not when its runner merely stops (a deploy, a
 * shutdown): `Workflow.withCompensation` would run then too, as the engine closes the
 * workflow's scope with an interruption either way, and a deploy would cancel every batch.
 *
 * @since 0.2.0
 * @category utils
 */
export const cancelledOnEnd = <E, R>(
  instance: WorkflowInstance["Type"],
  create: Effect.Effect<Batch.Batch, E, R>
): Effect.Effect<Batch.Batch, E, R | BatchModel | WorkflowInstance> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.tap(restore(create), (batch) =>
      Workflow.addFinalizer((exit) =>
        Exit.isSuccess(exit) || (Cause.isInterruptedOnly(exit.cause) && !instance.interrupted) ? Effect.void : cancelUnlessFinal(batch)
      ))
  )

/**
 * The run's start on the clock, journaled: the label lookup reads batches created since.
 *
 * @since 0.2.0
 * @category programs
 */
export const beginActivity = Activity.make({ name: "begin", success: Schema.Number, execute: Clock.currentTimeMillis })

/**
 * The ids of a finished round to submit again (per the policy's codes), and how many of the
 * round's results failed. Only the ids are journaled, never a response: the results are read
 * as a stream, keeping only the resubmittable failures.
 *
 * @since 0.2.0
 * @category programs
 */
export const resubmitRound = (
  round: number,
  batches: ReadonlyArray<Batch.Batch>,
  order: ReadonlyArray<string>,
  policy: ResubmitPolicy
) =>
  Activity.make({
    name: `resubmit/${round}`,
    success: Schema.Struct({ customIds: Schema.Array(Schema.String), failed: Schema.Number }),
    error: AiError,
    execute: Stream.fromIterable(batches).pipe(
      Stream.flatMap((batch) => Batch.results(batch, { instrument: false })),
      Stream.runFold({ again: [] as Array<Batch.BatchResult>, failed: 0 }, (acc, result) => {
        if (!result.isSuccessful) acc.failed += 1
        if (isResubmittable(result, policy)) acc.again.push(result)
        return acc
      }),
      Effect.map(({ again, failed }) => ({ customIds: selectResubmit(order, again, policy, round), failed }))
    )
  })

