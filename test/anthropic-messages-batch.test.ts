/**
 * A batch of PDF extractions with a cached shared prefix on Anthropic, through `Batch.run`, the
 * real SDK and the emulator: the documents and cache breakpoints reach every request's params,
 * and the results report the cache writes and reads.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Batch from "../src/Batch.js"
import { BinaryContent, CachePoint, ModelRequest, UserPromptPart } from "../src/Message.js"
import { anthropicBatchEmulator } from "../src/testing/emulator/anthropic.js"
import { harness, useBatchEmulator } from "./helpers/anthropic-batch.js"

const emulator = useBatchEmulator()

const pdf = new BinaryContent({ data: new TextEncoder().encode("%PDF-1.4 an invoice of 42 EUR ".repeat(40)), mediaType: "application/pdf" })
const extraction = (n: number) => ({
  customId: `invoice-${n}`,
  messages: [new ModelRequest({
    parts: [new UserPromptPart({ content: [pdf, new CachePoint(), `Question ${n}: what is the total?`] })],
    instructions: "You extract totals from invoices."
  })],
  settings: { cacheInstructions: true }
})

describe("Anthropic batch with documents and a cached prefix", () => {
  it.effect("the document and the breakpoints go in every request; the first result writes the cache, the others read it", () =>
    Effect.gen(function*() {
      const h = harness(emulator())
      const results = yield* h.drive(Batch.run([1, 2, 3].map(extraction)).pipe(Effect.provide(h.layer)))
      expect(results.map((r) => r.isSuccessful)).toEqual([true, true, true])
      const params = anthropicBatchEmulator(emulator()).batches()[0]!.params as ReadonlyArray<Record<string, unknown>>
      expect(params).toHaveLength(3)
      for (const p of params) {
        expect(p.system).toEqual([{ type: "text", text: "You extract totals from invoices.", cache_control: { type: "ephemeral" } }])
        expect((p.messages as ReadonlyArray<{ readonly content: ReadonlyArray<unknown> }>)[0]!.content[0]).toEqual({
          type: "document",
          source: { type: "base64", media_type: "application/pdf", data: pdf.base64 },
          cache_control: { type: "ephemeral" }
        })
      }
      const usage = results.map((r) => (r.isSuccessful ? r.response.usage : undefined))
      expect(usage[0]!.cacheWriteTokens).toBeGreaterThan(0)
      expect(usage[0]!.cacheReadTokens).toBe(0)
      expect(usage.slice(1).map((u) => [u!.cacheReadTokens, u!.cacheWriteTokens])).toEqual([
        [usage[0]!.cacheWriteTokens, 0],
        [usage[0]!.cacheWriteTokens, 0]
      ])
    }))
})
