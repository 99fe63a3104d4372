/**
 * One behaviour suite for every provider, run through the real SDK against the loopback
 * emulator: a provider's test file describes how to reach it (a {@link ProviderCase}) and calls
 * {@link providerSuite}. What every provider must do alike lives here, once:
 *
 * - request: a known question gets its answer, with the provider's name, model and usage;
 * - stream: the accumulated stream equals the non-streamed response (timestamp aside);
 * - tools: an offered tool is called with arguments from its schema, and its result is answered;
 * - errors: an HTTP status becomes the typed error of that status, for requests and streams;
 * - abort: interrupting a request or a stream being opened aborts its HTTP request;
 * - batches: a run returns one result per custom id in submission order, and interrupting a
 *   run cancels the remote batch.
 *
 * The interface is shared with other providers' cases: add optional fields only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, type Layer, Schema, Stream } from "effect"
import type { AiError } from "../../src/AiError.js"
import * as Batch from "../../src/Batch.js"
import type * as BatchModel from "../../src/BatchModel.js"
import * as LanguageModel from "../../src/LanguageModel.js"
import { ModelRequest, type ModelResponse, ToolReturnPart } from "../../src/Message.js"
import { accumulateStream } from "../../src/StreamEvent.js"
import * as Tool from "../../src/Tool.js"
import { type Emulator, type RouteKey, type Scripted, startEmulator } from "../../src/testing/Emulator.js"
import { failureOf, waitUntil, withoutTimestamp } from "./openai.js"

/** A batch as the suite inspects it on the emulator. */
export interface EmulatedBatchView {
  readonly id: string
  readonly customIds: ReadonlyArray<string>
  /** Cancel calls the emulator answered for it. */
  readonly cancelCalls: number
}

/** How the suite reaches one provider's batch API on the emulator. */
export interface BatchCase {
  /** The `BatchModel` against the emulator. */
  readonly layer: (emulator: Emulator) => Layer.Layer<BatchModel.BatchModel>
  /**
   * Batches created from now on become final after `statusCalls` status calls (a large number
   * keeps them running until cancelled).
   */
  readonly setLifecycle: (emulator: Emulator, lifecycle: { readonly statusCalls: number }) => void
  /** The batches the emulator holds, oldest first. */
  readonly batches: (emulator: Emulator) => ReadonlyArray<EmulatedBatchView>
  /** Forgets the emulator's batches (run before each test). */
  readonly reset: (emulator: Emulator) => void
}

/** How the suite reaches one provider on the emulator. */
export interface ProviderCase {
  /** The name of the describe block: "OpenAI Chat Completions", "Anthropic", ... */
  readonly name: string
  /** The provider name responses and errors carry ("openai", "anthropic", ...). */
  readonly provider: string
  /** The model the layers ask for; responses report it. */
  readonly model: string
  /**
   * The `LanguageModel` against the emulator, retries off (an error must surface at once).
   * `apiKey` replaces the case's key when given.
   */
  readonly languageModel: (emulator: Emulator, options?: { readonly apiKey?: string | undefined }) => Layer.Layer<LanguageModel.LanguageModel>
  /** The route requests go to, for scripting errors and hangs. */
  readonly requestRoute: RouteKey
  /** The route streams go to, when not the request route. */
  readonly streamRoute?: RouteKey | undefined
  /** The provider's error answer for an HTTP status (its JSON error shape). */
  readonly errorResponse: (status: number, message: string) => Scripted
  /** Extra statuses with the error tag they map to (beyond the common 400/401/403/404/429/500/503). */
  readonly extraStatuses?: ReadonlyArray<readonly [number, AiError["_tag"]]> | undefined
  /** The batch API, when the provider has one. */
  readonly batch?: BatchCase | undefined
  /**
   * Checks of a plain text response beyond the suite's own (usage details, response ids, ...).
   *
   * The suite compares streamed and non-streamed answers to the same request: the emulator's
   * route must answer identical requests alike, or name its ids after an `x-emulator-id`
   * request header, which the suite sends for those comparisons.
   */
  readonly checkResponse?: ((response: ModelResponse) => void) | undefined
}

/** The statuses every provider maps alike, with the error each must become. */
export const commonStatuses: ReadonlyArray<readonly [number, AiError["_tag"]]> = [
  [400, "InvalidRequestError"],
  [401, "AuthenticationError"],
  [403, "PermissionDeniedError"],
  [404, "NotFoundError"],
  [429, "RateLimitError"],
  [500, "ProviderUnavailableError"],
  [503, "ProviderUnavailableError"]
]

const question = [ModelRequest.userTextPrompt("What is the capital of France?")]

/**
 * Settings that make two calls get the same answer ids: routes that number their ids (the
 * Anthropic route) name them after `x-emulator-id`; routes that hash the request need nothing.
 */
const pinned = { extraHeaders: { "x-emulator-id": "suite" } }

const add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number })
})

/** Registers the shared suite for one provider. */
export const providerSuite = (provider: ProviderCase): void => {
  describe(`${provider.name}: shared provider behaviour`, () => {
    let current: Emulator | undefined
    beforeAll(async () => {
      current = await startEmulator()
    })
    afterAll(async () => {
      await current?.close()
    })
    beforeEach(() => {
      current?.reset()
      if (current !== undefined) provider.batch?.reset(current)
    })
    const emulator = (): Emulator => {
      if (current === undefined) throw new Error("the emulator is not started")
      return current
    }
    const model = () => provider.languageModel(emulator())
    const streamRoute = provider.streamRoute ?? provider.requestRoute

    describe("request", () => {
      it.effect("answers a known question with the provider's name, the model and usage", () =>
        Effect.gen(function* () {
          const response = yield* LanguageModel.request(question).pipe(Effect.provide(model()))
          expect(response.text).toContain("Paris")
          expect(response.providerName).toBe(provider.provider)
          expect(response.modelName).toContain(provider.model)
          expect(response.finishReason).toBe("stop")
          expect(response.usage.inputTokens).toBeGreaterThan(0)
          expect(response.usage.outputTokens).toBeGreaterThan(0)
          expect(response.toolCalls).toHaveLength(0)
          provider.checkResponse?.(response)
        }))

      it.effect("a rejected key is an AuthenticationError that does not repeat the key", () =>
        Effect.gen(function* () {
          const exit = yield* Effect.exit(LanguageModel.request(question).pipe(Effect.provide(provider.languageModel(emulator(), { apiKey: "invalid-key-for-suite" }))))
          const error = failureOf(exit) as AiError
          expect(error._tag).toBe("AuthenticationError")
          expect(JSON.stringify(error)).not.toContain("invalid-key-for-suite")
        }))
    })

    describe("stream", () => {
      it.effect("accumulates to the non-streamed response", () =>
        Effect.gen(function* () {
          const direct = yield* LanguageModel.request(question, { settings: pinned }).pipe(Effect.provide(model()))
          const streamed = yield* accumulateStream(LanguageModel.requestStream(question, { settings: pinned })).pipe(Effect.provide(model()))
          expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(direct))
        }))

      it.effect("emits part events before the metadata, which comes last", () =>
        Effect.gen(function* () {
          const events = yield* Stream.runCollect(LanguageModel.requestStream(question)).pipe(Effect.provide(model()))
          const tags = [...events].map((e) => e._tag)
          expect(tags[0]).toBe("PartStartEvent")
          expect(tags).toContain("PartDeltaEvent")
          expect(tags).toContain("PartEndEvent")
          expect(tags.filter((t) => t === "ResponseMetadataEvent")).toHaveLength(1)
          expect(tags.at(-1)).toBe("ResponseMetadataEvent")
        }))
    })

    describe("tools", () => {
      const parameters = { functionTools: [add] }
      const prompt = [ModelRequest.userTextPrompt("What is 2 plus 3? Use the tool.")]

      it.effect("calls an offered tool with arguments from its schema, then answers its result", () =>
        Effect.gen(function* () {
          const first = yield* LanguageModel.request(prompt, { parameters }).pipe(Effect.provide(model()))
          expect(first.finishReason).toBe("tool_call")
          const [call] = first.toolCalls
          expect(call?.toolName).toBe("add")
          expect(call?.argsAsObject).toEqual({ a: 2, b: 3 })
          const back = new ModelRequest({ parts: [new ToolReturnPart({ toolName: "add", content: "5", toolCallId: call!.toolCallId })] })
          const second = yield* LanguageModel.request([...prompt, first, back], { parameters }).pipe(Effect.provide(model()))
          expect(second.text).toContain("5")
          expect(second.toolCalls).toHaveLength(0)
        }))

      it.effect("streams a tool call that accumulates to the non-streamed one", () =>
        Effect.gen(function* () {
          const direct = yield* LanguageModel.request(prompt, { parameters, settings: pinned }).pipe(Effect.provide(model()))
          const streamed = yield* accumulateStream(LanguageModel.requestStream(prompt, { parameters, settings: pinned })).pipe(Effect.provide(model()))
          expect(withoutTimestamp(streamed)).toEqual(withoutTimestamp(direct))
          expect(streamed.toolCalls[0]?.argsAsObject).toEqual({ a: 2, b: 3 })
        }))
    })

    describe("errors", () => {
      for (const [status, tag] of [...commonStatuses, ...(provider.extraStatuses ?? [])]) {
        it.effect(`a ${status} is a ${tag}, for a request and a stream`, () =>
          Effect.gen(function* () {
            emulator().script(provider.requestRoute, provider.errorResponse(status, `suite: scripted ${status}`))
            const exit = yield* Effect.exit(LanguageModel.request(question).pipe(Effect.provide(model())))
            const error = failureOf(exit) as AiError
            expect(error._tag).toBe(tag)
            expect(error).toMatchObject({ provider: provider.provider })
            emulator().script(streamRoute, provider.errorResponse(status, `suite: scripted ${status}`))
            const streamExit = yield* Effect.exit(Stream.runDrain(LanguageModel.requestStream(question)).pipe(Effect.provide(model())))
            expect((failureOf(streamExit) as AiError)._tag).toBe(tag)
          }))
      }
    })

    describe("abort", () => {
      const hangOnce = (route: RouteKey) => {
        let arrived = false
        emulator().script(route, () => {
          arrived = true
          return { fault: "hang" }
        })
        return () => arrived
      }

      it.live("interrupting a request aborts its HTTP request", () =>
        Effect.gen(function* () {
          const arrived = hangOnce(provider.requestRoute)
          const fiber = yield* LanguageModel.request(question).pipe(Effect.provide(model()), Effect.fork)
          yield* waitUntil(arrived, 5_000, "the request to arrive")
          const exit = yield* Fiber.interrupt(fiber)
          expect(Exit.isInterrupted(exit)).toBe(true)
          yield* waitUntil(() => emulator().aborted.length === 1, 5_000, "the emulator to see the abort")
        }))

      it.live("interrupting a stream being opened aborts its HTTP request", () =>
        Effect.gen(function* () {
          const arrived = hangOnce(streamRoute)
          const fiber = yield* Stream.runDrain(LanguageModel.requestStream(question)).pipe(Effect.provide(model()), Effect.fork)
          yield* waitUntil(arrived, 5_000, "the stream request to arrive")
          yield* Fiber.interrupt(fiber)
          yield* waitUntil(() => emulator().aborted.length === 1, 5_000, "the emulator to see the abort")
        }))
    })

    const batch = provider.batch
    if (batch !== undefined) {
      describe("batch lifecycle", () => {
        const requests = ["first", "second", "third", "fourth"].map((customId, i) => ({
          customId,
          messages: [ModelRequest.userTextPrompt(i % 2 === 0 ? "What is the capital of France?" : "What is 2 + 2?")]
        }))

        it.live("a run returns one result per custom id, in submission order", () =>
          Effect.gen(function* () {
            batch.setLifecycle(emulator(), { statusCalls: 2 })
            const results = yield* Batch.run(requests, { pollInterval: "5 millis" }).pipe(Effect.provide(batch.layer(emulator())))
            expect(results.map((r) => r.customId)).toEqual(requests.map((r) => r.customId))
            for (const [i, result] of results.entries()) {
              expect(result.isSuccessful).toBe(true)
              if (result.isSuccessful) {
                expect(result.response.providerName).toBe(provider.provider)
                expect(result.response.text).toContain(i % 2 === 0 ? "Paris" : "4")
              }
            }
            const [created] = batch.batches(emulator())
            expect(created?.customIds).toEqual(requests.map((r) => r.customId))
            expect(created?.cancelCalls).toBe(0)
          }))

        it.live("interrupting a run cancels the remote batch", () =>
          Effect.gen(function* () {
            batch.setLifecycle(emulator(), { statusCalls: 1_000_000 })
            const fiber = yield* Batch.run(requests, { pollInterval: "5 millis" }).pipe(Effect.provide(batch.layer(emulator())), Effect.fork)
            yield* waitUntil(() => batch.batches(emulator()).length === 1, 5_000, "the batch to be created")
            const exit = yield* Fiber.interrupt(fiber)
            expect(Exit.isInterrupted(exit)).toBe(true)
            expect(batch.batches(emulator())[0]?.cancelCalls).toBeGreaterThanOrEqual(1)
          }))
      })
    }
  })
}
