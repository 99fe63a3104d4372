/**
 * Batch accounting as properties (fast-check): for random request lists and random provider
 * behaviour — result lines in any order, left out, duplicated, lines for ids of another batch,
 * per-request errors, expiry, cancellation by someone else, failed batches, split limits,
 * transient faults while polling and downloading — `Batch.run` returns exactly one result per
 * custom id, in submission order, each the provider's first line for that id or our code for a
 * missing one, and never a success the provider did not return. Many runs on `SimulatedBatch`
 * under the TestClock; fewer through the real SDKs against the emulator, for both providers.
 * A second property interrupts (or times out) runs at random moments: every batch created is
 * created once and ends final or cancelled; a third interrupts runs with a resumeKey and starts
 * them again: each batch is paid for once and every result comes back.
 *
 * Seeds are fixed (see `fcParams`); fast-check prints the seed and path of a failing case.
 */
import { KeyValueStore } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, ManagedRuntime, TestClock, TestContext } from "effect"
import fc from "fast-check"
import { ConnectionError, ProviderUnavailableError, RateLimitError, RequestTimeoutError } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import * as Retry from "../src/Retry.js"
import { ModelRequest, ModelResponse, TextPart } from "../src/Message.js"
import { anthropicBatchEmulator } from "../src/testing/emulator/anthropic.js"
import { openAiBatchEmulator } from "../src/testing/emulator/openai.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import * as SimulatedBatch from "../src/testing/SimulatedBatch.js"
import * as TestModel from "../src/testing/TestModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { callsTo, batchRoutes, chunksOf, exitKind, fcParams, outcomes, type ProviderName, providerLayer, shuffled } from "./helpers/reliability.js"

// ---------------------------------------------------------------------------------------------
// arbitraries shared by both parts
// ---------------------------------------------------------------------------------------------

/** Custom ids both providers accept. */
const customId = fc.stringMatching(/^[a-zA-Z0-9_-]{1,10}$/)
const idList = (max: number) => fc.uniqueArray(customId, { minLength: 1, maxLength: max })
const request = (id: string): Batch.BatchRequestInput => ({ customId: id, messages: [ModelRequest.userTextPrompt(`question ${id}`)] })

// type-level: a program that runs batches needs a BatchModel; without one it does not compile
// (typecheck runs over the tests), and a LanguageModel alone is not one
// @ts-expect-error BatchModel is not provided
const _noBatchModel: Effect.Effect<ReadonlyArray<Batch.BatchResult>, unknown, never> = Batch.run([request("a")])
// @ts-expect-error a LanguageModel alone does not provide BatchModel
const _languageModelOnly: Effect.Effect<ReadonlyArray<Batch.BatchResult>, unknown, never> = Batch.run([request("a")]).pipe(
  Effect.provideService(LanguageModel.LanguageModel, TestModel.make())
)
void _noBatchModel
void _languageModelOnly

/** The code `Batch.run` gives a request without a provider line, by the batch's final status. */
const unansweredCode = (status: string): string => (status === "expired" ? "expired" : status === "cancelled" ? "cancelled" : "missing")

// ---------------------------------------------------------------------------------------------
// SimulatedBatch under the TestClock
// ---------------------------------------------------------------------------------------------

type SimOutcome = "completed" | "expired" | "cancelled" | "failed"

interface SimLifecycle {
  readonly statusCalls: number
  readonly outcome: SimOutcome
  readonly processed: number
  readonly order: "submission" | "reversed" | number
  /** May name ids of other batches: their lines must be dropped. */
  readonly duplicate: ReadonlyArray<string>
  readonly omit: ReadonlyArray<string>
  readonly unprocessedLines: boolean
}

type FaultKind = "rate-limit" | "unavailable" | "reset" | "timeout"

interface SimScenario {
  readonly ids: ReadonlyArray<string>
  readonly errored: ReadonlyArray<string>
  readonly maxRequestsPerBatch: number | undefined
  readonly lifecycles: ReadonlyArray<SimLifecycle>
  /** Status and results calls (by their index across the run) that fail first; a few, so retries win. */
  readonly statusFaults: ReadonlyArray<readonly [number, FaultKind]>
  readonly resultsFaults: ReadonlyArray<readonly [number, FaultKind, number]>
}

const faultKind: fc.Arbitrary<FaultKind> = fc.constantFrom("rate-limit", "unavailable", "reset", "timeout")

const simLifecycle = (ids: ReadonlyArray<string>): fc.Arbitrary<SimLifecycle> =>
  fc.record({
    statusCalls: fc.integer({ min: 0, max: 4 }),
    outcome: fc.oneof(
      { weight: 5, arbitrary: fc.constant<SimOutcome>("completed") },
      { weight: 2, arbitrary: fc.constant<SimOutcome>("expired") },
      { weight: 2, arbitrary: fc.constant<SimOutcome>("cancelled") },
      { weight: 1, arbitrary: fc.constant<SimOutcome>("failed") }
    ),
    processed: fc.integer({ min: 0, max: ids.length }),
    order: fc.oneof(fc.constant("submission" as const), fc.constant("reversed" as const), fc.integer()),
    duplicate: fc.subarray([...ids]),
    omit: fc.subarray([...ids]),
    unprocessedLines: fc.boolean()
  })

// up to 4 provider batches a run (every split shape of 1 to 20 requests into at most 4)
const simScenario: fc.Arbitrary<SimScenario> = idList(20).chain((ids) =>
  fc.record({
    ids: fc.constant(ids),
    errored: fc.subarray(ids),
    maxRequestsPerBatch: fc.option(fc.integer({ min: Math.ceil(ids.length / 4), max: ids.length }), { nil: undefined }),
    lifecycles: fc.array(simLifecycle(ids), { minLength: ids.length, maxLength: ids.length }),
    statusFaults: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 6 }), faultKind), { maxLength: 3, selector: ([n]) => n }),
    resultsFaults: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 4 }), faultKind, fc.integer({ min: 0, max: 5 })), { maxLength: 3, selector: ([n]) => n })
  }))

const simError = (kind: FaultKind) => {
  switch (kind) {
    case "rate-limit":
      return new RateLimitError({ provider: "test" })
    case "unavailable":
      return new ProviderUnavailableError({ provider: "test", status: 503 })
    case "reset":
      return new ConnectionError({ provider: "test", detail: "ECONNRESET" })
    case "timeout":
      return new RequestTimeoutError({ provider: "test" })
  }
}

const answerText = (id: string) => `answer ${id}`

/** The default policy's four retries, without waiting. */
const instantRetry = Retry.policy({ base: "0 millis", jitter: false })

/** What the provider's result lines say about one request of a simulated batch, or our code for none. */
const expectedSim = (s: SimScenario): { readonly failed: boolean; readonly outcomes: ReadonlyArray<string> } => {
  const errored = new Set(s.errored)
  const out: Array<string> = []
  let failed = false
  chunksOf(s.ids, s.maxRequestsPerBatch).forEach((chunk, index) => {
    const lc = s.lifecycles[index]!
    if (lc.outcome === "failed") failed = true
    const n = chunk.length
    const processed = lc.outcome === "completed" ? n : Math.min(n, lc.processed)
    const omitted = new Set(lc.omit)
    chunk.forEach((id, i) => {
      const hasLine = !omitted.has(id) && (i < processed || lc.unprocessedLines)
      if (hasLine) {
        out.push(i < processed ? (errored.has(id) ? `${id}:bad_request` : `${id}:ok`) : `${id}:${lc.outcome === "expired" ? "expired" : "cancelled"}`)
      } else if (lc.duplicate.includes(id)) {
        // the sim appends a "duplicate" error line for these ids: the only line this id has
        out.push(`${id}:duplicate`)
      } else {
        out.push(`${id}:${unansweredCode(lc.outcome)}`)
      }
    })
  })
  return { failed, outcomes: out }
}

const runSim = (s: SimScenario) =>
  Effect.gen(function* () {
    const errored = new Set(s.errored)
    const statusFaults = new Map(s.statusFaults)
    const resultsFaults = new Map(s.resultsFaults.map(([n, kind, afterLines]) => [n, { kind, afterLines }]))
    const sim = yield* SimulatedBatch.make({
      answer: (r) =>
        errored.has(r.customId)
          ? new Batch.ResultError({ code: "bad_request", message: `request ${r.customId} is bad` })
          : new ModelResponse({ parts: [new TextPart({ content: answerText(r.customId) })], modelName: "test-model", providerName: "test" }),
      lifecycle: (index) => {
        const lc = s.lifecycles[index]!
        return {
          statusCalls: lc.statusCalls,
          outcome: lc.outcome,
          processed: lc.processed,
          order: typeof lc.order === "number" ? (ids: ReadonlyArray<string>) => shuffled(ids, lc.order as number) : lc.order,
          duplicate: lc.duplicate,
          omit: lc.omit,
          unprocessedLines: lc.unprocessedLines
        }
      },
      faults: (call) => {
        if (call.op === "status") {
          const kind = statusFaults.get(call.n)
          return kind === undefined ? undefined : simError(kind)
        }
        if (call.op === "results") {
          const fault = resultsFaults.get(call.n)
          return fault === undefined ? undefined : { afterLines: fault.afterLines, error: simError(fault.kind) }
        }
        return undefined
      }
    })
    // polls and retries without delay: the TestClock never has to move, so a run costs CPU only
    // (timing is proven by test/batch-run.test.ts; the interruption property below moves the clock)
    const exit = yield* Effect.exit(
      Batch.run(s.ids.map(request), { maxRequestsPerBatch: s.maxRequestsPerBatch, pollInterval: "0 millis", retry: instantRetry }).pipe(Effect.provide(sim.layer))
    )
    return { exit, sim, creates: yield* sim.callCount("create"), batches: yield* sim.batches }
  })

describe("Batch.run accounting on SimulatedBatch (TestClock)", () => {
  it("one result per custom id, in submission order, the provider's first line or our code; never an invented success", async () => {
    // one test environment for all runs: building TestContext costs more than a run
    const runtime = ManagedRuntime.make(TestContext.TestContext)
    await fc.assert(
      fc.asyncProperty(simScenario, async (s) => {
        const { batches, creates, exit } = await runtime.runPromise(runSim(s))
        const expected = expectedSim(s)
        const chunks = chunksOf(s.ids, s.maxRequestsPerBatch)
        // every chunk submitted once, never again (faults hit polls and downloads only)
        expect(creates).toBe(chunks.length)
        expect(batches.map((b) => b.customIds)).toEqual(chunks)
        // a batch still running when the run ended was cancelled
        for (const b of batches) expect(b.isComplete || b.status === "cancelling").toBe(true)
        if (expected.failed) {
          expect(exitKind(exit)).toBe("fail:BatchFailedError")
          return
        }
        expect(exitKind(exit)).toBe("ok")
        const results = Exit.isSuccess(exit) ? exit.value : []
        expect(results.map((r) => r.customId)).toEqual(s.ids)
        expect(outcomes(results)).toEqual(expected.outcomes)
        for (const r of results) if (r.isSuccessful) expect(r.response.text).toBe(answerText(r.customId))
      }),
      fcParams(200)
    ).finally(() => runtime.dispose())
  })

  interface StopScenario {
    readonly ids: ReadonlyArray<string>
    readonly maxRequestsPerBatch: number | undefined
    readonly statusCalls: number
    readonly createDelaySeconds: number
    readonly stopAtSeconds: number
    readonly mode: "interrupt" | "timeout"
    readonly cancelFaults: number
  }

  const stopScenario: fc.Arbitrary<StopScenario> = idList(12).chain((ids) =>
    fc.record({
      ids: fc.constant(ids),
      maxRequestsPerBatch: fc.option(fc.integer({ min: Math.ceil(ids.length / 3), max: ids.length }), { nil: undefined }),
      statusCalls: fc.integer({ min: 1, max: 8 }),
      createDelaySeconds: fc.integer({ min: 0, max: 30 }),
      stopAtSeconds: fc.integer({ min: 0, max: 600 }),
      mode: fc.constantFrom("interrupt" as const, "timeout" as const),
      cancelFaults: fc.integer({ min: 0, max: 2 })
    }))

  it("interrupted or timed out at any moment (creates in flight included): each batch created once, and none left running", async () => {
    await fc.assert(
      fc.asyncProperty(stopScenario, async (s) => {
        const program = Effect.gen(function* () {
          let cancels = 0
          const sim = yield* SimulatedBatch.make({
            lifecycle: { statusCalls: s.statusCalls },
            createDelay: Duration.seconds(s.createDelaySeconds),
            // the first cancels fail transiently: the finalizer retries them
            faults: (call) => (call.op === "cancel" && cancels++ < s.cancelFaults ? new ProviderUnavailableError({ provider: "test", status: 503 }) : undefined)
          })
          const run = Batch.run(s.ids.map(request), {
            maxRequestsPerBatch: s.maxRequestsPerBatch,
            ...(s.mode === "timeout" ? { timeout: Duration.seconds(Math.max(1, s.stopAtSeconds)) } : {})
          }).pipe(Effect.provide(sim.layer))
          const fiber = yield* Effect.fork(run)
          let exit: Exit.Exit<unknown, unknown>
          if (s.mode === "interrupt") {
            yield* TestClock.adjust(Duration.seconds(s.stopAtSeconds))
            const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
            // the creates in flight finish, then the cancels run with their retries
            yield* TestClock.adjust("1 hour")
            exit = yield* Fiber.join(interrupter)
          } else {
            yield* TestClock.adjust("1 day")
            exit = yield* Fiber.await(fiber)
          }
          return { exit, creates: yield* sim.callCount("create"), batches: yield* sim.batches }
        })
        const { batches, creates, exit } = await Effect.runPromise(program.pipe(Effect.provide(TestContext.TestContext)))
        expect(batches).toHaveLength(creates)
        expect(creates).toBeLessThanOrEqual(chunksOf(s.ids, s.maxRequestsPerBatch).length)
        for (const b of batches) expect(`${b.id}:${b.isComplete || b.status === "cancelling" ? "done" : b.status}`).toBe(`${b.id}:done`)
        if (s.mode === "interrupt") expect(["ok", "interrupt"]).toContain(exitKind(exit))
        else {
          // finished in time with every result, or a BatchTimeoutError after cancelling
          const kind = exitKind(exit)
          expect(["ok", "fail:BatchTimeoutError"]).toContain(kind)
          if (kind === "fail:BatchTimeoutError") expect(batches.some((b) => b.status === "cancelling") || batches.length === 0).toBe(true)
        }
      }),
      fcParams(60, 1)
    )
  })
})

describe("Batch.run with resumeKey on SimulatedBatch (TestClock)", () => {
  interface ResumeScenario {
    readonly ids: ReadonlyArray<string>
    readonly maxRequestsPerBatch: number | undefined
    readonly statusCalls: number
    readonly createDelaySeconds: number
    readonly stopAtSeconds: number
  }

  const resumeScenario: fc.Arbitrary<ResumeScenario> = idList(10).chain((ids) =>
    fc.record({
      ids: fc.constant(ids),
      maxRequestsPerBatch: fc.option(fc.integer({ min: Math.ceil(ids.length / 3), max: ids.length }), { nil: undefined }),
      statusCalls: fc.integer({ min: 1, max: 6 }),
      createDelaySeconds: fc.integer({ min: 0, max: 30 }),
      stopAtSeconds: fc.integer({ min: 0, max: 400 })
    }))

  it("a run interrupted at any moment and started again with the same key pays for each batch once and returns every result", async () => {
    await fc.assert(
      fc.asyncProperty(resumeScenario, async (s) => {
        const program = Effect.gen(function* () {
          const sim = yield* SimulatedBatch.make({ lifecycle: { statusCalls: s.statusCalls }, createDelay: Duration.seconds(s.createDelaySeconds) })
          const run = Batch.run(s.ids.map(request), { resumeKey: "nightly", maxRequestsPerBatch: s.maxRequestsPerBatch }).pipe(Effect.provide(sim.layer))
          const first = yield* Effect.fork(run)
          yield* TestClock.adjust(Duration.seconds(s.stopAtSeconds))
          const interrupter = yield* Effect.fork(Fiber.interrupt(first))
          yield* TestClock.adjust("1 hour")
          const firstExit = yield* Fiber.join(interrupter)
          const createsBefore = yield* sim.callCount("create")
          const cancelsBefore = yield* sim.callCount("cancel")
          const second = yield* Effect.fork(Effect.exit(run))
          yield* TestClock.adjust("1 day")
          const secondExit = yield* Fiber.join(second)
          const store = yield* KeyValueStore.KeyValueStore
          return {
            firstExit,
            secondExit,
            createsBefore,
            cancelsBefore,
            creates: yield* sim.callCount("create"),
            record: yield* store.get("nightly")
          }
        }).pipe(Effect.provide(KeyValueStore.layerMemory))
        const r = await Effect.runPromise(program.pipe(Effect.provide(TestContext.TestContext)))
        const chunks = chunksOf(s.ids, s.maxRequestsPerBatch).length
        expect(exitKind(r.secondExit)).toBe("ok")
        const results = Exit.isSuccess(r.secondExit) ? r.secondExit.value : []
        expect(outcomes(results)).toEqual(s.ids.map((id) => `${id}:ok`))
        // the record goes once the run succeeded
        expect(r.record._tag).toBe("None")
        if (Exit.isSuccess(r.firstExit)) {
          // the first run finished before the interruption: the second is a run of its own
          expect(r.creates).toBe(2 * chunks)
        } else {
          // interrupted: what it created was recorded and left running, and the second run resumed it
          expect(r.cancelsBefore).toBe(0)
          expect(r.creates).toBe(chunks)
          expect(r.createsBefore).toBeLessThanOrEqual(chunks)
        }
      }),
      fcParams(40, 4)
    )
  })
})

// ---------------------------------------------------------------------------------------------
// the real SDKs against the emulator
// ---------------------------------------------------------------------------------------------

interface EmulatorScenario {
  readonly ids: ReadonlyArray<string>
  readonly maxRequestsPerBatch: number | undefined
  readonly statusCalls: number
  readonly outcome: "completed" | "expired" | "cancelled" | "failed"
  readonly processed: number
  readonly errors: Readonly<Record<string, number>>
  readonly order: "submission" | "reversed" | "shuffled"
  readonly duplicate: ReadonlyArray<string>
  readonly omit: ReadonlyArray<string>
  readonly unprocessedLines: boolean
  readonly linesPerChunk: number
}

const emulatorScenario = (provider: ProviderName): fc.Arbitrary<EmulatorScenario> =>
  idList(12).chain((ids) =>
    fc.record({
      ids: fc.constant(ids),
      maxRequestsPerBatch: fc.option(fc.integer({ min: 1, max: ids.length }), { nil: undefined }),
      statusCalls: fc.integer({ min: 0, max: 3 }),
      outcome: provider === "openai"
        ? fc.constantFrom("completed" as const, "completed" as const, "expired" as const, "cancelled" as const, "failed" as const)
        : fc.constantFrom("completed" as const, "completed" as const, "expired" as const, "cancelled" as const),
      processed: fc.integer({ min: 0, max: ids.length }),
      errors: fc.subarray(ids).chain((failing) =>
        fc.tuple(...failing.map(() => fc.constantFrom(...(provider === "openai" ? [400, 500] : [400, 500, 529])))).map((statuses) =>
          Object.fromEntries(failing.map((id, i) => [id, statuses[i]!] as const)))),
      order: fc.constantFrom("submission" as const, "reversed" as const, "shuffled" as const),
      duplicate: fc.subarray(ids),
      omit: fc.subarray(ids),
      unprocessedLines: fc.boolean(),
      linesPerChunk: fc.integer({ min: 1, max: 4 })
    }))

const errorCodes: Record<ProviderName, Readonly<Record<number, string>>> = {
  // OpenAI's error line: the body's code (null here), else its type
  openai: { 400: "invalid_request_error", 500: "server_error" },
  // Anthropic's errored line: the error type of the status
  anthropic: { 400: "invalid_request_error", 500: "api_error", 529: "overloaded_error" }
}

/** The outcome of each request as the emulator's lifecycle writes it, and what `run` makes of it. */
const expectedEmulator = (provider: ProviderName, s: EmulatorScenario): ReadonlyArray<string> =>
  chunksOf(s.ids, s.maxRequestsPerBatch).flatMap((chunk) => {
    const n = chunk.length
    const processed = s.outcome === "completed" ? n : Math.min(n, s.processed)
    // Anthropic reports "ended": expired only when every request expired, cancelled when a cancel was initiated
    const status = provider === "anthropic" && s.outcome === "expired" && processed > 0 ? "completed" : s.outcome
    return chunk.map((id, i) => {
      if (s.omit.includes(id)) return `${id}:${unansweredCode(status)}`
      if (i >= processed) {
        return s.unprocessedLines ? `${id}:${s.outcome === "expired" ? "expired" : "cancelled"}` : `${id}:${unansweredCode(status)}`
      }
      const failing = Object.hasOwn(s.errors, id) ? s.errors[id] : undefined
      return failing !== undefined ? `${id}:${errorCodes[provider][failing]}` : `${id}:ok`
    })
  })

describe("Batch.run accounting through the real SDKs on the emulator", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await emulator.close()
  })

  // found by the property below: the emulators looked scripted errors up on a plain object, so
  // every request whose id is an Object.prototype key was answered as failed
  it("emulator lifecycles: requests named toString, __proto__ or constructor are not scripted to fail", async () => {
    for (const provider of ["openai", "anthropic"] as const) {
      emulator.reset()
      const lifecycle = { statusCalls: 0, errors: { other: 400 } }
      if (provider === "openai") openAiBatchEmulator(emulator).lifecycle = lifecycle
      else anthropicBatchEmulator(emulator).lifecycle = lifecycle
      const ids = ["toString", "__proto__", "constructor", "other"]
      const results = await Effect.runPromise(Batch.run(ids.map(request)).pipe(Effect.provide(providerLayer(provider, emulator))))
      expect(outcomes(results)).toEqual(["toString:ok", "__proto__:ok", "constructor:ok", `other:${errorCodes[provider][400]}`])
    }
  })

  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: one result per custom id, in submission order, never an invented success (lifecycle per run)`, async () => {
      const layer = providerLayer(provider, emulator)
      await fc.assert(
        fc.asyncProperty(emulatorScenario(provider), async (s) => {
          emulator.reset()
          const lifecycle = {
            statusCalls: s.statusCalls,
            outcome: s.outcome,
            processed: s.processed,
            errors: s.errors,
            order: s.order,
            duplicate: s.duplicate,
            omit: s.omit,
            unprocessedLines: s.unprocessedLines,
            linesPerChunk: s.linesPerChunk
          }
          if (provider === "openai") {
            openAiBatchEmulator(emulator).reset()
            openAiBatchEmulator(emulator).lifecycle = lifecycle
          } else {
            anthropicBatchEmulator(emulator).reset()
            anthropicBatchEmulator(emulator).lifecycle = { ...lifecycle, outcome: s.outcome === "failed" ? "completed" : s.outcome }
          }
          const exit = await Effect.runPromise(
            Effect.exit(Batch.run(s.ids.map(request), { pollInterval: "1 millis", maxRequestsPerBatch: s.maxRequestsPerBatch }).pipe(Effect.provide(layer)))
          )
          const chunks = chunksOf(s.ids, s.maxRequestsPerBatch)
          expect(callsTo(emulator, batchRoutes[provider].create)).toBe(chunks.length)
          if (s.outcome === "failed") {
            expect(exitKind(exit)).toBe("fail:BatchFailedError")
            return
          }
          expect(exitKind(exit)).toBe("ok")
          const results = Exit.isSuccess(exit) ? exit.value : []
          expect(results.map((r) => r.customId)).toEqual(s.ids)
          expect(outcomes(results)).toEqual(expectedEmulator(provider, s))
          for (const r of results) if (r.isSuccessful) expect(r.response.text).toBe(`You said: question ${r.customId}`)
          expect(callsTo(emulator, batchRoutes[provider].cancel)).toBe(0)
        }),
        fcParams(30, provider === "openai" ? 2 : 3)
      )
    })
  }
})
