/**
 * Fuzzing the codecs and the JSONL readers (fast-check): near-valid wire JSON (fields of the
 * wrong type, deleted fields, unknown fields), garbage, malformed SSE (unknown events, data that
 * is not JSON, cut-off streams) and JSONL (truncated lines, blank lines, lines no request owns,
 * undecodable bodies, very long lines, invalid UTF-8, network reads that split characters).
 * Every input ends — a result, or a typed error that names the place — never a crash (a defect),
 * a hang (every SDK run has a deadline) or a result dropped without a word. Unknown fields and
 * unknown event types are ignored: they change nothing.
 *
 * Invalid UTF-8 in JSONL: the readers decode like `TextDecoder` (each invalid sequence becomes
 * U+FFFD): inside a JSON string the line decodes, with U+FFFD in its text; elsewhere the line is
 * not JSON and the read fails with a ResponseDecodeError naming the file and line. The SDKs'
 * SSE decoders replace invalid UTF-8 the same way, so SSE is fuzzed at the text level.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest"
import { Cause, Chunk, Duration, Effect, Either, Exit, Layer, Option, Schema, Stream } from "effect"
import fc from "fast-check"
import { type AiError, ResponseDecodeError } from "../src/AiError.js"
import * as Batch from "../src/Batch.js"
import type { BatchModel } from "../src/BatchModel.js"
import * as LanguageModel from "../src/LanguageModel.js"
import { ModelRequest, ModelResponse } from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import * as Anthropic from "../src/providers/anthropic/index.js"
import { decodeBatch as decodeAnthropicBatch, decodeResultLine as decodeAnthropicLine } from "../src/providers/anthropic/batchCodec.js"
import { decodeMessage } from "../src/providers/anthropic/codec.js"
import { StreamDecoder as AnthropicStreamDecoder } from "../src/providers/anthropic/streamDecoder.js"
import * as OpenAi from "../src/providers/openai/index.js"
import { decodeBatchWire, decodeResultLine as decodeOpenAiLine } from "../src/providers/openai/batchCodec.js"
import { decodeChatCompletion, StreamDecoder as OpenAiStreamDecoder } from "../src/providers/openai/codec.js"
import { accumulate, type ModelResponseStreamEvent } from "../src/StreamEvent.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { sseFrame } from "../src/testing/emulator/anthropic.js"
import { ANTHROPIC_KEY, exitKind, fcParams, OPENAI_KEY, type ProviderName } from "./helpers/reliability.js"
import { cutBytes, cutText, garbageOr, type RawServer, startRawServer, withUnknownFields } from "./helpers/reliability-fuzz.js"

// ---------------------------------------------------------------------------------------------
// valid wire objects to start from (shaped after the recorded fixtures)
// ---------------------------------------------------------------------------------------------

const completion = (content: string) => ({
  id: "chatcmpl-fuzz",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini-2024-07-18",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content,
      refusal: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "divide", arguments: "{\"numerator\":1,\"denominator\":2}" } }]
    },
    logprobs: null,
    finish_reason: "tool_calls"
  }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 0 } }
})

const openAiChunks: ReadonlyArray<unknown> = [
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "lo" }, finish_reason: null }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "divide", arguments: "" } }] }, finish_reason: null }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{\"numerator\":1}" } }] }, finish_reason: null }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
  { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }
]

const anthropicMessage = (text: string) => ({
  id: "msg_fuzz",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5",
  content: [
    { type: "thinking", thinking: "Let me see.", signature: "sig" },
    { type: "text", text },
    { type: "tool_use", id: "toolu_1", name: "divide", input: { numerator: 1, denominator: 2 } }
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 1, cache_creation_input_tokens: 0 }
})

const anthropicEvents: ReadonlyArray<{ readonly type: string } & Record<string, unknown>> = [
  { type: "message_start", message: { id: "msg_s", type: "message", role: "assistant", model: "claude-haiku-4-5", content: [], stop_reason: null, usage: { input_tokens: 4, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
  { type: "content_block_stop", index: 0 },
  { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_1", name: "divide", input: {} } },
  { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"numerator\":" } },
  { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
  { type: "content_block_stop", index: 1 },
  { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } },
  { type: "message_stop" }
]

const openAiBatchObject = {
  id: "batch_fuzz",
  object: "batch",
  endpoint: "/v1/chat/completions",
  errors: { object: "list", data: [{ code: "invalid_json_line", message: "not JSON", line: 2, param: null }] },
  input_file_id: "file-in",
  completion_window: "24h",
  status: "in_progress",
  output_file_id: null,
  error_file_id: null,
  created_at: 1_700_000_000,
  in_progress_at: 1_700_000_010,
  expires_at: 1_700_086_400,
  finalizing_at: null,
  completed_at: null,
  failed_at: null,
  expired_at: null,
  cancelling_at: null,
  cancelled_at: null,
  request_counts: { total: 3, completed: 1, failed: 0 },
  metadata: { project: "fuzz" }
}

const anthropicBatchObject = {
  id: "msgbatch_fuzz",
  type: "message_batch",
  processing_status: "in_progress",
  request_counts: { processing: 2, succeeded: 1, errored: 0, canceled: 0, expired: 0 },
  ended_at: null,
  created_at: "2025-01-01T00:00:00Z",
  expires_at: "2025-01-02T00:00:00Z",
  archived_at: null,
  cancel_initiated_at: null,
  results_url: null
}

// ---------------------------------------------------------------------------------------------
// checks
// ---------------------------------------------------------------------------------------------

/** A decoded response is well-formed: it encodes and decodes back, and its time is a time. */
const expectWellFormed = (response: ModelResponse) => {
  const encoded = Schema.encodeSync(ModelResponse)(response)
  expect(Schema.decodeUnknownSync(ModelResponse)(encoded)).toBeInstanceOf(ModelResponse)
  expect(Number.isFinite(response.timestamp.getTime())).toBe(true)
}

/** A decode failure is a ResponseDecodeError that names a place. */
const expectNamedPlace = (error: unknown, place?: RegExp) => {
  expect(error).toBeInstanceOf(ResponseDecodeError)
  const path = (error as ResponseDecodeError).path
  expect(path.length).toBeGreaterThan(0)
  if (place !== undefined) expect(path).toMatch(place)
}

const comparable = (response: ModelResponse) => {
  const { timestamp: _ignored, ...rest } = Schema.encodeSync(ModelResponse)(response) as Record<string, unknown>
  return rest
}

/** Feeds chunks to a stream decoder, stopping at its first error, as the providers do. */
const decodeAll = <E>(
  chunks: unknown,
  push: (chunk: unknown) => Either.Either<Iterable<ModelResponseStreamEvent>, E>,
  end: () => Either.Either<Iterable<ModelResponseStreamEvent> | void, unknown>
): Either.Either<ReadonlyArray<ModelResponseStreamEvent>, unknown> => {
  const events: Array<ModelResponseStreamEvent> = []
  for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) {
    const r = push(chunk)
    if (Either.isLeft(r)) return Either.left(r.left)
    events.push(...r.right)
  }
  const last = end()
  if (Either.isLeft(last)) return Either.left(last.left)
  if (last.right !== undefined) events.push(...last.right)
  return Either.right(events)
}

const openAiStream = (chunks: unknown) => {
  const decoder = new OpenAiStreamDecoder(ModelRequestParameters.from(undefined), { requestedModel: "gpt-4o-mini" })
  return decodeAll(chunks, (c) => decoder.chunk(c), () => decoder.end())
}

const anthropicStream = (events: unknown) => {
  const decoder = new AnthropicStreamDecoder(ModelRequestParameters.from(undefined), "claude-haiku-4-5")
  return decodeAll(events, (e) => decoder.push(e), () => decoder.end())
}

// ---------------------------------------------------------------------------------------------
// 1. the pure decoders, directly
// ---------------------------------------------------------------------------------------------

describe("pure decoders: near-valid and garbage input", () => {
  it("OpenAI chat completion: a well-formed response or a ResponseDecodeError naming the path; unknown fields change nothing", () => {
    const base = completion("Hello")
    fc.assert(fc.property(garbageOr(base), (body) => {
      const r = decodeChatCompletion(body, { requestedModel: "gpt-4o-mini" })
      if (Either.isLeft(r)) expectNamedPlace(r.left)
      else expectWellFormed(r.right)
    }), fcParams(1000, 20))
    const reference = comparable(Either.getOrThrow(decodeChatCompletion(base, { requestedModel: "gpt-4o-mini" })))
    fc.assert(fc.property(withUnknownFields(base), (body) => {
      expect(comparable(Either.getOrThrow(decodeChatCompletion(body, { requestedModel: "gpt-4o-mini" })))).toEqual(reference)
    }), fcParams(300, 21))
  })

  it("OpenAI stream chunks: events that add up to a well-formed response, or a typed error; unknown fields change nothing", () => {
    fc.assert(fc.property(garbageOr(openAiChunks), (chunks) => {
      const r = openAiStream(chunks)
      if (Either.isLeft(r)) expect(["ResponseDecodeError", "ConnectionError"]).toContain((r.left as AiError)._tag)
      else expectWellFormed(accumulate(r.right))
    }), fcParams(1000, 22))
    const reference = comparable(accumulate(Either.getOrThrow(openAiStream(openAiChunks))))
    fc.assert(fc.property(withUnknownFields(openAiChunks), (chunks) => {
      expect(comparable(accumulate(Either.getOrThrow(openAiStream(chunks))))).toEqual(reference)
    }), fcParams(300, 23))
  })

  it("Anthropic message: a well-formed response or a ResponseDecodeError naming the path; unknown fields change nothing", () => {
    const base = anthropicMessage("Hello")
    fc.assert(fc.property(garbageOr(base), (message) => {
      const r = decodeMessage(message)
      if (Either.isLeft(r)) expectNamedPlace(r.left)
      else expectWellFormed(r.right)
    }), fcParams(1000, 24))
    const reference = comparable(Either.getOrThrow(decodeMessage(base)))
    fc.assert(fc.property(withUnknownFields(base), (message) => {
      expect(comparable(Either.getOrThrow(decodeMessage(message)))).toEqual(reference)
    }), fcParams(300, 25))
  })

  it("Anthropic stream events: a well-formed response or a typed error; unknown fields and event types change nothing", () => {
    fc.assert(fc.property(garbageOr(anthropicEvents), (events) => {
      const r = anthropicStream(events)
      if (Either.isLeft(r)) {
        // a malformed event names its path; a stream without message_stop is reported as cut short
        if (typeof r.left === "string") expect(r.left).toContain("message_stop")
        else expectNamedPlace(r.left)
      } else expectWellFormed(accumulate(r.right))
    }), fcParams(1000, 26))
    const reference = comparable(accumulate(Either.getOrThrow(anthropicStream(anthropicEvents))))
    const withUnknownEvents = fc.tuple(withUnknownFields(anthropicEvents), fc.array(fc.tuple(fc.nat(), fc.constantFrom("citations_start", "server_tool_use", "x_future_event")), { maxLength: 3 }))
      .map(([events, extra]) => {
        const out = [...(events as Array<unknown>)]
        for (const [at, type] of extra) out.splice(at % out.length, 0, { type, index: 0, payload: { any: "thing" } })
        return out
      })
    fc.assert(fc.property(withUnknownEvents, (events) => {
      expect(comparable(accumulate(Either.getOrThrow(anthropicStream(events))))).toEqual(reference)
    }), fcParams(300, 27))
  })

  it("batch objects of both providers: a Batch or a ResponseDecodeError naming the path, never a throw", () => {
    fc.assert(fc.property(garbageOr(openAiBatchObject), (wire) => {
      const r = decodeBatchWire(wire)
      if (Either.isLeft(r)) expectNamedPlace(r.left)
      else {
        expect(Schema.decodeUnknownSync(Batch.Batch)(Schema.encodeSync(Batch.Batch)(r.right))).toBeInstanceOf(Batch.Batch)
        expect(Number.isFinite(r.right.createdAt.getTime())).toBe(true)
      }
    }), fcParams(1000, 28))
    fc.assert(fc.property(garbageOr(anthropicBatchObject), (wire) => {
      const r = decodeAnthropicBatch(wire)
      if (Either.isLeft(r)) expectNamedPlace(r.left)
      else expect(Schema.decodeUnknownSync(Batch.Batch)(Schema.encodeSync(Batch.Batch)(r.right))).toBeInstanceOf(Batch.Batch)
    }), fcParams(1000, 29))
  })

  it("batch result lines of both providers: a result for the line's request, or a ResponseDecodeError naming the line", () => {
    const openAiLine = { id: "batch_req_1", custom_id: "q1", response: { status_code: 200, request_id: "req_1", body: completion("Hi") }, error: null }
    const anyText = fc.oneof(garbageOr(openAiLine).map((v) => JSON.stringify(v) ?? "null"), fc.string(), fc.string({ unit: "binary" }))
    fc.assert(fc.property(anyText, (text) => {
      const r = decodeOpenAiLine(text, { file: "output", fileId: "file-out", line: 7 }, "gpt-4o-mini")
      if (Either.isLeft(r)) expectNamedPlace(r.left, /output file file-out line 7/)
      else {
        expect(typeof r.right.customId).toBe("string")
        if (r.right.isSuccessful) expectWellFormed(r.right.response)
      }
    }), fcParams(1000, 30))
    const anthropicLine = { custom_id: "q1", result: { type: "succeeded", message: anthropicMessage("Hi") } }
    fc.assert(fc.property(garbageOr(anthropicLine), (json) => {
      const r = decodeAnthropicLine(json, { batchId: "msgbatch_fuzz", line: 7 })
      if (Either.isLeft(r)) expectNamedPlace(r.left, /^results line 7/)
      else {
        expect(typeof r.right.customId).toBe("string")
        if (r.right.isSuccessful) expectWellFormed(r.right.response)
      }
    }), fcParams(1000, 31))
  })
})

// ---------------------------------------------------------------------------------------------
// 2. through the real SDKs, against the emulator
// ---------------------------------------------------------------------------------------------

/** Every AiError tag: a failure must be one of these (a defect or a hang is a bug). */
const aiErrorTags = new Set([
  "AuthenticationError",
  "PermissionDeniedError",
  "NotFoundError",
  "RateLimitError",
  "InvalidRequestError",
  "ProviderUnavailableError",
  "RequestTimeoutError",
  "ConnectionError",
  "ResponseDecodeError",
  "UnsupportedError",
  "InvalidInputError"
])
const expectTyped = (exit: Exit.Exit<unknown, unknown>) => {
  const kind = exitKind(exit)
  if (kind !== "ok") {
    expect(kind).toMatch(/^fail:/)
    expect(aiErrorTags).toContain(kind.slice(5))
  }
}

/** Fails (instead of hanging) when an SDK run takes longer than this. */
const DEADLINE = Duration.seconds(10)
const withDeadline = <A, E>(self: Effect.Effect<A, E>): Promise<Exit.Exit<A, E>> =>
  Effect.runPromise(Effect.exit(self).pipe(
    Effect.timeoutFail({ duration: DEADLINE, onTimeout: () => new Error("hang: no end within the deadline") }),
    Effect.orDie
  ))

let emulator: Emulator
let raw: RawServer
beforeAll(async () => {
  emulator = await startEmulator()
  raw = await startRawServer()
})
afterAll(async () => {
  await emulator.close()
  await raw.close()
})

const models = (provider: ProviderName, baseURL?: string): Layer.Layer<LanguageModel.LanguageModel | BatchModel> =>
  provider === "openai"
    ? OpenAi.model("gpt-4o-mini", { client: { apiKey: OPENAI_KEY, baseURL: baseURL ?? emulator.openaiBaseURL, timeout: 5 }, retry: false }).pipe(Layer.orDie)
    : Anthropic.model("claude-haiku-4-5", { client: { apiKey: ANTHROPIC_KEY, baseURL: baseURL ?? emulator.anthropicBaseURL, timeout: 5 }, retry: false }).pipe(Layer.orDie)

const prompt = [ModelRequest.userTextPrompt("Say hello")]
const chatRoute = { openai: "POST /v1/chat/completions", anthropic: "POST /v1/messages" } as const

const openAiFrames = (chunks: ReadonlyArray<unknown>, done = true): Array<string> => [
  ...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`),
  ...(done ? ["data: [DONE]\n\n"] : [])
]
const anthropicFrames = (events: ReadonlyArray<unknown>): Array<string> =>
  events.map((e) => sseFrame(typeof (e as { type?: unknown })?.type === "string" ? (e as { type: string }).type : "message_delta", e))

/** Frames that are not what a decoder expects: odd event names, data that is not JSON, comments. */
const oddFrame = fc.oneof(
  fc.constant(": keep-alive\n\n"),
  fc.constant("event: ping\ndata: {\"type\": \"ping\"}\n\n"),
  fc.constant("event: x_unknown\ndata: {\"type\": \"x_unknown\", \"v\": 1}\n\n"),
  fc.constant("data: {\"truncated\": \n\n"),
  fc.constant("data: not json at all\n\n"),
  fc.constant("data:\n\n"),
  fc.string().map((s) => `data: ${s.replace(/\n/g, " ")}\n\n`),
  fc.string().map((s) => `${s}\n\n`)
)

const sseCase = (provider: ProviderName) => {
  const base = provider === "openai" ? openAiChunks : anthropicEvents
  return fc.record({
    items: garbageOr(base),
    odd: fc.array(fc.tuple(fc.nat(), oddFrame), { maxLength: 2 }),
    cut: fc.option(fc.nat(), { nil: undefined })
  }).map(({ cut, items, odd }) => {
    const list = Array.isArray(items) ? items : [items]
    const frames = provider === "openai" ? openAiFrames(list) : anthropicFrames(list)
    for (const [at, frame] of odd) frames.splice(at % (frames.length + 1), 0, frame)
    // a stream cut off after some frames (the connection ends cleanly, mid-answer)
    return cut === undefined ? frames : frames.slice(0, cut % (frames.length + 1))
  })
}

describe("the SDKs on the emulator: malformed JSON bodies and SSE", () => {
  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: a near-valid response body ends in a response or a typed error`, async () => {
      const layer = models(provider)
      const base = provider === "openai" ? completion("Hello") : anthropicMessage("Hello")
      await fc.assert(fc.asyncProperty(garbageOr(base), async (body) => {
        emulator.reset()
        emulator.script(chatRoute[provider], { json: body ?? null })
        const exit = await withDeadline(LanguageModel.request(prompt).pipe(Effect.provide(layer)))
        expectTyped(exit)
        if (Exit.isSuccess(exit)) expectWellFormed(exit.value)
      }), fcParams(40, provider === "openai" ? 40 : 41))
    })

    it(`${provider}: a malformed stream ends in events or a typed error; unknown fields and events change nothing`, async () => {
      // the OpenAI SDK prints every SSE data line it cannot parse before it throws
      const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined)
      onTestFinished(() => quiet.mockRestore())
      const layer = models(provider)
      const stream = () => LanguageModel.requestStream(prompt).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provide(layer))
      await fc.assert(fc.asyncProperty(sseCase(provider), async (frames) => {
        emulator.reset()
        emulator.script(chatRoute[provider], { sse: frames })
        const exit = await withDeadline(stream())
        expectTyped(exit)
        if (Exit.isSuccess(exit)) expectWellFormed(accumulate(exit.value))
      }), fcParams(60, provider === "openai" ? 42 : 43))

      // the reference: the valid stream as is
      emulator.reset()
      const base = provider === "openai" ? openAiChunks : anthropicEvents
      emulator.script(chatRoute[provider], { sse: provider === "openai" ? openAiFrames(base) : anthropicFrames(base) })
      const reference = comparable(accumulate(Exit.getOrElse(await withDeadline(stream()), () => {
        throw new Error("the valid stream failed")
      })))
      const harmlessFrames = [": keep-alive\n\n", "event: ping\ndata: {\"type\": \"ping\"}\n\n", "event: x_future_event\ndata: {\"type\": \"x_future_event\", \"v\": [1]}\n\n"]
      const harmless = fc.tuple(withUnknownFields(base), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...harmlessFrames)), { maxLength: 2 }))
      await fc.assert(fc.asyncProperty(harmless, async ([items, extra]) => {
        emulator.reset()
        const frames = provider === "openai" ? openAiFrames(items as Array<unknown>) : anthropicFrames(items as Array<unknown>)
        for (const [at, frame] of extra) frames.splice(at % (frames.length + 1), 0, frame)
        emulator.script(chatRoute[provider], { sse: frames })
        const exit = await withDeadline(stream())
        expect(exitKind(exit)).toBe("ok")
        if (Exit.isSuccess(exit)) expect(comparable(accumulate(exit.value))).toEqual(reference)
      }), fcParams(30, provider === "openai" ? 44 : 45))
    })

    it(`${provider}: a 5 MB SSE event is read whole`, async () => {
      const long = "y".repeat(5 * 1024 * 1024)
      const base = provider === "openai" ? openAiChunks : anthropicEvents
      // the first text delta carries 5 MB
      const items = base.map((item, i) =>
        i !== (provider === "openai" ? 1 : 2)
          ? item
          : provider === "openai"
            ? { ...(item as object), choices: [{ index: 0, delta: { content: long }, finish_reason: null }] }
            : { ...(item as object), delta: { type: "text_delta", text: long } })
      emulator.reset()
      emulator.script(chatRoute[provider], { sse: provider === "openai" ? openAiFrames(items) : anthropicFrames(items) })
      const exit = await withDeadline(LanguageModel.requestStream(prompt).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provide(models(provider))))
      expect(exitKind(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) expect(accumulate(exit.value).text).toBe(`${long}lo`)
    })

    it(`${provider}: a near-valid batch object ends in a Batch or a typed error, never a defect`, async () => {
      const layer = models(provider)
      const base = provider === "openai" ? openAiBatchObject : anthropicBatchObject
      const route = provider === "openai" ? "GET /v1/batches/:id" : "GET /v1/messages/batches/:id"
      await fc.assert(fc.asyncProperty(garbageOr(base), async (wire) => {
        emulator.reset()
        // the same object for a status call and for a cancel
        emulator.script(route, { json: wire ?? null })
        emulator.script(provider === "openai" ? "POST /v1/batches/:id/cancel" : "POST /v1/messages/batches/:id/cancel", { json: wire ?? null })
        const status = await withDeadline(Batch.status(base.id, { retry: false }).pipe(Effect.provide(layer)))
        const cancel = await withDeadline(Batch.cancel(base.id, { retry: false }).pipe(Effect.provide(layer)))
        expectTyped(status)
        expectTyped(cancel)
      }), fcParams(60, provider === "openai" ? 46 : 47))
    })
  }
})

// ---------------------------------------------------------------------------------------------
// 3. the JSONL readers: result files line by line
// ---------------------------------------------------------------------------------------------

/** One line of a result file, as the fuzzer writes it. */
type LineSpec =
  | { readonly kind: "ok"; readonly id: string; readonly text: string; readonly extra: boolean }
  | { readonly kind: "error"; readonly id: string; readonly code: string }
  | { readonly kind: "bad-body"; readonly id: string }
  | { readonly kind: "blank" }
  | { readonly kind: "truncated"; readonly id: string; readonly at: number }
  | { readonly kind: "no-id"; readonly variant: number }
  | { readonly kind: "utf8-in-text"; readonly id: string; readonly text: string; readonly bytes: ReadonlyArray<number> }
  | { readonly kind: "utf8-outside"; readonly id: string; readonly bytes: ReadonlyArray<number> }

const submitted = ["q1", "q2", "q3", "q4", "q5", "q6"]
const someId = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...submitted) }, { weight: 1, arbitrary: fc.constant("not_submitted") })
const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "中", "😀", "\"", "\\", "\n", "\u2028"), maxLength: 24 })
/** Sequences that are not UTF-8: a stray byte, a lead byte without its continuation, a cut 3-byte sequence, an overlong form. */
const invalidBytes = fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xc0, 0xaf], [0x80], [0xf0, 0x9f, 0x98])
const MARK = "\u0007MARK\u0007"

const lineSpec = (rawBytes: boolean): fc.Arbitrary<LineSpec> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant("ok" as const), id: someId, text, extra: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("error" as const), id: someId, code: fc.constantFrom("invalid_request_error", "server_error", "rate_limit_error") }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("bad-body" as const), id: someId }) },
    { weight: 1, arbitrary: fc.constant({ kind: "blank" as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncated" as const), id: someId, at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("no-id" as const), variant: fc.nat({ max: 3 }) }) },
    ...(rawBytes
      ? [
          { weight: 3, arbitrary: fc.record({ kind: fc.constant("utf8-in-text" as const), id: someId, text, bytes: invalidBytes }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("utf8-outside" as const), id: someId, bytes: invalidBytes }) }
        ]
      : [])
  )

const utf8 = new TextEncoder()

const successLine = (provider: ProviderName, id: string, content: string, extra: boolean): string =>
  provider === "openai"
    ? JSON.stringify({ id: `batch_req_${id}`, custom_id: id, response: { status_code: 200, request_id: `req_${id}`, body: completion(content) }, error: null, ...(extra ? { zz_future: { a: [1, 2] } } : {}) })
    : JSON.stringify({ custom_id: id, result: { type: "succeeded", message: anthropicMessage(content), ...(extra ? { zz_future: true } : {}) }, ...(extra ? { x_unknown: 1 } : {}) })

/** The bytes of one line (without its newline). */
const lineBytes = (provider: ProviderName, spec: LineSpec): Uint8Array => {
  switch (spec.kind) {
    case "ok":
      return utf8.encode(successLine(provider, spec.id, spec.text, spec.extra))
    case "error":
      return utf8.encode(provider === "openai"
        ? JSON.stringify({ id: "x", custom_id: spec.id, response: { status_code: 400, request_id: "r", body: { error: { message: "bad", type: "invalid_request_error", code: spec.code } } }, error: null })
        : JSON.stringify({ custom_id: spec.id, result: { type: "errored", error: { type: "error", error: { type: spec.code, message: "bad" } } } }))
    case "bad-body":
      return utf8.encode(provider === "openai"
        ? JSON.stringify({ id: "x", custom_id: spec.id, response: { status_code: 200, request_id: "r", body: { choices: 5 } }, error: null })
        : JSON.stringify({ custom_id: spec.id, result: { type: "succeeded", message: { content: 5 } } }))
    case "blank":
      return new Uint8Array()
    case "truncated": {
      const full = successLine(provider, spec.id, "cut here", false)
      return utf8.encode(full.slice(0, 1 + (spec.at % (full.length - 1))))
    }
    case "no-id":
      return utf8.encode([
        JSON.stringify({ zz_unknown: 1 }),
        JSON.stringify({ custom_id: 5, response: null, error: { code: "x" }, result: { type: "errored" } }),
        "[1,2,3]",
        "\"just a string\""
      ][spec.variant]!)
    case "utf8-in-text":
    case "utf8-outside": {
      const line = spec.kind === "utf8-in-text" ? successLine(provider, spec.id, `${spec.text}${MARK}x`, false) : `{${MARK}${successLine(provider, spec.id, "t", false).slice(1)}`
      const [before, after] = line.split(JSON.stringify(MARK).slice(1, -1))
      const b = utf8.encode(before!)
      const a = utf8.encode(after!)
      const out = new Uint8Array(b.length + spec.bytes.length + a.length)
      out.set(b, 0)
      out.set(spec.bytes, b.length)
      out.set(a, b.length + spec.bytes.length)
      return out
    }
  }
}

/** What reading the file must give: the results in provider order (first line of an id wins), then the missing ids, or the first line no request can own. */
const expectedRead = (
  provider: ProviderName,
  written: ReadonlyArray<LineSpec>,
  finalNewline: boolean
): { readonly results: ReadonlyArray<string>; readonly fatalLine: number | undefined } => {
  // a blank last line without a newline after it is no line at all
  const specs = !finalNewline && written.at(-1)?.kind === "blank" ? written.slice(0, -1) : written
  const seen = new Set<string>()
  const results: Array<string> = []
  const add = (id: string, outcome: string) => {
    if (seen.has(id) || !submitted.includes(id)) return
    seen.add(id)
    results.push(`${id}:${outcome}`)
  }
  for (const [i, spec] of specs.entries()) {
    const line = i + 1
    switch (spec.kind) {
      case "ok":
        add(spec.id, `ok:${spec.text}`)
        break
      case "utf8-in-text": {
        // the oracle: the line as TextDecoder reads it (U+FFFD for each invalid sequence)
        const decoded = JSON.parse(new TextDecoder().decode(lineBytes(provider, spec))) as Record<string, any>
        const content = provider === "openai" ? decoded.response.body.choices[0].message.content : decoded.result.message.content[1].text
        add(spec.id, `ok:${content}`)
        break
      }
      case "error":
        add(spec.id, spec.code)
        break
      case "bad-body":
        add(spec.id, "response_decode_error")
        break
      case "blank":
        // both readers skip blank lines (they still count in the numbering)
        break
      case "truncated":
      case "no-id":
      case "utf8-outside":
        return { results, fatalLine: line }
    }
  }
  for (const id of submitted) if (!seen.has(id)) results.push(`${id}:missing`)
  return { results, fatalLine: undefined }
}

const fileCase = (rawBytes: boolean) =>
  fc.record({
    specs: fc.array(lineSpec(rawBytes), { minLength: 0, maxLength: 14 }),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
    crlf: fc.boolean(),
    finalNewline: fc.boolean()
  })

const fileBytes = (provider: ProviderName, specs: ReadonlyArray<LineSpec>, crlf: boolean, finalNewline: boolean): Uint8Array => {
  const newline = utf8.encode(crlf ? "\r\n" : "\n")
  const parts: Array<Uint8Array> = []
  specs.forEach((spec, i) => {
    parts.push(lineBytes(provider, spec))
    if (i < specs.length - 1 || finalNewline) parts.push(newline)
  })
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) (out.set(p, at), (at += p.length))
  return out
}

/** A complete batch of the submitted ids whose results are read from `file-out` / the results URL. */
const completeBatch = (provider: ProviderName) =>
  new Batch.Batch({
    id: provider === "openai" ? "batch_fuzz" : "msgbatch_fuzz",
    provider,
    status: "completed",
    requestCount: submitted.length,
    completedCount: submitted.length,
    failedCount: 0,
    createdAt: new Date(0),
    customIds: submitted,
    details: provider === "openai" ? { inputFileId: "file-in", outputFileId: "file-out" } : {}
  })

/** Reads the results as `Batch.results` streams them: the results before a failure, then the failure. */
const readResults = async (layer: Layer.Layer<BatchModel>, provider: ProviderName) => {
  const seen: Array<Batch.BatchResult> = []
  const exit = await withDeadline(
    Batch.results(completeBatch(provider), { retry: false }).pipe(
      Stream.runForEach((r) => Effect.sync(() => void seen.push(r))),
      Effect.provide(layer)
    )
  )
  return { exit, seen: seen.map((r) => `${r.customId}:${r.isSuccessful ? `ok:${r.response.text}` : r.error.code}`) }
}

const checkRead = (provider: ProviderName, specs: ReadonlyArray<LineSpec>, finalNewline: boolean, read: Awaited<ReturnType<typeof readResults>>) => {
  const want = expectedRead(provider, specs, finalNewline)
  if (want.fatalLine === undefined) {
    expect(exitKind(read.exit)).toBe("ok")
    // one result per submitted id, nothing dropped
    expect(read.seen).toEqual(want.results)
  } else {
    expect(exitKind(read.exit)).toBe("fail:ResponseDecodeError")
    // the results of the lines before the bad one came through; the error names the bad line
    expect(read.seen).toEqual(want.results)
    const failure = Exit.isFailure(read.exit) ? Option.getOrUndefined(Cause.failureOption(read.exit.cause)) : undefined
    const path = (failure as ResponseDecodeError).path
    // OpenAI names the file and line; Anthropic the line, and the field when the line is JSON
    if (provider === "openai") expect(path).toBe(`output file file-out line ${want.fatalLine}`)
    else expect(path).toMatch(new RegExp(`^results line ${want.fatalLine}($|\\.)`))
  }
}

describe("JSONL readers: result files", () => {
  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: through the emulator, split into network writes at random places`, async () => {
      const layer = models(provider)
      await fc.assert(fc.asyncProperty(fileCase(false), async ({ crlf, cuts, finalNewline, specs }) => {
        emulator.reset()
        const file = new TextDecoder().decode(fileBytes(provider, specs, crlf, finalNewline))
        const chunks = cutText(file, cuts)
        if (provider === "openai") {
          emulator.script("GET /v1/files/:id/content", { headers: { "content-type": "application/octet-stream" }, sse: chunks })
        } else {
          emulator.script("GET /v1/messages/batches/:id", {
            json: { ...anthropicBatchObject, processing_status: "ended", ended_at: "2025-01-01T01:00:00Z", results_url: `${emulator.url}/v1/messages/batches/msgbatch_fuzz/results` }
          })
          emulator.script("GET /v1/messages/batches/:id/results", { headers: { "content-type": "application/binary" }, sse: chunks })
        }
        checkRead(provider, specs, finalNewline, await readResults(layer, provider))
      }), fcParams(60, provider === "openai" ? 50 : 51))
    })

    it(`${provider}: raw bytes with invalid UTF-8, cut anywhere (characters split across reads)`, async () => {
      const layer = models(provider, provider === "openai" ? `${raw.url}/v1` : raw.url)
      await fc.assert(fc.asyncProperty(fileCase(true), async ({ crlf, cuts, finalNewline, specs }) => {
        const chunks = cutBytes(fileBytes(provider, specs, crlf, finalNewline), cuts)
        raw.respond = (request) =>
          provider === "anthropic" && !(request.url ?? "").endsWith("/results")
            ? { headers: { "content-type": "application/json" }, chunks: [JSON.stringify({ ...anthropicBatchObject, processing_status: "ended", ended_at: "2025-01-01T01:00:00Z", results_url: `${raw.url}/v1/messages/batches/msgbatch_fuzz/results` })] }
            : { chunks }
        checkRead(provider, specs, finalNewline, await readResults(layer, provider))
      }), fcParams(60, provider === "openai" ? 52 : 53))
    })

    it(`${provider}: a 5 MB line between ordinary ones is read whole`, async () => {
      const layer = models(provider)
      const long = "x".repeat(5 * 1024 * 1024)
      const specs: ReadonlyArray<LineSpec> = submitted.map((id, i) => ({ kind: "ok" as const, id, text: i === 2 ? long : `short ${id}`, extra: false }))
      const file = new TextDecoder().decode(fileBytes(provider, specs, false, true))
      emulator.reset()
      // written in 64 KB pieces, as a network would deliver it
      const chunks = cutText(file, Array.from({ length: Math.ceil(file.length / 65_536) }, (_, i) => i * 65_536))
      if (provider === "openai") {
        emulator.script("GET /v1/files/:id/content", { headers: { "content-type": "application/octet-stream" }, sse: chunks })
      } else {
        emulator.script("GET /v1/messages/batches/:id", {
          json: { ...anthropicBatchObject, processing_status: "ended", ended_at: "2025-01-01T01:00:00Z", results_url: `${emulator.url}/v1/messages/batches/msgbatch_fuzz/results` }
        })
        emulator.script("GET /v1/messages/batches/:id/results", { headers: { "content-type": "application/binary" }, sse: chunks })
      }
      const read = await readResults(layer, provider)
      expect(exitKind(read.exit)).toBe("ok")
      expect(read.seen.map((s) => s.length)).toEqual(submitted.map((id, i) => (i === 2 ? `${id}:ok:${long}`.length : `${id}:ok:short ${id}`.length)))
    })
  }
})

// ---------------------------------------------------------------------------------------------
// 4. what the fuzzer found, pinned down
// ---------------------------------------------------------------------------------------------

describe("regressions found by fuzzing", () => {
  it("OpenAI: a batch object of the wrong shape is a ResponseDecodeError from status, cancel and a run (it was a defect)", async () => {
    const layer = models("openai")
    for (const wire of [[], null, { id: 5, status: "completed" }, "batch_1"]) {
      emulator.reset()
      emulator.script("GET /v1/batches/:id", { json: wire })
      emulator.script("POST /v1/batches/:id/cancel", { json: wire })
      const status = await withDeadline(Batch.status("batch_x", { retry: false }).pipe(Effect.provide(layer)))
      const cancel = await withDeadline(Batch.cancel("batch_x", { retry: false }).pipe(Effect.provide(layer)))
      expect([exitKind(status), exitKind(cancel)]).toEqual(["fail:ResponseDecodeError", "fail:ResponseDecodeError"])
    }
    // a run whose poll gets such an answer fails typed, and cancels the batch it created
    emulator.reset()
    emulator.script("GET /v1/batches/:id", { json: { object: "batch", status: "completed" } })
    const run = await withDeadline(Batch.run([{ customId: "a", messages: prompt }], { retry: false, pollInterval: "1 millis" }).pipe(Effect.provide(layer)))
    expect(exitKind(run)).toBe("fail:ResponseDecodeError")
    expect(emulator.requests.filter((r) => r.method === "POST" && r.path.endsWith("/cancel"))).toHaveLength(1)
  })

  it("OpenAI: fields of the wrong type in a batch object are read leniently (times out of range, errors that are not a list)", () => {
    const batch = Either.getOrThrow(decodeBatchWire({
      ...openAiBatchObject,
      status: "failed",
      created_at: 1e300,
      completed_at: -1e300,
      in_progress_at: 1e300,
      input_file_id: 7,
      errors: { data: [null, { code: 5, message: ["x"], line: 1e400 }, { code: "bad_line", message: "line 2 is not JSON", line: 2 }] }
    }))
    expect(batch.createdAt.getTime()).toBe(0)
    expect(batch.completedAt).toBeUndefined()
    expect(batch.details.inputFileId).toBeUndefined()
    expect(batch.errors.map((e) => [e.code, e.message, e.line])).toEqual([["unknown", "", undefined], ["bad_line", "line 2 is not JSON", 2]])
    expect(Either.isLeft(decodeBatchWire({ ...openAiBatchObject, errors: { data: "x" } }))).toBe(false)
  })

  it("OpenAI: a `created` out of Date's range leaves the timestamp at now instead of an Invalid Date", () => {
    const before = Date.now()
    const response = Either.getOrThrow(decodeChatCompletion({ ...completion("Hi"), created: 1e300 }, { requestedModel: "gpt-4o-mini" }))
    expect(response.timestamp.getTime()).toBeGreaterThanOrEqual(before)
    expect(Either.getOrThrow(decodeChatCompletion(completion("Hi"), { requestedModel: "gpt-4o-mini" })).timestamp.getTime()).toBe(1_700_000_000_000)
  })

  it("Anthropic: a response body of `null` is a ResponseDecodeError (it was a TypeError, a defect)", async () => {
    emulator.reset()
    emulator.script("POST /v1/messages", { json: null })
    const exit = await withDeadline(LanguageModel.request(prompt).pipe(Effect.provide(models("anthropic"))))
    expect(exitKind(exit)).toBe("fail:ResponseDecodeError")
  })
})
