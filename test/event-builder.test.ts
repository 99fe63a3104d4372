/**
 * The event builder makes its per-delta events without the Schema class constructors (see
 * src/internal/eventBuilder.ts); they must be indistinguishable from constructed ones.
 */
import { describe, expect, it } from "@effect/vitest"
import { Equal, Schema } from "effect"
import { EventBuilder } from "../src/internal/eventBuilder.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { ModelResponseStreamEvent, PartDeltaEvent, TextPartDelta } from "../src/StreamEvent.js"

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
