/**
 * Property: for the same emulator output, the streamed events add up (StreamEvent.accumulate) to
 * the non-streamed response, timestamps aside. The emulator's ids are a function of the request,
 * so both calls get the same answer, ids included.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import fc from "fast-check"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest } from "../src/Message.js"
import type { ModelSettings } from "../src/Parameters.js"
import { accumulate } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { modelLayer, useEmulator, withoutTimestamp } from "./helpers/openai.js"

const emulator = useEmulator()

const tools = [
  Tool.make("divide", { description: "Divide.", parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number }) }),
  Tool.make("capital", { parameters: Schema.Struct({ country: Schema.String, verbose: Schema.Boolean }) }),
  Tool.make("tags", { parameters: Schema.Struct({ tags: Schema.Array(Schema.String), level: Schema.Literal("low", "high") }), strict: true })
]

const prompts = [
  "What is the capital of France?",
  "Who was Albert Einstein?",
  "What is 2 + 2?",
  "Explain photosynthesis.",
  "[refuse] something",
  "Divide 144 by 12 please"
]

const scenario = fc.record({
  prompt: fc.oneof(fc.constantFrom(...prompts), fc.string({ minLength: 1, maxLength: 30 })),
  functionTools: fc.subarray(tools.slice(0, 2)),
  outputTools: fc.subarray(tools.slice(2)),
  allowTextOutput: fc.boolean(),
  allTools: fc.boolean(),
  deltas: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
  maxTokens: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  stop: fc.option(fc.constantFrom("is", "Paris", "e"), { nil: undefined }),
  cached: fc.nat({ max: 5 }),
  reasoning: fc.nat({ max: 50 })
})

describe("OpenAI stream ≡ request", () => {
  it.live("accumulate(stream events) equals the non-streamed response for the same output", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const messages = [ModelRequest.userTextPrompt(s.prompt)]
          const headers: Record<string, string> = {
            "x-emulator-cached-tokens": String(s.cached),
            "x-emulator-reasoning-tokens": String(s.reasoning),
            ...(s.deltas !== undefined ? { "x-emulator-deltas": String(s.deltas) } : {}),
            ...(s.allTools ? { "x-emulator-tool-calls": "all" } : {})
          }
          const settings: ModelSettings = {
            extraHeaders: headers,
            ...(s.maxTokens !== undefined ? { maxTokens: s.maxTokens } : {}),
            ...(s.stop !== undefined ? { stopSequences: [s.stop] } : {})
          }
          const options = { parameters: { functionTools: s.functionTools, outputTools: s.outputTools, allowTextOutput: s.allowTextOutput }, settings }
          const program = Effect.gen(function* () {
            const response = yield* LanguageModel.request(messages, options)
            const events = yield* LanguageModel.requestStream(messages, options).pipe(Stream.runCollect, Effect.map(Chunk.toArray))
            return { response, events }
          }).pipe(Effect.provide(modelLayer(emulator(), { retry: false })))
          const { response, events } = await Effect.runPromise(program)
          expect(withoutTimestamp(accumulate(events))).toEqual(withoutTimestamp(response))
          expect(events.at(-1)?._tag).toBe("ResponseMetadataEvent")
          // both really went over the wire, one of them streamed
          const [plain, streamed] = emulator().requests.slice(-2)
          expect(plain?.body).not.toHaveProperty("stream")
          expect(streamed?.body).toHaveProperty("stream", true)
        }),
        { numRuns: 60 }
      )
    ))
})
