import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { EventBuilder, responseToEvents } from "../src/internal/stream/eventBuilder.js"
import { ModelResponse, TextPart, ThinkingPart, ToolCallPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { accumulate, accumulateStream, FinalResultEvent, PartDeltaEvent, PartEndEvent, PartStartEvent, ResponseMetadataEvent, TextPartDelta } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"
import { RequestUsage } from "../src/Usage.js"

const meta = new ResponseMetadataEvent({ modelName: "m", providerName: "p", providerResponseId: "r1", finishReason: "stop", usage: new RequestUsage({ inputTokens: 3, outputTokens: 4 }) })

describe("StreamEvent", () => {
  it("emits the seed's event grammar for a text answer", () => {
    const b = new EventBuilder(ModelRequestParameters.from())
    const events = [...b.text("c", "Albert Einstein was "), ...b.text("c", "a German-born theoretical "), ...b.text("c", "physicist."), ...b.finish(meta)]
    expect(events).toEqual([
      new PartStartEvent({ index: 0, part: new TextPart({ content: "Albert Einstein was " }) }),
      new FinalResultEvent({}),
      new PartDeltaEvent({ index: 0, delta: new TextPartDelta({ contentDelta: "a German-born theoretical " }) }),
      new PartDeltaEvent({ index: 0, delta: new TextPartDelta({ contentDelta: "physicist." }) }),
      new PartEndEvent({ index: 0, part: new TextPart({ content: "Albert Einstein was a German-born theoretical physicist." }) }),
      meta
    ])
    const response = accumulate(events)
    expect(response.text).toBe("Albert Einstein was a German-born theoretical physicist.")
    expect(response.usage.outputTokens).toBe(4)
    expect(response.providerResponseId).toBe("r1")
  })

  it("announces the final result on an output-tool call, not on a function tool", () => {
    const out = Tool.fromJsonSchema({ name: "final", parametersJsonSchema: { type: "object" } })
    const fn = Tool.fromJsonSchema({ name: "fn", parametersJsonSchema: { type: "object" } })
    const b = new EventBuilder(ModelRequestParameters.from({ functionTools: [fn], outputTools: [out], allowTextOutput: false }))
    const events = [
      ...b.toolCall("0", { toolName: "fn", toolCallId: "a", args: "{\"x\":" }),
      ...b.toolCall("0", { args: "1}" }),
      ...b.toolCall("1", { toolName: "final", toolCallId: "b", args: "" }),
      ...b.toolCall("1", { args: "{}" }),
      ...b.finish(meta)
    ]
    const finals = events.filter((e) => e._tag === "FinalResultEvent")
    expect(finals).toEqual([new FinalResultEvent({ toolName: "final", toolCallId: "b" })])
    expect(accumulate(events).parts).toEqual([
      new ToolCallPart({ toolName: "fn", args: { x: 1 }, toolCallId: "a" }),
      new ToolCallPart({ toolName: "final", args: {}, toolCallId: "b" })
    ])
  })

  it.effect("responseToEvents accumulates back to the response", () =>
    Effect.gen(function* () {
      const response = new ModelResponse({
        parts: [new ThinkingPart({ content: "let me think", signature: "sig" }), new TextPart({ content: "Hello world" }), new ToolCallPart({ toolName: "t", args: { a: [1, 2] }, toolCallId: "id" })],
        usage: new RequestUsage({ inputTokens: 1, outputTokens: 2 }),
        modelName: "m",
        providerName: "p",
        finishReason: "tool_call",
        timestamp: new Date(0)
      })
      const events = responseToEvents(response, ModelRequestParameters.from(), 3)
      const back = yield* accumulateStream(Stream.fromIterable(events))
      expect({ ...back, timestamp: 0 }).toEqual({ ...response, timestamp: 0 })
      expect(events.filter((e) => e._tag === "PartDeltaEvent").length).toBeGreaterThan(3)
    }))

  it("keeps invalid JSON arguments as the raw string", () => {
    const b = new EventBuilder(ModelRequestParameters.from())
    const events = [...b.toolCall("0", { toolName: "t", toolCallId: "a", args: "{not json" }), ...b.finish(meta)]
    expect(accumulate(events).toolCalls[0]?.args).toBe("{not json")
  })
})
