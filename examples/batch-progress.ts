/**
 * `Batch.watch`: a Stream of Batch snapshots, one per poll, drawn as a progress bar. The same
 * snapshots drive anything else: logs, metrics, a UI.
 */
import { Console, Effect, Stream } from "effect"
import { Batch, Message, OpenAi } from "../src/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

/** One line of progress: a bar of finished requests, the status and the counts. */
export const progressBar = (batch: Batch.Batch, width = 30): string => {
  const done = batch.completedCount + batch.failedCount
  const filled = batch.requestCount === 0 ? 0 : Math.round((done / batch.requestCount) * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(done).padStart(String(batch.requestCount).length)}/${batch.requestCount} ${batch.status}` +
    (batch.failedCount > 0 ? ` (${batch.failedCount} failed)` : "")
}

/** Draws snapshots on one terminal line (a line each when not a terminal). */
export const draw = (line: string): Effect.Effect<void> =>
  process.stdout.isTTY ? Effect.sync(() => process.stdout.write(`\r${line}`)) : Console.log(line)

const program = Effect.gen(function* () {
  const requests = ["Paris", "Rome", "Berlin", "Madrid", "Lisbon", "Vienna"].map((city, i) => ({
    customId: `city-${i}`,
    messages: [Message.ModelRequest.userTextPrompt(`What is ${city} famous for?`)]
  }))
  const batch = yield* Batch.create(requests)
  const every = usingRealProviders() ? "30 seconds" : "10 millis"
  const snapshots = yield* Batch.watch(batch, every).pipe(
    Stream.tap((snapshot) => draw(progressBar(snapshot))),
    Stream.runCollect
  )
  if (process.stdout.isTTY) yield* Console.log("")
  const last = Array.from(snapshots).at(-1)
  check(last?.isComplete === true, "the watch ends on a final status")
  check(snapshots.length >= 2, "one snapshot per poll")
  const results = yield* Stream.runCollect(Batch.results(last ?? batch))
  check(results.length === requests.length, "every result read")
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(OpenAi.model("gpt-4o-mini"))))

/** The emulator's batches finish after three status checks, so the watch shows progress. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 3 }

runExample(import.meta.url, main, emulatorSettings)
