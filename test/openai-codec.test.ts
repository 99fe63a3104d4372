/**
 * The Chat Completions codec as pure functions: the corners the end-to-end tests do not reach.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Either, Schema } from "effect"
import OpenAI from "openai"
import { ModelRequest, ModelResponse, RetryPromptPart, ThinkingPart, ToolCallPart, ToolReturnPart } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { decodeChatCompletion, encodeMessages, encodeRequest, StreamDecoder, streamingBody, toolChoiceFor } from "../src/providers/openai/codec.js"
import { fromSdkError, retryAfter } from "../src/providers/openai/errors.js"
import { accumulate, ModelResponseStreamEvent } from "../src/StreamEvent.js"
import * as Tool from "../src/Tool.js"

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got ${String(e.left)}`)
  return e.right
}

const tool = Tool.fromJsonSchema({ name: "t", parametersJsonSchema: { type: "object", properties: {} } })

describe("OpenAI codec: encoding", () => {
  it("retry prompts: with a tool call id a tool message, without a user message", () => {
    const { messages } = right(encodeMessages([new ModelRequest({
      parts: [new RetryPromptPart({ content: "bad args", toolName: "t", toolCallId: "c1" }), new RetryPromptPart({ content: "not acceptable" })]
    })]))
    expect(messages).toEqual([
      { role: "tool", tool_call_id: "c1", content: "bad args\n\nFix the errors and try again." },
      { role: "user", content: "not acceptable\n\nFix the errors and try again." }
    ])
  })

  it("instructions come from the most recent request only, first", () => {
    const { messages } = right(encodeMessages([
      ModelRequest.userTextPrompt("one", { instructions: "old" }),
      new ModelResponse({ parts: [], modelName: "m", providerName: "openai" }),
      ModelRequest.userTextPrompt("two", { instructions: "new" })
    ]))
    expect(messages).toEqual([{ role: "system", content: "new" }, { role: "user", content: "one" }, { role: "user", content: "two" }])
  })

  it("a response of thinking only is left out entirely, with a warning", () => {
    const { messages, warnings } = right(encodeMessages([
      ModelRequest.userTextPrompt("q"),
      new ModelResponse({ parts: [new ThinkingPart({ content: "a" }), new ThinkingPart({ content: "b" })], modelName: "m", providerName: "anthropic" })
    ]))
    expect(messages).toEqual([{ role: "user", content: "q" }])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("2 ThinkingParts")
  })

  it("tool call arguments that were not valid JSON are sent back as they came", () => {
    const { messages } = right(encodeMessages([
      new ModelResponse({ parts: [new ToolCallPart({ toolName: "t", args: "{\"a\": 1", toolCallId: "c" })], modelName: "m", providerName: "openai" }),
      new ModelRequest({ parts: [new ToolReturnPart({ toolName: "t", content: "plain text", toolCallId: "c" })] })
    ]))
    expect(messages).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "t", arguments: "{\"a\": 1" } }] },
      { role: "tool", tool_call_id: "c", content: "plain text" }
    ])
  })

  it("tool choice: explicit wins, except auto when an output tool must be called", () => {
    const must = ModelRequestParameters.from({ outputTools: [tool], allowTextOutput: false })
    const may = ModelRequestParameters.from({ outputTools: [tool] })
    expect(toolChoiceFor(must, undefined)).toBe("required")
    expect(toolChoiceFor(must, "auto")).toBe("required")
    expect(toolChoiceFor(must, { toolName: "t" })).toEqual({ type: "function", function: { name: "t" } })
    expect(toolChoiceFor(may, undefined)).toBeUndefined()
    expect(toolChoiceFor(may, "none")).toBe("none")
  })

  it("the streaming body keeps extra stream_options and always asks for usage; timeout becomes milliseconds", () => {
    const encoded = right(encodeRequest("m", [ModelRequest.userTextPrompt("q")], ModelRequestParameters.from(), {
      timeout: 1.5,
      extraBody: { stream_options: { include_obfuscation: false } }
    }))
    expect(encoded.requestOptions).toEqual({ timeout: 1500 })
    expect(streamingBody(encoded.body)).toMatchObject({ stream: true, stream_options: { include_obfuscation: false, include_usage: true } })
  })

  it("writes the body's fields in wire order; extraBody overrides in place and appends", () => {
    const encoded = right(encodeRequest("m", [ModelRequest.userTextPrompt("q")], ModelRequestParameters.from(), {
      frequencyPenalty: 0.1,
      seed: 7,
      temperature: 0.2,
      maxTokens: 10,
      extraBody: { temperature: 0.5, user: "u" }
    }))
    expect(JSON.stringify(encoded.body)).toBe(
      '{"model":"m","messages":[{"role":"user","content":"q"}],"max_completion_tokens":10,"temperature":0.5,"seed":7,"frequency_penalty":0.1,"user":"u"}'
    )
    expect(encoded.requestOptions).toEqual({})
  })
})

describe("OpenAI codec: decoding", () => {
  it("maps finish reasons, custom tool calls, cache writes and audio tokens; falls back to the requested model", () => {
    const response = right(decodeChatCompletion({
      choices: [{
        finish_reason: "function_call",
        message: { content: "", refusal: null, tool_calls: [{ id: "c1", type: "custom", custom: { name: "grammar", input: "raw text" } }] }
      }],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 20, audio_tokens: 3 },
        completion_tokens_details: { reasoning_tokens: 4, audio_tokens: 2, accepted_prediction_tokens: null }
      }
    }, { requestedModel: "asked" }))
    expect(response.modelName).toBe("asked")
    expect(response.providerResponseId).toBeUndefined()
    expect(response.finishReason).toBe("tool_call")
    expect(response.parts).toEqual([new ToolCallPart({ toolName: "grammar", args: "raw text", toolCallId: "c1" })])
    expect(response.usage).toMatchObject({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 40, cacheWriteTokens: 20 })
    expect(response.usage.details).toEqual({ reasoning_tokens: 4, output_audio_tokens: 2, input_audio_tokens: 3 })
  })

  it("timestamps a response by its `created`, or now when it has none in Date's range", () => {
    const decode = (created: number | undefined) =>
      right(decodeChatCompletion({ ...(created !== undefined ? { created } : {}), choices: [{ finish_reason: "stop", message: { content: "hi" } }] }, { requestedModel: "m" }))
    expect(decode(1_700_000_000).timestamp).toEqual(new Date(1_700_000_000_000))
    for (const created of [undefined, 1e300]) {
      const before = Date.now()
      const response = decode(created)
      expect(response.timestamp.getTime()).toBeGreaterThanOrEqual(before)
      expect(response.timestamp.getTime()).toBeLessThanOrEqual(Date.now())
      expect(JSON.stringify(response)).toBe(JSON.stringify(new ModelResponse({ ...response })))
    }
  })

  it("an unknown finish reason is left out rather than guessed", () => {
    const response = right(decodeChatCompletion({ id: "x", model: "m", choices: [{ finish_reason: "something_new", message: { content: "hi" } }] }, { requestedModel: "m" }))
    expect(response.finishReason).toBeUndefined()
    expect(response.text).toBe("hi")
  })

  it("streams: usage after the finish chunk, extra chunks after usage (moderation), other choices ignored", () => {
    const decoder = new StreamDecoder(ModelRequestParameters.from(), { requestedModel: "m" })
    const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-5" }
    const events = [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
      { ...base, choices: [{ index: 0, delta: { content: "Par" } }, { index: 1, delta: { content: "IGNORED" } }] },
      { ...base, choices: [{ index: 0, delta: { content: "is." }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      { ...base, choices: [], usage: { prompt_tokens: 13, completion_tokens: 11, completion_tokens_details: { reasoning_tokens: 8 } } },
      { ...base, choices: [], moderation: { input: { flagged: false } } }
    ].flatMap((c) => right(decoder.chunk(c)))
    const all = [...events, ...right(decoder.end())]
    const response = accumulate(all)
    expect(response.text).toBe("Paris.")
    expect(response.finishReason).toBe("stop")
    expect(response.modelName).toBe("gpt-5")
    expect(response.usage).toMatchObject({ inputTokens: 13, outputTokens: 11 })
    expect(response.usage.details.reasoning_tokens).toBe(8)
  })

  it("builds events and responses without constructor validation, yet as validated constructions build them", () => {
    // a Schema round trip constructs through the schemas: same classes, fields, and keys in the same order
    const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A) => Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(value))
    const same = <A, I>(schema: Schema.Schema<A, I>, value: A) => {
      const validated = roundTrip(schema, value)
      expect(value).toStrictEqual(validated)
      expect(JSON.stringify(value)).toBe(JSON.stringify(validated))
    }
    const decoder = new StreamDecoder(ModelRequestParameters.from(), { requestedModel: "m" })
    const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-5" }
    const events = [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "Hi" } }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: "{\"a\":" } }] } }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "1}" } }] }, finish_reason: "tool_calls" }] },
      { ...base, choices: [], usage: { prompt_tokens: 13, completion_tokens: 11, prompt_tokens_details: { cached_tokens: 2 } } }
    ].flatMap((c) => right(decoder.chunk(c)))
    const all = [...events, ...right(decoder.end())]
    for (const event of all) same(ModelResponseStreamEvent, event)
    same(ModelResponse, accumulate(all))
    same(ModelResponse, right(decodeChatCompletion({
      id: "x",
      model: "m",
      created: 1,
      choices: [{ finish_reason: "tool_calls", message: { content: "hi", refusal: "no", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{\"a\":1}" } }] } }],
      usage: { prompt_tokens: 3, completion_tokens: 4, completion_tokens_details: { reasoning_tokens: 1 } }
    }, { requestedModel: "m" })))
  })
})

describe("OpenAI errors", () => {
  it("retry-after: milliseconds first, then seconds, then an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z")
    expect(retryAfter(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toEqual(Duration.millis(250))
    expect(retryAfter(new Headers({ "retry-after": "2.5" }), now)).toEqual(Duration.seconds(2.5))
    expect(retryAfter(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }), now)).toEqual(Duration.millis(30_000))
    expect(retryAfter(new Headers({ "retry-after": "soon" }), now)).toBeUndefined()
    expect(retryAfter(new Headers(), now)).toBeUndefined()
  })

  it("keeps the provider's message, not the SDK error, and redacts secrets from it", () => {
    const sdkError = OpenAI.APIError.generate(409, { error: { message: "conflict for key s3cr3t-key-value" } }, undefined, new Headers({ "x-request-id": "req_1" }))
    const error = fromSdkError(sdkError, { secrets: ["s3cr3t-key-value"], errors: OpenAI })
    expect(error._tag).toBe("InvalidRequestError")
    expect(error).toMatchObject({ status: 409, requestId: "req_1", detail: "conflict for key [redacted]" })
    expect(Object.values(error)).not.toContain(sdkError)
    expect(fromSdkError(new SyntaxError("Unexpected token"), { secrets: [], where: "stream", errors: OpenAI })).toMatchObject({ _tag: "ResponseDecodeError", path: "stream" })
    expect(fromSdkError(new TypeError("terminated"), { secrets: [], errors: OpenAI })._tag).toBe("ConnectionError")
    expect(fromSdkError(new OpenAI.APIConnectionTimeoutError(), { secrets: [], errors: OpenAI })._tag).toBe("RequestTimeoutError")
  })
})
