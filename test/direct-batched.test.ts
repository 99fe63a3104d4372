/**
 * The facade's `batched(model, options)`: `modelRequest` and `modelRequestStream` calls on it go
 * through the batch API of a model string's provider (the OpenAI SDK against the emulator):
 * concurrent calls share one batch, an aborted call leaves its window, options are in seconds,
 * pending mode keeps its state in a directory, and progress is readable as promises.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { batched, batchedProgress, BatchPendingError, disposeAll, InvalidInputError, ModelRequest, modelRequest, modelRequestStream, watchBatchedProgress } from "../src/direct/index.js"
import { type Emulator, startEmulator } from "../src/testing/Emulator.js"
import { openAiBatchEmulator } from "../src/testing/emulator/openai.js"
import { useEmulator } from "../examples/_support.js"
import { callsTo, KEYS } from "./helpers/openai-batch.js"

let emulator: Emulator
let restore: () => void
beforeAll(async () => {
  emulator = await startEmulator()
  restore = useEmulator(emulator)
})
beforeEach(() => {
  emulator.reset()
  openAiBatchEmulator(emulator).reset()
  openAiBatchEmulator(emulator).lifecycle = { statusCalls: 1 }
  emulator.anthropicBatches.lifecycle = { statusCalls: 1 }
  emulator.googleBatches.lifecycle = { statusCalls: 1 }
})
afterAll(async () => {
  await disposeAll()
  restore()
  await emulator.close()
})

const ask = (text: string) => [ModelRequest.userTextPrompt(text)]

describe("facade: batched", () => {
  it("concurrent modelRequest calls share one batch; each resolves with its own answer", async () => {
    const model = batched("openai:gpt-4o-mini", { maxWait: 0.05, pollInterval: 0.01 })
    const seen: Array<number> = []
    const stop = watchBatchedProgress(model, (p) => seen.push(p.done))
    const answers = await Promise.all(["a", "b", "c"].map((t) => modelRequest(model, ask(t))))
    stop()
    expect(answers.map((r) => r.text)).toEqual(["You said: a", "You said: b", "You said: c"])
    expect(callsTo(emulator, KEYS.createBatch)).toBe(1)
    expect(callsTo(emulator, "POST /v1/chat/completions")).toBe(0)
    expect(await batchedProgress(model)).toMatchObject({ done: 3, batches: 1, queued: 0, inFlight: 0 })
    expect(seen.at(-1)).toBe(3)
  })

  it("modelRequestStream goes through the batch and yields the finished response", async () => {
    const model = batched("openai:gpt-4o-mini", { maxWait: 0.01, pollInterval: 0.01 })
    const stream = modelRequestStream(model, ask("streamed"))
    for await (const _ of stream) void _
    expect(stream.response.text).toBe("You said: streamed")
    expect(callsTo(emulator, KEYS.createBatch)).toBe(1)
  })

  it("an aborted call rejects with the signal's reason and leaves its window", async () => {
    const model = batched("openai:gpt-4o-mini", { maxWait: 0.2, pollInterval: 0.01 })
    const controller = new AbortController()
    const leaving = modelRequest(model, ask("leaves"), { signal: controller.signal })
    const staying = modelRequest(model, ask("stays"))
    setTimeout(() => controller.abort(new Error("not needed")), 20)
    await expect(leaving).rejects.toThrow("not needed")
    expect((await staying).text).toBe("You said: stays")
    expect(openAiBatchEmulator(emulator).batches().map((b) => b.customIds.length)).toEqual([1])
  })

  it("bad options reject the calls with InvalidInputError, before any request", async () => {
    const model = batched("openai:gpt-4o-mini", { maxRequests: -1 })
    await expect(modelRequest(model, ask("x"))).rejects.toBeInstanceOf(InvalidInputError)
    expect(emulator.requests.length).toBe(0)
  })

  it("pending mode: the first run rejects pending, a later one resolves from the directory", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "facade-pending-"))
    try {
      const first = batched("openai:gpt-4o-mini", { maxWait: 0.01, pending: { directory } })
      const rejected = await Promise.allSettled(["p", "q"].map((t) => modelRequest(first, ask(t))))
      expect(rejected.map((r) => r.status === "rejected" && r.reason instanceof BatchPendingError)).toEqual([true, true])
      expect(fs.readdirSync(directory).length).toBe(2)
      // a later run of the same script: a new model over the same directory
      const again = batched("openai:gpt-4o-mini", { maxWait: 0.01, pending: { directory } })
      const answers = await Promise.all(["p", "q"].map((t) => modelRequest(again, ask(t))))
      expect(answers.map((r) => r.text)).toEqual(["You said: p", "You said: q"])
      expect(callsTo(emulator, KEYS.createBatch)).toBe(1)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  it.each(["openai-responses:gpt-4o-mini", "azure:gpt-4o-mini", "anthropic:claude-haiku-4-5", "google:gemini-2.5-flash"])(
    "%s: concurrent calls share one batch of that provider, with no direct call",
    async (name) => {
      const model = batched(name, { maxWait: 0.05, pollInterval: 0.01 })
      const answers = await Promise.all(["one", "two", "three"].map((t) => modelRequest(model, ask(t))))
      answers.forEach((r, i) => expect(r.text).toContain(["one", "two", "three"][i]))
      expect(await batchedProgress(model)).toMatchObject({ done: 3, failed: 0, direct: 0, batches: 1 })
      const direct = emulator.requests.filter((r) => r.method === "POST" && /\/(chat\/completions|responses|messages|models\/[^/]+:generateContent)$/.test(r.path))
      expect(direct.map((r) => r.path)).toEqual([])
    }
  )
})
