/**
 * The Anthropic codec on its own: pure functions, no server.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import fc from "fast-check"
import type { CallContext } from "../src/LanguageModel.js"
import {
  BinaryContent,
  BuiltinToolCallPart,
  ImageUrl,
  ModelRequest,
  ModelResponse,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolReturnPart,
  UserPromptPart
} from "../src/Message.js"
import { ModelRequestParameters, type ModelRequestParametersInput, type ModelSettings } from "../src/Parameters.js"
import {
  decodeMessage,
  defaultMaxTokens,
  encodeMessages,
  encodeRequest,
  finishReason,
  redactedThinkingPrefix,
  supportedSettings
} from "../src/providers/anthropic/codec.js"
import { StreamDecoder } from "../src/providers/anthropic/streamDecoder.js"
import * as StreamEvent from "../src/StreamEvent.js"
import { RequestUsage } from "../src/Usage.js"
import * as Tool from "../src/Tool.js"
import { fcParams } from "./helpers/reliability.js"
import { garbageOr } from "./helpers/reliability-fuzz.js"

const context = (parameters?: ModelRequestParametersInput, settings: ModelSettings = {}): CallContext => ({
  parameters: ModelRequestParameters.from(parameters),
  settings
})
const encode = (messages: ReadonlyArray<ModelRequest | ModelResponse>, parameters?: ModelRequestParametersInput, settings?: ModelSettings) =>
  Either.getOrThrow(encodeRequest("claude-haiku-4-5", messages, context(parameters, settings)))
const response = (...parts: ReadonlyArray<TextPart | ThinkingPart>) => new ModelResponse({ parts, modelName: "m", providerName: "anthropic" })
const user = (content: ConstructorParameters<typeof UserPromptPart>[0]["content"]) => new ModelRequest({ parts: [new UserPromptPart({ content })] })
const tool = Tool.fromJsonSchema({ name: "t", parametersJsonSchema: { type: "object", properties: {} }, strict: true })

const message = (overrides: Record<string, unknown> = {}) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-x",
  content: [{ type: "text", text: "hi" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 2, cache_creation: { ephemeral_5m_input_tokens: 2, ephemeral_1h_input_tokens: 0 } },
  ...overrides
})

describe("Anthropic codec: user content", () => {
  it("maps text, image URLs, PDF URLs, inline images, PDFs and text files", () => {
    const png = new BinaryContent({ data: new Uint8Array([137, 80, 78, 71]), mediaType: "image/png" })
    const pdf = new BinaryContent({ data: new Uint8Array([37, 80, 68, 70]), mediaType: "application/pdf" })
    const txt = new BinaryContent({ data: new TextEncoder().encode("notes"), mediaType: "text/plain" })
    const encoded = Either.getOrThrow(encodeMessages([
      user(["look:", new ImageUrl({ url: "https://x/cat.jpg" }), new ImageUrl({ url: "https://x/paper.pdf" }), png, pdf, txt])
    ]))
    expect(encoded.messages[0]?.content).toEqual([
      { type: "text", text: "look:" },
      { type: "image", source: { type: "url", url: "https://x/cat.jpg" } },
      { type: "document", source: { type: "url", url: "https://x/paper.pdf" } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: png.base64 } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf.base64 } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } }
    ])
  })

  it("refuses inline content Anthropic cannot take, saying what it takes", () => {
    const result = encodeMessages([user([new BinaryContent({ data: new Uint8Array([1]), mediaType: "audio/wav" })])])
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("InvalidInputError")
      expect(result.left.message).toContain("audio/wav")
      expect(result.left.message).toContain("PNG")
    }
  })
})

describe("Anthropic codec: history", () => {
  it("merges consecutive turns of one role and puts tool results first", () => {
    const encoded = Either.getOrThrow(encodeMessages([
      user("a"),
      user("b"),
      response(new TextPart({ content: "c" })),
      response(new TextPart({ content: "" }), new TextPart({ content: "d" })),
      new ModelRequest({ parts: [new UserPromptPart({ content: "e" }), new ToolReturnPart({ toolName: "t", content: 1, toolCallId: "x" })] })
    ]))
    expect(encoded.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [{ type: "text", text: "c" }, { type: "text", text: "d" }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "x", content: "1", is_error: false }, { type: "text", text: "e" }] }
    ])
    expect(encoded.system).toBeUndefined()
  })

  it("uses the instructions of the newest request only, before the system prompts", () => {
    const encoded = Either.getOrThrow(encodeMessages([
      new ModelRequest({ parts: [new UserPromptPart({ content: "a" })], instructions: "old" }),
      response(new TextPart({ content: "b" })),
      new ModelRequest({ parts: [new UserPromptPart({ content: "c" })], instructions: "new" })
    ]))
    expect(encoded.system).toBe("new")
  })

  it("sends signed thinking back as thinking, redacted as redacted, and omitted-display thinking with its signature", () => {
    const warnings: Array<string> = []
    const encoded = Either.getOrThrow(encodeMessages([
      user("q"),
      response(
        new ThinkingPart({ content: "t", signature: "s" }),
        new ThinkingPart({ content: "", signature: `${redactedThinkingPrefix}ENCRYPTED` }),
        new ThinkingPart({ content: "", signature: "only-signature" }),
        new ThinkingPart({ content: "" })
      )
    ], warnings))
    expect(encoded.messages[1]?.content).toEqual([
      { type: "thinking", thinking: "t", signature: "s" },
      { type: "redacted_thinking", data: "ENCRYPTED" },
      { type: "thinking", thinking: "", signature: "only-signature" }
    ])
    // the empty unsigned part is left out, but not silently
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("left out")
  })

  it("round-trips a redacted_thinking block through decode and encode", () => {
    const decoded = Either.getOrThrow(decodeMessage(message({ content: [{ type: "redacted_thinking", data: "abc==" }, { type: "text", text: "ok" }] })))
    expect(decoded.parts[0]).toEqual(new ThinkingPart({ content: "", signature: "abc==", providerName: "anthropic", redacted: true }))
    const encoded = Either.getOrThrow(encodeMessages([user("q"), decoded]))
    expect(encoded.messages[1]?.content).toEqual([{ type: "redacted_thinking", data: "abc==" }, { type: "text", text: "ok" }])
  })
})

describe("Anthropic codec: request body", () => {
  it("defaults max_tokens to 4096 and lists only the settings it maps", () => {
    expect(encode([user("x")]).body.max_tokens).toBe(defaultMaxTokens)
    expect(defaultMaxTokens).toBe(4096)
    expect(supportedSettings).not.toContain("seed")
    expect(supportedSettings).not.toContain("presencePenalty")
    expect(supportedSettings).not.toContain("frequencyPenalty")
    expect(supportedSettings).toContain("parallelToolCalls")
  })

  it("puts disable_parallel_tool_use on an auto choice, keeps strict tools, and converts the timeout to ms", () => {
    const encoded = encode([user("x")], { functionTools: [tool] }, { parallelToolCalls: false, timeout: 1.5, extraHeaders: { a: "b" } })
    expect(encoded.body.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true })
    expect(encoded.body.tools).toEqual([{ name: "t", input_schema: { type: "object", properties: {} }, strict: true }])
    expect(encoded.options).toEqual({ timeout: 1500, headers: { a: "b" } })
  })

  it("ignores toolChoice without tools (the API refuses it), with a warning", () => {
    const encoded = encode([user("x")], {}, { toolChoice: "required" })
    expect(encoded.body.tool_choice).toBeUndefined()
    expect(encoded.warnings).toEqual(["toolChoice was ignored: the request offers no tools."])
  })

  it("lets extraBody add and override fields", () => {
    const encoded = encode([user("x")], {}, { extraBody: { metadata: { user_id: "u" }, max_tokens: 7 } })
    expect(encoded.body).toMatchObject({ metadata: { user_id: "u" }, max_tokens: 7 })
  })

  it("writes the body's fields in wire order; extraBody overrides in place and appends, output_config last", () => {
    const encoded = encode([ModelRequest.userTextPrompt("x", { instructions: "be brief" })], {}, {
      stopSequences: ["END"],
      topP: 0.9,
      temperature: 0.2,
      extraBody: { temperature: 0.5, metadata: { user_id: "u" } }
    })
    expect(JSON.stringify(encoded.body)).toBe(
      '{"model":"claude-haiku-4-5","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],' +
        '"system":"be brief","temperature":0.5,"top_p":0.9,"stop_sequences":["END"],"metadata":{"user_id":"u"}}'
    )
    expect(encoded.options).toEqual({})
  })
})

describe("Anthropic codec: decoding", () => {
  it("maps every stop reason", () => {
    expect(finishReason("end_turn")).toBe("stop")
    expect(finishReason("stop_sequence")).toBe("stop")
    expect(finishReason("pause_turn")).toBe("stop")
    expect(finishReason("max_tokens")).toBe("length")
    expect(finishReason("model_context_window_exceeded")).toBe("length")
    expect(finishReason("tool_use")).toBe("tool_call")
    expect(finishReason("refusal")).toBe("content_filter")
    expect(finishReason(null)).toBeUndefined()
    expect(finishReason("something_new")).toBeUndefined()
  })

  it("counts all input as input, cache included, and keeps the cache split", () => {
    const decoded = Either.getOrThrow(decodeMessage(message()))
    expect(decoded.usage.inputTokens).toBe(17)
    expect(decoded.usage.cacheReadTokens).toBe(5)
    expect(decoded.usage.cacheWriteTokens).toBe(2)
    expect(decoded.usage.outputTokens).toBe(3)
    expect(decoded.usage.details).toEqual({ ephemeral_5m_input_tokens: 2 })
    expect(decoded.providerResponseId).toBe("msg_1")
    expect(decoded.modelName).toBe("claude-x")
  })

  it("decodes server tool blocks as built-in tool parts, skips blocks it does not model, but fails on a broken block, naming the path", () => {
    const ok = Either.getOrThrow(decodeMessage(message({
      content: [{ type: "server_tool_use", id: "s", name: "web_search", input: {} }, { type: "container_upload", file_id: "f" }, { type: "text", text: "hi" }]
    })))
    expect(ok.parts).toEqual([
      new BuiltinToolCallPart({ toolName: "web_search", args: {}, toolCallId: "s", providerName: "anthropic", providerDetails: { type: "server_tool_use" } }),
      new TextPart({ content: "hi" })
    ])
    expect(ok.toolCalls).toEqual([])
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ content: "nope" }, "content"],
      [{ content: [{ text: "no type" }] }, "content.0.type"],
      [{ content: [{ type: "thinking" }] }, "content.0.thinking"],
      [{ content: [{ type: "text", text: "a" }, { type: "text" }] }, "content.1.text"],
      [{ content: [{ type: "text", text: "a" }, { type: 1 }] }, "content.1.type"],
      [{ content: [{ type: "thinking", thinking: "a", signature: 3 }] }, "content.0.signature"],
      [{ content: [{ type: "redacted_thinking", data: null }] }, "content.0.data"],
      [{ content: [{ type: "tool_use", id: "t" }] }, "content.0.name"],
      [{ content: [{ type: "tool_use", name: "n", id: 1 }] }, "content.0.id"],
      [{ content: [{ type: "server_tool_use", name: "web_search" }] }, "content.0.id"],
      [{ content: [{ type: "mcp_tool_use", id: "m" }] }, "content.0.name"],
      [{ content: [{ type: "web_search_tool_result", content: [] }] }, "content.0.tool_use_id"],
      [{ usage: { input_tokens: "4" } }, "usage.input_tokens"],
      [{ usage: { cache_creation: [] } }, "usage.cache_creation"],
      [{ stop_reason: 7 }, "stop_reason"],
      [{ usage: undefined }, "usage"],
      [{ id: 3 }, "id"]
    ]
    for (const [overrides, path] of cases) {
      const result = decodeMessage(message(overrides))
      expect(Either.isLeft(result) && result.left.path).toBe(path)
    }
  })

  it("builds the parts a validating construction builds, fields in the same order", () => {
    // the decoder skips constructor validation: the parts must still equal validated ones, key order included
    const decoded = Either.getOrThrow(decodeMessage(message({
      content: [
        { type: "thinking", thinking: "t", signature: "s" },
        { type: "thinking", thinking: "", signature: null },
        { type: "redacted_thinking", data: "D" },
        { type: "text", text: "hi" },
        { type: "tool_use", id: "tu", name: "f", input: { a: 1 } },
        { type: "tool_use", id: "tv", name: "g" }
      ]
    }), { timestamp: new Date(0) }))
    const expected = new ModelResponse({
      parts: [
        new ThinkingPart({ content: "t", signature: "s" }),
        new ThinkingPart({ content: "", signature: "D", providerName: "anthropic", redacted: true }),
        new TextPart({ content: "hi" }),
        new ToolCallPart({ toolCallId: "tu", toolName: "f", args: { a: 1 } }),
        new ToolCallPart({ toolCallId: "tv", toolName: "g", args: {} })
      ],
      usage: new RequestUsage({ inputTokens: 17, outputTokens: 3, cacheReadTokens: 5, cacheWriteTokens: 2, details: { ephemeral_5m_input_tokens: 2 } }),
      modelName: "claude-x",
      providerName: "anthropic",
      providerResponseId: "msg_1",
      finishReason: "stop",
      timestamp: new Date(0)
    })
    expect(decoded).toStrictEqual(expected)
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(expected))
    expect(Schema.is(ModelResponse)(decoded)).toBe(true)
    // without a timestamp given, now
    const before = Date.now()
    const now = Either.getOrThrow(decodeMessage(message()))
    expect(now.timestamp.getTime()).toBeGreaterThanOrEqual(before)
    expect(now.timestamp.getTime()).toBeLessThanOrEqual(Date.now())
    expect(JSON.stringify(now)).toBe(JSON.stringify(new ModelResponse({ ...now })))
  })
})

describe("Anthropic stream decoder", () => {
  const events = (decoder: StreamDecoder, wire: ReadonlyArray<unknown>) => wire.flatMap((e) => Either.getOrThrow(decoder.push(e)))

  it("ignores ping, unknown events and citations; keeps message_start usage where message_delta is null", () => {
    const decoder = new StreamDecoder(ModelRequestParameters.from(), "requested")
    const out = events(decoder, [
      { type: "message_start", message: { id: "msg_9", model: "claude-x", usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 4 } } },
      { type: "ping" },
      { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "R" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "citations_delta", citation: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "A" } },
      { type: "some_future_event", whatever: true },
      { type: "content_block_stop", index: 1 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9, input_tokens: null, cache_read_input_tokens: null } }
    ])
    expect(decoder.complete).toBe(false)
    expect(Either.isLeft(decoder.end())).toBe(true)
    const all = [...out, ...Either.getOrThrow(decoder.push({ type: "message_stop" }))]
    expect(decoder.complete).toBe(true)
    expect(all[all.length - 1]?._tag).toBe("ResponseMetadataEvent")
    const accumulated = StreamEvent.accumulate(all)
    expect(accumulated.parts).toEqual([
      new ThinkingPart({ content: "", signature: "R", providerName: "anthropic", redacted: true }),
      new TextPart({ content: "A" })
    ])
    expect(accumulated.usage.inputTokens).toBe(16)
    expect(accumulated.usage.cacheReadTokens).toBe(4)
    expect(accumulated.usage.outputTokens).toBe(9)
    expect(accumulated.modelName).toBe("claude-x")
    expect(accumulated.providerResponseId).toBe("msg_9")
    expect(accumulated.finishReason).toBe("stop")
    // built without constructor validation, yet as validated constructions build them (a Schema
    // round trip constructs through the schemas): same classes, fields, and keys in the same order
    const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A) => Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(value))
    for (const event of all) expect(JSON.stringify(event)).toBe(JSON.stringify(roundTrip(StreamEvent.ModelResponseStreamEvent, event)))
    expect(accumulated).toStrictEqual(roundTrip(ModelResponse, accumulated))
    expect(JSON.stringify(accumulated)).toBe(JSON.stringify(roundTrip(ModelResponse, accumulated)))
  })

  it("fails on an event of the wrong shape with its path", () => {
    const decoder = new StreamDecoder(ModelRequestParameters.from(), "m")
    const result = decoder.push({ type: "content_block_start", index: "zero", content_block: { type: "text", text: "" } })
    expect(Either.isLeft(result) && result.left.path).toBe("content_block_start.index")
  })

  it("names the bad field of every event kind its hand checks take", () => {
    // push checks the common shapes by hand; what they refuse still fails through the schemas, with their paths
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ type: "message_start" }, "message_start.message"],
      [{ type: "message_start", message: { id: 1, model: "m" } }, "message_start.message.id"],
      [{ type: "message_start", message: { id: "x", model: "m", usage: null } }, "message_start.message.usage"],
      [{ type: "message_start", message: { id: "x", model: "m", usage: { input_tokens: "4" } } }, "message_start.message.usage.input_tokens"],
      [{ type: "message_start", message: { id: "x", model: "m", usage: { cache_creation: [] } } }, "message_start.message.usage.cache_creation"],
      [{ type: "content_block_start", index: 0, content_block: [] }, "content_block_start.content_block"],
      [{ type: "content_block_start", index: 0, content_block: { type: 7 } }, "content_block_start.content_block.type"],
      [{ type: "content_block_start", index: 0, content_block: { type: "text", text: 3 } }, "content_block_start.content_block.text"],
      [{ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: 5 } }, "content_block_start.content_block.signature"],
      [{ type: "content_block_start", index: 0, content_block: { type: "redacted_thinking" } }, "content_block_start.content_block.data"],
      [{ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "t", name: null } }, "content_block_start.content_block.name"],
      [{ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: 1 } }, "content_block_delta.delta.signature"],
      [{ type: "content_block_delta", index: 0, delta: { type: 2 } }, "content_block_delta.delta.type"],
      [{ type: "message_delta", delta: null }, "message_delta.delta"],
      [{ type: "message_delta", delta: { stop_reason: 1 } }, "message_delta.delta.stop_reason"],
      [{ type: "message_delta", usage: { output_tokens: "9" } }, "message_delta.usage.output_tokens"],
      [{ type: 4 }, "event.type"]
    ]
    for (const [event, path] of cases) {
      const result = new StreamDecoder(ModelRequestParameters.from(), "m").push(event)
      expect(Either.isLeft(result) && result.left.path, JSON.stringify(event)).toBe(path)
    }
  })

  it("decodes near-valid and garbage events exactly as the Schema path alone does", () => {
    // the hand checks in push may only ever refuse more than the schemas: on any input, push and
    // decodeWithSchema give the same events (same classes, same keys in the same order) or the same error
    const wire: ReadonlyArray<unknown> = [
      { type: "message_start", message: { id: "msg_s", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, usage: { input_tokens: 4, output_tokens: 1, cache_read_input_tokens: 2, cache_creation_input_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 1 }, server_tool_use: { web_search_requests: 1 }, service_tier: "standard" } } },
      { type: "ping" },
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: "R" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Hel" } },
      { type: "content_block_delta", index: 2, delta: { type: "citations_delta", citation: {} } },
      { type: "content_block_stop", index: 2 },
      { type: "content_block_start", index: 3, content_block: { type: "tool_use", id: "toolu_1", name: "divide", input: {} } },
      { type: "content_block_delta", index: 3, delta: { type: "input_json_delta", partial_json: "{\"n\":1}" } },
      { type: "content_block_stop", index: 3 },
      { type: "content_block_start", index: 4, content_block: { type: "server_tool_use", id: "s", name: "web", input: { q: 1 } } },
      { type: "content_block_start", index: 5, content_block: { type: "tool_use", id: "toolu_2", name: "t", input: { a: 1 } } },
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9, input_tokens: null, cache_creation: { ephemeral_1h_input_tokens: 2 } } },
      { type: "message_stop" }
    ]
    const parameters = ModelRequestParameters.from({ outputTools: [Tool.fromJsonSchema({ name: "t", parametersJsonSchema: { type: "object" } })] })
    const outcome = (result: Either.Either<ReadonlyArray<StreamEvent.ModelResponseStreamEvent>, { readonly path: string; readonly message: string }>) =>
      Either.isLeft(result)
        ? { error: { path: result.left.path, message: result.left.message } }
        : { events: result.right, json: JSON.stringify(result.right), classes: result.right.map((e) => e.constructor.name) }
    const run = (events: ReadonlyArray<unknown>, schemaOnly: boolean) => {
      const decoder = new StreamDecoder(parameters, "requested")
      return events.map((e) => outcome(schemaOnly ? decoder.decodeWithSchema(e) : decoder.push(e)))
    }
    expect(run(wire, false)).toStrictEqual(run(wire, true))
    // one event of the stream replaced by a near-valid copy (fields of the wrong type, deleted or added) or by any JSON
    const mutated = fc.nat(wire.length - 1).chain((at) => garbageOr(wire[at]).map((event) => wire.map((e, i) => (i === at ? event : e))))
    fc.assert(fc.property(mutated, (events) => {
      expect(run(events, false)).toStrictEqual(run(events, true))
    }), fcParams(3000, 40))
  })
})
