/**
 * Resume records of `Batch.run`: the provider batches of one run, by round, kept under its
 * `resumeKey` in a `KeyValueStore`, so that a run interrupted after submission resumes polling
 * them instead of paying twice.
 *
 * @since 0.2.0
 * @internal
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option, Schema } from "effect"
import { InvalidInputError } from "../../AiError.js"
import { Batch, type BatchRequest } from "../../BatchData.js"

/**
 * A resume record: the provider batches of one run, by round (the first submission, then each
 * `resubmit` round), as stored under its `resumeKey`. Version 1 held one round.
 */
const ResumeRecord = Schema.parseJson(Schema.Union(
  Schema.Struct({ version: Schema.Literal(1), batches: Schema.Array(Batch) }),
  Schema.Struct({ version: Schema.Literal(2), rounds: Schema.Array(Schema.Array(Batch)) })
))

/**
 * Where a run's record lives.
 *
 * @since 0.2.0
 * @category models
 */
export interface Store {
  readonly kv: KeyValueStore.KeyValueStore
  readonly key: string
  readonly provider: string
}

const invalidRecord = (store: Store, reason: string) =>
  new InvalidInputError({ provider: store.provider, reason: `resumeKey ${JSON.stringify(store.key)}: ${reason}` })

/**
 * The failure of a record that names a batch of other requests than this run's.
 *
 * @since 0.2.0
 * @category constructors
 */
export const otherRequests = (store: Store, batch: Batch): InvalidInputError =>
  invalidRecord(store, `it records ${batch.provider} batch ${batch.id} for other requests; use another key for a different request list.`)

/**
 * The rounds a previous run with this key recorded (none without a record), checked against this run's requests.
 *
 * @since 0.2.0
 * @category utils
 */
export const loadRecord = (
  store: Store,
  requests: ReadonlyArray<BatchRequest>
): Effect.Effect<ReadonlyArray<ReadonlyArray<Batch>>, InvalidInputError | PlatformError> =>
  Effect.gen(function* () {
    const stored = yield* store.kv.get(store.key)
    if (Option.isNone(stored)) return []
    const record = yield* Schema.decodeUnknown(ResumeRecord)(stored.value).pipe(
      Effect.mapError(() => invalidRecord(store, "the stored record is unreadable; remove it from the store to start afresh."))
    )
    const rounds = record.version === 1 ? [record.batches] : record.rounds
    const ids = new Set(requests.map((r) => r.customId))
    for (const batch of rounds.flat()) {
      if (batch.provider !== store.provider || batch.customIds.some((id) => !ids.has(id))) return yield* otherRequests(store, batch)
    }
    return rounds
  })

/**
 * A writer of the run's record, starting from the recorded rounds: each created batch goes into
 * its round, in place of the queue-refused batch it submits again; writes are serialised.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeRecorder = (
  store: Store,
  recorded: ReadonlyArray<ReadonlyArray<Batch>>
): Effect.Effect<(round: number, batch: Batch, replacing: string | undefined) => Effect.Effect<void, PlatformError>> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    const registry: Array<Array<Batch>> = recorded.map((round) => [...round])
    return (round, batch, replacing) =>
      lock.withPermits(1)(Effect.suspend(() => {
        while (registry.length <= round) registry.push([])
        const list = registry[round]!
        const at = replacing === undefined ? -1 : list.findIndex((b) => b.id === replacing)
        if (at >= 0) list[at] = batch
        else list.push(batch)
        return store.kv.set(store.key, Schema.encodeSync(ResumeRecord)({ version: 2, rounds: registry }))
      }))
  })
