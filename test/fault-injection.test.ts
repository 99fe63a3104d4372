/**
 * Fault injection on the emulator, through the real SDKs, table-driven over both providers and
 * every call of a batch's life — upload (OpenAI files), create, poll, download, cancel — with
 * 429 (retry-after), 500, 503, 529 (Anthropic), connection reset, a hang past the SDK's request
 * timeout, and a malformed body. Each case asserts: no crash (success or a typed failure), no
 * resubmission (the provider holds at most one batch, created by one accepted create), a typed
 * error where the library gives up, and no batch left running. Then interruption: at each
 * stage, and at random moments of split runs, every batch created ends cancelled. Last, direct
 * requests and streams: each fault once, then an answer (retried; a stream only while it
 * opens), and a stream broken after its first events is never sent again; and a provider that
 * echoes a rejected key back, which must leave it in no error, log line or span.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Logger, Stream } from "effect"
import fc from "fast-check"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import * as Retry from "../src/Retry.js"
import { accumulate } from "../src/StreamEvent.js"
import { messagesHandler } from "../src/testing/emulator/anthropic.js"
import { chatCompletions } from "../src/testing/emulator/openai.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import {
  batchRoutes,
  callsTo,
  defaultHandler,
  emulatedBatches,
  exitKind,
  faultScript,
  type FaultName,
  fcParams,
  outcomes,
  type ProviderName,
  providerLayer,
  realSleep,
  resetEmulator,
  type Route,
  routeKey,
  type Stage,
  stagesOf,
  waitUntil
} from "./helpers/reliability.js"
import { withSpans } from "./telemetry-helpers.js"

/**
 * The SDK's own request timeout, in seconds, in a case that injects a hang: the hang ends with
 * a RequestTimeoutError after it. Other cases use a generous one, so that no ordinary call
 * reaches it on a loaded machine (0.25 s for every case once did).
 */
const HANG_TIMEOUT = 0.5
const ORDINARY_TIMEOUT = 10
const timeoutFor = (fault: FaultName | undefined) => (fault === "hang" ? HANG_TIMEOUT : ORDINARY_TIMEOUT)
/** Four retries, quickly: the faults here are single, and retry-after is honoured on top. */
const retry = Retry.policy({ base: "10 millis" })

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator.close()
})

const ids = ["r1", "r2", "r3"]
const requests = ids.map((id) => ({ customId: id, messages: [ModelRequest.userTextPrompt(`question ${id}`)] }))
const allOk = ids.map((id) => `${id}:ok`)

// the cancel that gives up logs a warning; keep the test output clean
const quiet = Logger.replace(Logger.defaultLogger, Logger.none)

const layerFor = (provider: ProviderName, fault?: FaultName): Layer.Layer<LanguageModel.LanguageModel | BatchModel> =>
  Layer.merge(providerLayer(provider, emulator, { timeout: timeoutFor(fault) }), quiet)

const runBatch = (provider: ProviderName, options: Batch.RunOptions & { readonly resumeKey?: undefined } = {}, fault?: FaultName) =>
  Batch.run(requests, { pollInterval: "5 millis", retry, ...options }).pipe(Effect.provide(layerFor(provider, fault)))

/** The typed error a single failed call becomes. */
const tagOf: Record<FaultName, string> = {
  "429": "RateLimitError",
  "500": "ProviderUnavailableError",
  "503": "ProviderUnavailableError",
  "529": "ProviderUnavailableError",
  reset: "ConnectionError",
  hang: "RequestTimeoutError",
  malformed: "ResponseDecodeError"
}

const faultsOf = (provider: ProviderName): ReadonlyArray<FaultName> =>
  provider === "openai" ? ["429", "500", "503", "reset", "hang", "malformed"] : ["429", "500", "503", "529", "reset", "hang", "malformed"]

/** What one fault at one stage must lead to. */
interface Expected {
  /** "ok" with every result, or "fail:<Tag>" */
  readonly exit: string
  /** Batches the provider holds afterwards (never more than one: no resubmission). */
  readonly batches: number
  /** Whether the batch (if any) must have been cancelled. */
  readonly cancelled: boolean
}

const expected = (stage: Stage, fault: FaultName): Expected => {
  const transient = fault !== "malformed"
  switch (stage) {
    case "upload":
    case "create":
      // only a rate-limited create is submitted again: after anything else a batch may exist
      return fault === "429" ? { exit: "ok", batches: 1, cancelled: false } : { exit: `fail:${tagOf[fault]}`, batches: 0, cancelled: false }
    case "poll":
      // a malformed status cannot be retried into sense: the run fails, and cancels the batch
      return transient ? { exit: "ok", batches: 1, cancelled: false } : { exit: "fail:ResponseDecodeError", batches: 1, cancelled: true }
    case "download":
      // the batch is complete: nothing to cancel; a malformed file fails the run with the place
      return transient ? { exit: "ok", batches: 1, cancelled: false } : { exit: "fail:ResponseDecodeError", batches: 1, cancelled: false }
    case "cancel":
      // a transient fault is retried until the cancel lands; a 200 with an unreadable body means
      // the provider took the cancel (it is not sent again)
      return { exit: "interrupt", batches: 1, cancelled: true }
  }
}

const cases = (["openai", "anthropic"] as const).flatMap((provider) =>
  stagesOf(provider).flatMap((stage) => faultsOf(provider).map((fault) => ({ provider, stage, fault }))))

describe("a fault at each call of the lifecycle", () => {
  it.each(cases)("$provider $stage: $fault", async ({ fault, provider, stage }) => {
    // polled twice before it completes, so a poll and a download always happen
    resetEmulator(emulator, provider, stage === "cancel" ? { statusCalls: 1000 } : { statusCalls: 2 })
    if (stage === "cancel" && fault === "malformed") {
      // the cancel is done, its answer garbled on the way back
      const handler = defaultHandler(emulator, provider, stage)
      emulator.script(routeKey(provider, stage), async (request) => ({ ...(await handler(request)), fault: "malformed-json" as const }))
    } else {
      // in front of the provider: nothing is processed
      emulator.script(routeKey(provider, stage), faultScript(provider, fault))
    }
    const routes = batchRoutes[provider]
    const want = expected(stage, fault)

    let exit: Exit.Exit<ReadonlyArray<Batch.BatchResult>, unknown>
    if (stage === "cancel") {
      // the cancel runs when the program is interrupted while the batch runs
      exit = await Effect.runPromise(Effect.gen(function* () {
        const fiber = yield* Effect.fork(runBatch(provider, {}, fault))
        yield* waitUntil(() => callsTo(emulator, routes.poll) >= 2, "two polls")
        return yield* Fiber.interrupt(fiber)
      }))
      // a transient fault is retried until the cancel lands; a 200 that cannot be read is not resent
      expect(callsTo(emulator, routes.cancel)).toBe(fault === "malformed" ? 1 : 2)
    } else {
      exit = await Effect.runPromise(Effect.exit(runBatch(provider, {}, fault)))
    }

    expect(exitKind(exit)).toBe(want.exit)
    if (Exit.isSuccess(exit)) expect(outcomes(exit.value)).toEqual(allOk)
    const batches = emulatedBatches(emulator, provider)
    expect(batches).toHaveLength(want.batches)
    // no resubmission: one accepted create, plus the one a 429 refused
    expect(callsTo(emulator, routes.create)).toBe(stage === "create" && fault === "429" ? 2 : stage === "upload" && fault !== "429" ? 0 : 1)
    for (const b of batches) {
      expect(b.cancelled).toBe(want.cancelled)
      // none left running: final on its own, or cancelled
      expect(b.final || b.cancelled).toBe(true)
    }
  })
})

describe("a fault that does not go away: a typed error once retries are spent", () => {
  const persistent = (["openai", "anthropic"] as const).flatMap((provider) =>
    (["poll", "download"] as const).flatMap((stage) => (["503", "reset"] as const).map((fault) => ({ provider, stage, fault }))))

  it.each(persistent)("$provider $stage: $fault every time", async ({ fault, provider, stage }) => {
    resetEmulator(emulator, provider, { statusCalls: 1 })
    emulator.script(routeKey(provider, stage), ...Array.from({ length: 10 }, () => faultScript(provider, fault)))
    const exit = await Effect.runPromise(Effect.exit(runBatch(provider)))
    expect(exitKind(exit)).toBe(`fail:${tagOf[fault]}`)
    // one attempt and the policy's four retries
    expect(callsTo(emulator, batchRoutes[provider][stage])).toBe(5)
    expect(callsTo(emulator, batchRoutes[provider].create)).toBe(1)
    const [batch] = emulatedBatches(emulator, provider)
    // a batch that was still running is cancelled; a complete one has nothing to cancel
    expect(batch!.cancelled).toBe(stage === "poll")
    expect(batch!.final || batch!.cancelled).toBe(true)
  })
})

describe("a create whose answer is lost after the provider made the batch", () => {
  const lost = (["openai", "anthropic"] as const).flatMap((provider) => (["reset", "hang", "malformed"] as const).map((fault) => ({ provider, fault })))

  it.each(lost)("$provider create processed, then $fault: a typed error and no second batch", async ({ fault, provider }) => {
    resetEmulator(emulator, provider, { statusCalls: 2 })
    const handler = defaultHandler(emulator, provider, "create")
    emulator.script(routeKey(provider, "create"), async (request) => ({ ...(await handler(request)), fault: faultScript(provider, fault).fault }))
    const exit = await Effect.runPromise(Effect.exit(runBatch(provider, {}, fault)))
    expect(exitKind(exit)).toBe(`fail:${tagOf[fault]}`)
    // the library cannot know this batch's id (the answer never arrived), and never submits twice
    expect(callsTo(emulator, batchRoutes[provider].create)).toBe(1)
    expect(emulatedBatches(emulator, provider)).toHaveLength(1)
  })
})

describe("interruption at each stage", () => {
  const stages = (["openai", "anthropic"] as const).flatMap((provider) =>
    stagesOf(provider).filter((s) => s !== "cancel").map((stage) => ({ provider, stage })))

  it.each(stages)("$provider: interrupted while $stage is on the wire, every batch created ends cancelled or complete", async ({ provider, stage }) => {
    resetEmulator(emulator, provider, { statusCalls: stage === "download" ? 1 : 1000 })
    const handler = defaultHandler(emulator, provider, stage)
    const route = (batchRoutes[provider] as Record<string, Route>)[stage]!
    // the call does its work at once but answers late, so the interruption lands while it is on the wire
    emulator.script(routeKey(provider, stage), async (request) => ({ ...(await handler(request)), delayMs: 150 }))
    const exit = await Effect.runPromise(Effect.gen(function* () {
      const fiber = yield* Effect.fork(runBatch(provider))
      yield* waitUntil(() => callsTo(emulator, route) >= 1, `the ${stage} call`)
      return yield* Fiber.interrupt(fiber)
    }))
    expect(exitKind(exit)).toBe("interrupt")
    const batches = emulatedBatches(emulator, provider)
    // upload and create cannot be cut half-way: the batch exists, and is cancelled
    expect(batches).toHaveLength(1)
    expect(callsTo(emulator, batchRoutes[provider].create)).toBe(1)
    const [batch] = batches
    if (stage === "download") {
      // complete: nothing to cancel; the download itself was aborted
      expect(batch!.final).toBe(true)
      expect(batch!.cancelCalls).toBe(0)
      await Effect.runPromise(waitUntil(() => emulator.aborted.some((r) => route.path.test(r.path)), "the aborted download"))
    } else {
      expect(batch!.cancelled).toBe(true)
      expect(batch!.cancelCalls).toBe(1)
    }
  })

  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: interrupted at a random moment of a split run, each batch is created once and none is left running`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            stopAfterMs: fc.integer({ min: 0, max: 120 }),
            createDelayMs: fc.integer({ min: 0, max: 40 }),
            statusCalls: fc.integer({ min: 1, max: 12 })
          }),
          async ({ createDelayMs, statusCalls, stopAfterMs }) => {
            resetEmulator(emulator, provider, { statusCalls })
            const create = defaultHandler(emulator, provider, "create")
            emulator.setHandler(routeKey(provider, "create"), async (request) => ({ ...(await create(request)), delayMs: createDelayMs }))
            const exit = await Effect.runPromise(Effect.gen(function* () {
              const fiber = yield* Effect.fork(runBatch(provider, { maxRequestsPerBatch: 1, pollInterval: "10 millis" }))
              yield* realSleep(stopAfterMs)
              return yield* Fiber.interrupt(fiber)
            }))
            expect(["ok", "interrupt"]).toContain(exitKind(exit))
            const batches = emulatedBatches(emulator, provider)
            // one create per provider batch (three at most), never a second for the same requests
            expect(callsTo(emulator, batchRoutes[provider].create)).toBe(batches.length)
            expect(new Set(batches.flatMap((b) => b.customIds)).size).toBe(batches.flatMap((b) => b.customIds).length)
            for (const b of batches) expect(`${b.id}:${b.final || b.cancelled}`).toBe(`${b.id}:true`)
          }
        ),
        fcParams(12, provider === "openai" ? 10 : 11)
      )
    })
  }
})

describe("direct requests and streams: a fault, then the provider answers", () => {
  const chatRoute = { openai: "POST /v1/chat/completions", anthropic: "POST /v1/messages" } as const
  const messages = [ModelRequest.userTextPrompt("question direct")]
  const answer = "You said: question direct"
  const kinds = ["request", "stream"] as const
  const directCases = (["openai", "anthropic"] as const).flatMap((provider) =>
    kinds.flatMap((kind) => faultsOf(provider).map((fault) => ({ provider, kind, fault }))))

  const call = (provider: ProviderName, kind: "request" | "stream", fault: FaultName) => {
    const options = { retry }
    const effect = kind === "request"
      ? Effect.map(LanguageModel.request(messages, options), (r) => r.text)
      : Effect.map(Stream.runCollect(LanguageModel.requestStream(messages, options)), (events) => accumulate(events).text)
    return Effect.runPromise(Effect.exit(effect.pipe(Effect.provide(layerFor(provider, fault)))))
  }

  it.each(directCases)("$provider $kind: $fault", async ({ fault, kind, provider }) => {
    emulator.reset()
    emulator.script(chatRoute[provider], faultScript(provider, fault))
    const exit = await call(provider, kind, fault)
    const requests = emulator.requests.filter((r) => `${r.method} ${r.path}` === chatRoute[provider]).length
    if (fault !== "malformed") {
      // retried (a stream while it opens), and the second attempt answers
      expect(exitKind(exit)).toBe("ok")
      expect(Exit.isSuccess(exit) && exit.value).toBe(answer)
      expect(requests).toBe(2)
    } else {
      // a 200 whose body cannot be read is not retried; a stream of it ends without an answer
      expect(kind === "request" ? ["fail:ResponseDecodeError"] : ["fail:ResponseDecodeError", "fail:ConnectionError"]).toContain(exitKind(exit))
      expect(requests).toBe(1)
    }
  })

  it.each(["openai", "anthropic"] as const)("%s: a stream that breaks after its first events is not retried (retries on): the events so far, then a typed error", async (provider) => {
    emulator.reset()
    const route = chatRoute[provider]
    const handler = provider === "openai" ? chatCompletions : messagesHandler
    // the whole answer in eight deltas, a frame every 20 ms (so the first events arrive before the
    // break; cut at once, the break can come before the headers and the open is rightly retried),
    // the connection broken after half of them
    emulator.script(route, async (request) => ({
      ...(await handler({ ...request, headers: { ...request.headers, "x-emulator-deltas": "8" } })),
      chunkDelayMs: 20,
      fault: "truncate" as const
    }))
    const seen: Array<string> = []
    const exit = await Effect.runPromise(Effect.exit(
      LanguageModel.requestStream(messages, { retry }).pipe(
        Stream.runForEach((event) => Effect.sync(() => void seen.push(event._tag))),
        Effect.provide(layerFor(provider))
      )
    ))
    expect(exitKind(exit)).toBe("fail:ConnectionError")
    expect(seen.length).toBeGreaterThan(0)
    expect(emulator.requests.filter((r) => `${r.method} ${r.path}` === route)).toHaveLength(1)
  })
})

describe("a provider that echoes the key back", () => {
  it.each(["openai", "anthropic"] as const)("%s: a rejected key is in no error, log line or span of a request, a stream or a batch run", async (provider) => {
    emulator.reset()
    const key = `${provider}-invalid-key-3e8d1f92ab`
    // the emulator's 401 carries the key it was given (so this test can fail)
    const probe = await fetch(provider === "openai" ? `${emulator.openaiBaseURL}/chat/completions` : `${emulator.anthropicBaseURL}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(provider === "openai" ? { authorization: `Bearer ${key}` } : { "x-api-key": key }) },
      body: "{}"
    })
    expect(await probe.text()).toContain(key)

    const logs: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, message }) => void logs.push(JSON.stringify([message, [...annotations]]))))
    const messages = [ModelRequest.userTextPrompt("question key")]
    const program = Effect.all([
      Effect.exit(LanguageModel.request(messages, { retry: false })),
      Effect.exit(Stream.runCollect(LanguageModel.requestStream(messages, { retry: false }))),
      Effect.exit(Batch.run(requests, { retry: false }))
    ]).pipe(Effect.provide(providerLayer(provider, emulator, { apiKey: key, timeout: ORDINARY_TIMEOUT })), Effect.provide(logger))
    const { exit, spans } = await Effect.runPromise(withSpans(program))
    const exits: ReadonlyArray<Exit.Exit<unknown, unknown>> = Exit.isSuccess(exit) ? exit.value : []
    expect(exits.map(exitKind)).toEqual(["fail:AuthenticationError", "fail:AuthenticationError", "fail:AuthenticationError"])
    const errors = exits.flatMap((e) => {
      const failure = Exit.isFailure(e) ? Cause.failureOption(e.cause) : undefined
      return Exit.isFailure(e) ? [Cause.pretty(e.cause), String(failure), JSON.stringify(failure)] : []
    })
    expect(spans.length).toBeGreaterThan(0)
    const traced = spans.map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }))
    for (const text of [...errors, ...logs, ...traced]) expect(text).not.toContain(key)
  })
})
