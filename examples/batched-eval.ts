/**
 * An eval of 500 prompts, written as ordinary `LanguageModel.request` calls (one per case, all
 * concurrent), run under `BatchedLanguageModel.layer`: the calls gather into provider batches,
 * at half the price, without changing the eval. A progress bar follows the layer's progress,
 * and the end shows what the batch price saved.
 */
import { Console, Effect, Layer, Stream } from "effect"
import { BatchedLanguageModel, LanguageModel, Message, OpenAi } from "../src/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

const words = ["apple", "river", "cloud", "stone", "maple", "ember", "harbor", "violet", "canyon", "lantern"]

/** The eval's cases: a prompt and what a correct answer ends with. */
const cases = Array.from({ length: 500 }, (_, i) => {
  const word = `${words[i % words.length]}${i}`
  return { prompt: `Reply with exactly this word and nothing else: ${word}`, expected: word }
})

/** One case, as any code written against LanguageModel would run it. */
const grade = (c: (typeof cases)[number]) =>
  LanguageModel.request([Message.ModelRequest.userTextPrompt(c.prompt)], { settings: { maxTokens: 20 } }).pipe(
    Effect.map((response) => response.text.trim().toLowerCase().endsWith(c.expected)),
    Effect.catchAll((error) => Effect.as(Console.error(`case failed: ${error.message}`), false))
  )

/** One line of progress: a bar of answered cases and the batches. */
const bar = (p: BatchedLanguageModel.Progress, width = 30): string => {
  const settled = p.done + p.failed
  const filled = p.total === 0 ? 0 : Math.round((settled / p.total) * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${settled}/${p.total} answered, ${p.liveBatches} batch(es) running`
}

const program = Effect.gen(function* () {
  // the bar redraws on each change of the layer's progress, until the layer closes
  const drawn: Array<string> = []
  yield* BatchedLanguageModel.progress.pipe(
    Stream.map((p) => bar(p)),
    Stream.changes,
    Stream.runForEach((line) => Effect.sync(() => {
      drawn.push(line)
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`)
    })),
    Effect.forkScoped
  )
  const passed = yield* Effect.forEach(cases, grade, { concurrency: "unbounded" })
  const score = passed.filter(Boolean).length
  const progress = yield* Effect.flatMap(BatchedLanguageModel.BatchedLanguageModel, (s) => s.snapshot)
  if (process.stdout.isTTY) yield* Console.log("")
  else yield* Console.log(drawn.at(-1) ?? "")
  yield* Console.log(`score ${score}/${cases.length} in ${progress.batches} batch(es)`)
  yield* Console.log(`cost $${progress.cost.toFixed(6)} at the batch price; saved $${progress.saved.toFixed(6)} against direct requests`)
  check(score === cases.length, "every case passes on the emulator")
  check(progress.batches === 1 && progress.direct === 0, "one batch, no direct call")
  check(progress.saved > 0 && Math.abs(progress.saved - progress.cost) < 1e-12, "half price: the saving equals the cost")
})

// your standard prices per million tokens (or leave `prices` out to use @pydantic/genai-prices)
const prices = { "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 } }

const Batched = BatchedLanguageModel.layer({
  maxWait: "2 seconds",
  pollInterval: usingRealProviders() ? "30 seconds" : "10 millis",
  cost: { prices }
}).pipe(Layer.provideMerge(OpenAi.model("gpt-4o-mini")))

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Batched)))

/** The emulator's batches finish after three status checks, so the bar shows the batch running. */
export const emulatorSettings: EmulatorSettings = { statusCalls: 3 }

runExample(import.meta.url, main, emulatorSettings)
