/**
 * The list-at-once paths of batch submission: `split` takes a list that fits one batch whole
 * when the model can count the list's bytes (`BatchModel.encodedBytes`), and the Anthropic
 * create body, encoded a group of items at a time (kept from the sizing, or encoded as sent), is
 * byte for byte the per-item JSON joined, with the sizes `encodedSize` reports.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import fc from "fast-check"
import { InvalidInputError } from "../src/AiError.js"
import { BatchRequest } from "../src/Batch.js"
import { split } from "../src/internal/batch/plan.js"
import { ModelRequest } from "../src/Message.js"
import { bodyChunks, itemBytes, plan } from "../src/providers/anthropic/batchBody.js"
import { encodeItem } from "../src/providers/anthropic/batchCodec.js"
import { encodeRequest } from "../src/providers/anthropic/codec.js"
import { type ModelSettings, ModelRequestParameters } from "../src/Parameters.js"

const limits = { maxRequests: 10, maxBytes: 1000 }
const requests = (n: number) => Array.from({ length: n }, (_, i) => ({ customId: `r${i}` }))

describe("split with the list's byte count", () => {
  it.effect("a list that fits is the one chunk, the list itself, with no size per request", () =>
    Effect.gen(function*() {
      const list = requests(10)
      let sized = 0
      const chunks = yield* split("test", list, limits, () => ++sized, () => 1000)
      expect(chunks).toHaveLength(1)
      expect(chunks[0]).toBe(list)
      expect(sized).toBe(0)
    }))

  it.effect("a list over either limit is split request by request, as without the count", () =>
    Effect.gen(function*() {
      const bySize = yield* split("test", requests(4), limits, () => 400, () => 1600)
      expect(bySize.map((c) => c.map((r) => r.customId))).toEqual([["r0", "r1"], ["r2", "r3"]])
      const byCount = yield* split("test", requests(11), limits, () => 1, () => 11)
      expect(byCount.map((c) => c.length)).toEqual([10, 1])
    }))

  it.effect("a count that throws falls back to the sizes, whose error names the request", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(split("test", requests(3), limits, (r) => {
        if (r.customId === "r1") throw new Error("no codec for it")
        return 1
      }, () => {
        throw new Error("no codec for it")
      }))
      expect(error.reason).toBe(`request "r1" cannot be encoded for test: no codec for it`)
    }))
})

describe("the Anthropic create body", () => {
  // several groups (of 256), with text that is not ASCII, so bytes and characters differ
  const list = Array.from({ length: 2500 }, (_, i) =>
    BatchRequest.from({ customId: `req-${i}`, messages: [ModelRequest.userTextPrompt(i % 7 === 0 ? `Grüße, ${"é".repeat(i % 13)} №${i}` : `Question ${i}?`)] }))
  const encode = (request: BatchRequest) => encodeItem("claude-haiku-4-5", { maxTokens: 256 }, request)
  const items = list.map((r) => Either.getOrThrow(encode(r)).item)
  const expected = `{"requests":[${items.map((item) => JSON.stringify(item)).join(",")}]}`
  const perRequest = list.reduce((sum, r) => sum + itemBytes(r, encode), 0)
  const collect = async (chunks: AsyncGenerator<Uint8Array>) => {
    const parts: Array<Uint8Array> = []
    for await (const chunk of chunks) parts.push(chunk)
    return Buffer.concat(parts)
  }

  it("encoded as sent, is the items' JSON joined, in order", async () => {
    const body = await collect(bodyChunks(list, encode))
    expect(body.toString("utf8")).toBe(expected)
    // the items with a comma each, less the last comma, and `{"requests":[` `]}`
    expect(body.length).toBe(perRequest - 1 + `{"requests":[]}`.length)
  })

  it("a sizing plan counts the sum of encodedSize and keeps the very bytes sent, each group dropped once sent", async () => {
    const sized = plan(list, encode, true)
    expect(sized.bytes).toBe(perRequest)
    const groups = sized.groups!
    expect(groups.length).toBe(Math.ceil(list.length / 256))
    // the kept groups are what is sent: the encoding is not asked again
    const body = await collect(bodyChunks(list, () => {
      throw new Error("encoded again")
    }, groups))
    expect(body.toString("utf8")).toBe(expected)
    expect(groups.every((group: Uint8Array | undefined) => group === undefined)).toBe(true)
  })

  it("a sizing plan over the budget counts the same bytes and keeps nothing; one that does not size, neither", () => {
    const within = plan(list, encode, true, perRequest)
    expect(within.groups).toBeDefined()
    const over = plan(list, encode, true, perRequest - 1)
    expect(over).toMatchObject({ bytes: perRequest, groups: undefined })
    // a list planned without sizing (too long for one batch) is not serialized for its size
    expect(plan(list, encode, false)).toMatchObject({ bytes: undefined, groups: undefined, problems: [], firstError: undefined })
  })

  it("a list with a request that cannot be encoded has no size, and names it", () => {
    const bad = BatchRequest.from({ customId: "bad", messages: [ModelRequest.userTextPrompt("x")] })
    const failing = (request: BatchRequest) =>
      request === bad ? Either.left(new InvalidInputError({ provider: "anthropic", reason: "no codec for it" })) : encode(request)
    const planned = plan([...list.slice(0, 300), bad], failing, true)
    expect(planned).toMatchObject({ bytes: undefined, groups: undefined })
    expect(planned.firstError?.message).toContain("no codec for it")
    expect(planned.problems).toEqual([`request "bad": ${planned.firstError!.message}`])
  })

  it("an empty list is an empty requests array, sized or not", async () => {
    expect((await collect(bodyChunks([], encode))).toString("utf8")).toBe(`{"requests":[]}`)
    const sized = plan([], encode, true)
    expect(sized.bytes).toBe(0)
    expect((await collect(bodyChunks([], encode, sized.groups))).toString("utf8")).toBe(`{"requests":[]}`)
  })

  it("the plan of a list that encodes has no problems", () => {
    expect(plan(list, encode, true)).toMatchObject({ problems: [], firstError: undefined, headers: {} })
  })

  it("the plan keeps the headers all requests share, warns of the others and of what the encoding dropped", () => {
    const withHeaders = [
      BatchRequest.from({ customId: "a", messages: [ModelRequest.userTextPrompt("1")], settings: { extraHeaders: { "x-shared": "1", "x-own": "a" }, seed: 1 } }),
      BatchRequest.from({ customId: "b", messages: [ModelRequest.userTextPrompt("2")], settings: { extraHeaders: { "x-shared": "1", "x-own": "b" } } })
    ]
    const planned = plan(withHeaders, encode, true)
    expect(planned.headers).toEqual({ "x-shared": "1" })
    expect([...planned.warned.keys()].some((w) => w.includes("x-own"))).toBe(true)
    expect([...planned.warned].find(([w]) => w.includes("seed"))?.[1]).toEqual(["a"])
    expect(planned.problems).toEqual([])
    // a request without the shared header makes it no longer shared
    const withEmpty = plan([...withHeaders, BatchRequest.from({ customId: "c", messages: [] })], encode, true)
    expect(withEmpty.headers).toEqual({})
    expect(withEmpty.problems).toEqual([`request "c": it has no user or assistant message to send (Anthropic needs at least one)`])
  })
})

describe("the Anthropic item of one user text prompt (built without the general codec)", () => {
  const general = (request: BatchRequest) => {
    const encoded = encodeRequest(request.model ?? "claude-test", request.messages, { parameters: ModelRequestParameters.from(undefined), settings: {} })
    if (Either.isLeft(encoded)) throw encoded.left
    return { custom_id: request.customId, params: encoded.right.body }
  }
  const item = (request: BatchRequest, defaults?: ModelSettings) => {
    const encoded = encodeItem("claude-test", defaults, request)
    if (Either.isLeft(encoded)) throw encoded.left
    return encoded.right
  }

  it("is the direct codec's body, key order included, with no headers or warnings", () => {
    for (const request of [
      BatchRequest.from({ customId: "a", messages: [ModelRequest.userTextPrompt("Say hello.")] }),
      BatchRequest.from({ customId: "b", messages: [ModelRequest.userTextPrompt("é ✓ \"quoted\"\n")], model: "claude-other" })
    ]) {
      const encoded = item(request)
      expect(JSON.stringify(encoded.item)).toBe(JSON.stringify(general(request)))
      expect(encoded.headers).toBeUndefined()
      expect(encoded.warnings).toEqual([])
    }
  })

  it("is the direct codec's body for any prompt text, custom id and model (property)", () => {
    fc.assert(fc.property(
      fc.string({ minLength: 1, unit: "binary" }),
      fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/),
      fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      (prompt, customId, model) => {
        const request = BatchRequest.from({ customId, messages: [ModelRequest.userTextPrompt(prompt)], model })
        expect(JSON.stringify(item(request).item)).toBe(JSON.stringify(general(request)))
      }
    ))
  })

  it("anything more (instructions, settings, model defaults, an empty prompt) takes the general path", () => {
    const withInstructions = BatchRequest.from({ customId: "i", messages: [ModelRequest.userTextPrompt("Hi", { instructions: "Be brief." })] })
    expect(item(withInstructions).item.params.system).toBe("Be brief.")
    const withSettings = BatchRequest.from({ customId: "s", messages: [ModelRequest.userTextPrompt("Hi")], settings: { maxTokens: 7 } })
    expect(item(withSettings).item.params.max_tokens).toBe(7)
    const plain = BatchRequest.from({ customId: "d", messages: [ModelRequest.userTextPrompt("Hi")] })
    expect(item(plain, { temperature: 0.5 }).item.params).toMatchObject({ temperature: 0.5 })
    const empty = BatchRequest.from({ customId: "e", messages: [ModelRequest.userTextPrompt("")] })
    expect(item(empty).item.params.messages).toEqual([])
  })
})
