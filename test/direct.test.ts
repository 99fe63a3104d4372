import { Effect, Layer, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  InvalidInputError,
  modelRequest,
  modelRequestStream,
  ModelRequest,
  RateLimitError,
  TextPart
} from "../src/direct/index.js"
import * as LanguageModel from "../src/LanguageModel.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"
import * as TestModel from "../src/testing/TestModel.js"

const prompt = [ModelRequest.userTextPrompt("What is the capital of France?")]

describe("direct facade", () => {
  it("modelRequest resolves with the response from a Layer", async () => {
    const response = await modelRequest(FunctionModel.layer(() => "The capital of France is Paris."), prompt)
    expect(response.parts[0]).toEqual(new TextPart({ content: "The capital of France is Paris." }))
  })

  it("modelRequest with the \"test\" model string", async () => {
    const response = await modelRequest("test", prompt)
    expect(response.text).toBe("success (no tool calls)")
    expect(response.modelName).toBe("test")
  })

  it("rejects with the library's own error objects", async () => {
    const failing = FunctionModel.layer(() => Effect.fail(new RateLimitError({ provider: "function", detail: "slow down" })))
    const error = await modelRequest(failing, prompt).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).message).toMatch(/rate limit/)
    const bad = await modelRequest("nope:model", prompt).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(InvalidInputError)
    expect((bad as Error).message).toMatch(/openai, anthropic, test/)
  })

  it("a missing key is an error naming the variable", async () => {
    const saved = process.env.OPENAI_API_KEY
    delete process.env.OPENAI_API_KEY
    try {
      const error = await modelRequest("openai:gpt-4o-mini", prompt).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidInputError)
      expect((error as Error).message).toMatch(/OPENAI_API_KEY/)
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved
    }
  })

  it("an aborted signal rejects with its reason and interrupts the request", async () => {
    let interrupted = false
    const slow = FunctionModel.layer(() => Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => { interrupted = true }))))
    const controller = new AbortController()
    const reason = new Error("user cancelled")
    const pending = modelRequest(slow, prompt, { signal: controller.signal })
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
    expect(interrupted).toBe(true)
    await expect(modelRequest(slow, prompt, { signal: controller.signal })).rejects.toBe(reason)
  })

  it("builds a Layer once and reuses it across calls", async () => {
    let builds = 0
    const counted = Layer.effect(LanguageModel.LanguageModel, Effect.sync(() => {
      builds++
      return TestModel.make()
    }))
    await modelRequest(counted, prompt)
    await modelRequest(counted, prompt)
    await Promise.all([modelRequest(counted, prompt), modelRequest(counted, prompt)])
    expect(builds).toBe(1)
  })
})

describe("modelRequestStream", () => {
  it("returns at once, starts on the first next(), and exposes the response", async () => {
    let started = 0
    const layer = FunctionModel.layer(() => "unused", {
      stream: () => {
        started++
        return Stream.make("Albert Einstein was ", "a German-born theoretical ", "physicist.")
      }
    })
    const stream = modelRequestStream(layer, prompt)
    await new Promise((r) => setTimeout(r, 10))
    expect(started).toBe(0)
    const events = []
    for await (const event of stream) events.push(event)
    expect(started).toBe(1)
    expect(events.map((e) => e._tag)).toEqual(["PartStartEvent", "FinalResultEvent", "PartDeltaEvent", "PartDeltaEvent", "PartEndEvent"])
    expect(stream.response.text).toBe("Albert Einstein was a German-born theoretical physicist.")
    expect(stream.modelName).toBe("function")
    expect(stream.timestamp).toBeInstanceOf(Date)
  })

  it("break aborts the underlying stream", async () => {
    let finalized = false
    const layer = FunctionModel.layer(() => "unused", {
      stream: () =>
        Stream.concat(Stream.make("a", "b"), Stream.never).pipe(Stream.ensuring(Effect.sync(() => { finalized = true })))
    })
    const stream = modelRequestStream(layer, prompt)
    for await (const event of stream) {
      if (event._tag === "PartStartEvent") break
    }
    expect(finalized).toBe(true)
    expect(stream.response.text).toBe("ab")
  })

  it("rejects next() with the library's error", async () => {
    const layer = FunctionModel.layer(() => "unused", {
      stream: () => Stream.concat(Stream.make("partial"), Stream.fail(new RateLimitError({ provider: "function" })))
    })
    const stream = modelRequestStream(layer, prompt)
    const seen: Array<string> = []
    const error = await (async () => {
      for await (const event of stream) seen.push(event._tag)
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect(seen).toContain("PartStartEvent")
  })

  it("an aborted signal stops the stream with its reason", async () => {
    const controller = new AbortController()
    const layer = FunctionModel.layer(() => "unused", { stream: () => Stream.concat(Stream.make("a"), Stream.never) })
    const stream = modelRequestStream(layer, prompt, { signal: controller.signal })
    const reason = new Error("stop")
    const consumed = (async () => {
      for await (const _ of stream) controller.abort(reason)
    })()
    await expect(consumed).rejects.toBe(reason)
  })
})

describe("the facade entry", () => {
  it("reaches Output and Telemetry, the main entry's namespaces", async () => {
    const Direct = await import("../src/direct/index.js")
    const Main = await import("../src/index.js")
    expect(Direct.Output).toBe(Main.Output)
    expect(Direct.Telemetry).toBe(Main.Telemetry)
    expect(typeof Direct.Output.decodeSync).toBe("function")
    expect(typeof Direct.Telemetry.configure).toBe("function")
  })
})
