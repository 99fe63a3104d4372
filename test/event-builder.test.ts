/**
 * The event builder makes its per-delta events without the Schema class constructors (see
 * src/internal/stream/eventBuilder.ts); they must be indistinguishable from constructed ones.
 */
import { describe, expect, it } from "@effect/vitest"
import { Equal, Schema } from "effect"
import { EventBuilder, responseToEvents } from "../src/internal/stream/eventBuilder.js"
import { ModelResponse, TextPart, ThinkingPart, ToolCallPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { accumulate, ModelResponseStreamEvent, PartDeltaEvent, TextPartDelta } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { RequestUsage } from "../src/Usage.js"

describe("EventBuilder text deltas", () => {
  it("are the same as class-constructed PartDeltaEvent / TextPartDelta instances", () => {
    const builder = new EventBuilder(ModelRequestParameters.from(undefined))
    builder.text("0", "Hello")
    const [event] = builder.text("0", ", world")
    const constructed = new PartDeltaEvent({ index: 0, delta: new TextPartDelta({ contentDelta: ", world" }) })
    expect(event).toBeInstanceOf(PartDeltaEvent)
    expect(event?._tag === "PartDeltaEvent" && event.delta).toBeInstanceOf(TextPartDelta)
    expect(Reflect.ownKeys(event!)).toEqual(Reflect.ownKeys(constructed))
    expect(Reflect.ownKeys((event as PartDeltaEvent).delta)).toEqual(Reflect.ownKeys(constructed.delta))
    expect(Equal.equals(event, constructed)).toBe(true)
    expect(JSON.stringify(event)).toBe(JSON.stringify(constructed))
    expect(String(event)).toBe(String(constructed))
    expect(Schema.is(ModelResponseStreamEvent)(event)).toBe(true)
    expect(Schema.encodeSync(ModelResponseStreamEvent)(event!)).toEqual(Schema.encodeSync(ModelResponseStreamEvent)(constructed))
    expect(Schema.decodeUnknownSync(ModelResponseStreamEvent)(Schema.encodeSync(ModelResponseStreamEvent)(event!))).toEqual(constructed)
  })
})

describe("EventBuilder events", () => {
  it("equal validated constructions: same classes and fields, keys in the same order", () => {
    // the builder constructs every event and part without validation; decoding an event's encoding
    // constructs it again through the schemas (validated, fields in the schema's order)
    const response = new ModelResponse({
      parts: [
        new ThinkingPart({ content: "hmm, let me see", signature: "sig" }),
        new TextPart({ content: "Hello, world" }),
        new ToolCallPart({ toolName: "final", args: { a: 1 }, toolCallId: "c1" })
      ],
      usage: new RequestUsage({ inputTokens: 3, outputTokens: 5, details: { reasoning_tokens: 2 } }),
      modelName: "m",
      providerName: "p",
      providerResponseId: "r",
      finishReason: "tool_call"
    })
    const output = Tool.fromJsonSchema({ name: "final", parametersJsonSchema: { type: "object" } })
    for (const parameters of [ModelRequestParameters.from(undefined), ModelRequestParameters.from({ outputTools: [output], allowTextOutput: false })]) {
      const events = responseToEvents(response, parameters, 3)
      expect(new Set(events.map((e) => e._tag))).toEqual(new Set(["PartStartEvent", "PartDeltaEvent", "PartEndEvent", "FinalResultEvent", "ResponseMetadataEvent"]))
      for (const event of events) {
        const validated = Schema.decodeUnknownSync(ModelResponseStreamEvent)(Schema.encodeSync(ModelResponseStreamEvent)(event))
        expect(event).toStrictEqual(validated)
        expect(JSON.stringify(event)).toBe(JSON.stringify(validated))
      }
      const accumulated = accumulate(events)
      expect(accumulated).toStrictEqual(new ModelResponse({ ...response, timestamp: accumulated.timestamp }))
    }
  })
})
