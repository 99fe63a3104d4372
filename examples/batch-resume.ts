/**
 * Resuming a batch after a crash: with `resumeKey` and a file-backed KeyValueStore, `Batch.run`
 * records the batch right after create. An interrupted program leaves it running, and the next
 * run with the same key polls it instead of paying twice (`timeout` would still cancel it).
 */
import { NodeKeyValueStore } from "@effect/platform-node"
import { KeyValueStore } from "@effect/platform"
import { Effect, Fiber, Layer, Option, Schedule, Stream } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Anthropic, Batch, Message } from "../src/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

const requests = ["What is 2 + 2?", "What is the square root of 144?"].map((q, i) => ({
  customId: `q${i + 1}`,
  messages: [Message.ModelRequest.userTextPrompt(q)]
}))

const run = Batch.run(requests, { resumeKey: "nightly-eval", pollInterval: usingRealProviders() ? "60 seconds" : "20 millis" })

const program = Effect.gen(function* () {
  const store = yield* KeyValueStore.KeyValueStore
  // first program: submitted, then "crashes" (interrupted) once the batch is recorded
  const first = yield* Effect.fork(run)
  yield* store.has("nightly-eval").pipe(Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (has) => has }))
  yield* Fiber.interrupt(first)
  const record = yield* store.get("nightly-eval")
  check(Option.isSome(record), "the batch is recorded after the crash")
  yield* Effect.log(`interrupted; the record survives: ${Option.getOrElse(record, () => "")}`)

  // second program: the same key resumes polling the recorded batch
  const results = yield* run
  for (const r of results) yield* Effect.log(`${r.customId}: ${r.isSuccessful ? r.response.text : r.error.message}`)
  check(results.length === 2 && results.every((r) => r.isSuccessful), "every result after the resume")
  check(Option.isNone(yield* store.get("nightly-eval")), "the record is removed once done")
  // no second batch was submitted: the newest batch is still the recorded one
  const recordedId = Option.match(record, { onNone: () => "", onSome: (json) => (JSON.parse(json) as { rounds: Array<Array<{ id: string }>> }).rounds[0]?.[0]?.id ?? "" })
  const newest = yield* Stream.runHead(Batch.list({ limit: 1 }))
  check(Option.isSome(newest) && newest.value.id === recordedId, "exactly one provider batch")
})

export const main = async (): Promise<void> => {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "batch-resume-"))
  try {
    const store = NodeKeyValueStore.layerFileSystem(directory)
    await Effect.runPromise(program.pipe(Effect.provide(Layer.merge(Anthropic.model("claude-haiku-4-5"), store))))
  } finally {
    await fs.rm(directory, { recursive: true, force: true })
  }
}

/** The emulator's batches finish after three status checks, so the first run is stopped while the batch runs. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 3 }

runExample(import.meta.url, main, emulatorSettings)
