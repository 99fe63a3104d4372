/**
 * Conformance of the OpenAI batch calls: the file upload, batch create, retrieve, cancel, list and
 * file download our BatchModel makes, checked against OpenAI's official OpenAPI spec by the
 * `@stdy/cli` mock server, which answers 400 to a request that violates it. Every test asserts
 * the statuses steady gave; the first shows that a violating batch or file request gets a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Schema, Stream } from "effect"
import OpenAI from "openai"
import * as Batch from "../src/Batch.js"
import { BatchModel } from "../src/BatchModel.js"
import { ModelRequest } from "../src/Message.js"
import * as OpenAi from "../src/providers/openai/index.js"
import * as Tool from "../src/Tool.js"
import { failureOf } from "./helpers/openai.js"
import { clientLayer } from "./helpers/openai-batch.js"
import { type Steady, startSteady } from "./helpers/openaiSteady.js"

interface Exchange {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly diagnostic: string
}

let steady: Steady
const exchanges: Array<Exchange> = []

beforeAll(async () => {
  steady = await startSteady()
}, 30_000)

afterAll(async () => {
  await steady?.stop()
})

const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await fetch(input, init)
  const url = new URL(String(input))
  // the SDK probes file support with a `data:` URL once: not an exchange with steady
  if (url.protocol === "data:") return response
  const diagnostic = response.status >= 400 ? await response.clone().text() : ""
  exchanges.push({ method: init?.method ?? "GET", path: `${url.pathname}${url.search}`, status: response.status, diagnostic })
  return response
}

const KEY = "conformance-key"
const sdk = () => new OpenAI({ apiKey: KEY, baseURL: steady.baseURL, maxRetries: 0, fetch: recordingFetch })
const model = () => OpenAi.batchModel("gpt-4o-mini").pipe(Layer.provide(clientLayer(sdk(), KEY)))

/** Runs a program against steady and returns its exit and the exchanges it made. */
const exchangesOf = <A, E>(program: Effect.Effect<A, E, BatchModel>) =>
  Effect.gen(function* () {
    const before = exchanges.length
    const exit = yield* Effect.exit(Effect.provide(program, model()))
    return { exit, made: exchanges.slice(before) }
  })

const shown = (made: ReadonlyArray<Exchange>) => made.map((e) => `${e.method} ${e.path} ${e.status} ${e.diagnostic}`.trim())

const Divide = Tool.make("divide", {
  description: "Divide two numbers.",
  parameters: Schema.Struct({ numerator: Schema.Number, denominator: Schema.Number })
})

describe("OpenAI batch conformance (OpenAPI spec via steady)", () => {
  it.live("steady rejects a file upload or a batch create that violates the spec with 400 (so these tests can fail)", () =>
    Effect.gen(function* () {
      const before = exchanges.length
      const upload = yield* Effect.promise(() =>
        sdk().files.create({ file: new File(["{}\n"], "a.jsonl"), purpose: "bogus" as "batch" }).then(() => undefined, (e: unknown) => e))
      expect(upload).toBeInstanceOf(OpenAI.BadRequestError)
      const create = yield* Effect.promise(() =>
        sdk().batches.create({ input_file_id: "file-1", endpoint: "/v1/bogus" as "/v1/chat/completions", completion_window: "24h" }).then(() => undefined, (e: unknown) => e))
      expect(create).toBeInstanceOf(OpenAI.BadRequestError)
      const made = exchanges.slice(before)
      expect(made.map((e) => e.status)).toEqual([400, 400])
      expect(made[0]!.diagnostic).toContain("body.purpose")
      expect(made[1]!.diagnostic).toContain("body.endpoint")
    }))

  it.live("create: the multipart upload (purpose batch) and the batch create with metadata are accepted", () =>
    Effect.gen(function* () {
      const requests = [
        new Batch.BatchRequest({ customId: "a", messages: [ModelRequest.userTextPrompt("What is 2 + 2?", { instructions: "Be brief." })], settings: { maxTokens: 20, temperature: 0 } }),
        Batch.BatchRequest.from({ customId: "b", messages: [ModelRequest.userTextPrompt("Divide 10 by 4")], parameters: { functionTools: [Divide] } })
      ]
      const { exit, made } = yield* exchangesOf(Effect.flatMap(BatchModel, (m) => m.create(requests, { metadata: { project: "conformance" } })))
      expect(shown(made)).toEqual(["POST /files 200", "POST /batches 200"])
      // steady's answer is random but schema-valid: it decodes into a Batch
      expect(Exit.isSuccess(exit) && exit.value.customIds).toEqual(["a", "b"])
    }))

  it.live("retrieve, cancel and list are accepted", () =>
    Effect.gen(function* () {
      const status = yield* exchangesOf(Effect.flatMap(BatchModel, (m) => m.status("batch_abc123")))
      expect(shown(status.made)).toEqual(["GET /batches/batch_abc123 200"])
      expect(Exit.isSuccess(status.exit)).toBe(true)

      const cancel = yield* exchangesOf(Effect.flatMap(BatchModel, (m) => m.cancel("batch_abc123")))
      expect(shown(cancel.made)).toEqual(["POST /batches/batch_abc123/cancel 200"])
      expect(Exit.isSuccess(cancel.exit)).toBe(true)

      // steady's random pages may say has_more: every page asked for is accepted
      const list = yield* exchangesOf(Stream.runCollect(Stream.unwrap(Effect.map(BatchModel, (m) => m.list({ limit: 5, after: "batch_abc123" })))))
      expect(list.made.length).toBeGreaterThanOrEqual(1)
      expect(list.made.map((e) => e.status).every((s) => s === 200)).toBe(true)
      expect(list.made[0]!.path).toBe("/batches?limit=5&after=batch_abc123")
      expect(Exit.isSuccess(list.exit) && Chunk.size(list.exit.value)).toBeLessThanOrEqual(5)
    }))

  it.live("the result file download is accepted (steady's content is not JSONL: a typed decode error)", () =>
    Effect.gen(function* () {
      const batch = new Batch.Batch({
        id: "batch_abc123",
        provider: "openai",
        status: "completed",
        requestCount: 1,
        completedCount: 1,
        failedCount: 0,
        createdAt: new Date(0),
        details: { inputFileId: "file-in", outputFileId: "file-out" }
      })
      const { exit, made } = yield* exchangesOf(Stream.runCollect(Stream.unwrap(Effect.map(BatchModel, (m) => m.results(batch)))))
      expect(shown(made)).toEqual(["GET /files/file-out/content 200"])
      if (Exit.isFailure(exit)) expect(failureOf(exit)._tag).toBe("ResponseDecodeError")
    }))
})
