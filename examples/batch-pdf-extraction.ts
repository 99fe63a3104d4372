/**
 * Bulk extraction from a document through a batch, with prompt caching on top of the batch
 * discount: 200 questions about one PDF, each request the PDF and the instructions (a cached
 * prefix, marked by a `CachePoint` with a one-hour lifetime, since a batch may take longer than
 * five minutes to start) and then its own question. `Batch.primeCache` writes the prefix to the
 * cache once, with one direct request, before the batch is submitted, so every request of the
 * batch reads it; the summary prices the results and shows both savings.
 */
import { Console, Effect } from "effect"
import { Anthropic, Batch, Message } from "../src/index.js"
import { check, type EmulatorSettings, runExample, usingRealProviders } from "./_support.js"

// a small one-page PDF (in a real program: fs.readFileSync("invoice.pdf"))
const pdfText = [
  "%PDF-1.4",
  "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
  "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
  "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj",
  "4 0 obj << /Length 88 >> stream",
  "BT /F1 12 Tf 20 100 Td (Invoice 2026-117: 3 items, total 1,240.50 EUR, due 2027-01-15) Tj ET",
  "endstream endobj",
  "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj",
  "trailer << /Root 1 0 R >>",
  "%%EOF"
].join("\n")
const pdf = new Message.BinaryContent({ data: new TextEncoder().encode(pdfText), mediaType: "application/pdf" })

const instructions = "You answer questions about the attached invoice. Answer with the value only, no sentence."
const questions = ["the invoice number", "the total", "the currency", "the due date", "the number of items"]

const requests = Array.from({ length: 200 }, (_, i) => ({
  customId: `q-${i}`,
  messages: [new Message.ModelRequest({
    parts: [new Message.UserPromptPart({
      content: [pdf, instructions, new Message.CachePoint({ ttl: "1h" }), `Question ${i}: what is ${questions[i % questions.length]}?`]
    })]
  })],
  settings: { maxTokens: 50 }
}))

// standard prices per million tokens; cache writes (1 hour) at 2× input, reads at 0.1×
const prices = { "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5, cacheReadPerMillion: 0.1, cacheWritePerMillion: 2 } }

const program = Effect.gen(function* () {
  const primed = yield* Batch.primeCache(requests)
  yield* Console.log(`primed ${primed.prefixes} cached prefix for ${primed.requests} requests (${primed.usage.cacheWriteTokens} tokens written)`)
  const summary = yield* Batch.runWithSummary(requests, {
    pollInterval: usingRealProviders() ? "1 minute" : "10 millis",
    cost: { prices }
  })
  const bill = summary.cost!
  const ok = summary.results.filter((r) => r.isSuccessful).length
  yield* Console.log(`${ok}/${requests.length} answered; ${summary.usage.cacheReadTokens} input tokens read from the cache`)
  yield* Console.log(`as direct requests without caching: $${bill.standardCost.toFixed(4)}`)
  yield* Console.log(`  saved by the batch discount:   -$${bill.batchSavings.toFixed(4)}`)
  yield* Console.log(`  saved by prompt caching:       -$${bill.cacheSavings.toFixed(4)}`)
  yield* Console.log(`paid: $${bill.totalCost.toFixed(4)}`)
  check(ok === requests.length, "every question answered")
  check(primed.prefixes === 1 && primed.usage.cacheWriteTokens > 0, "one prefix primed, written to the cache")
  check(summary.results.every((r) => r.isSuccessful && r.response.usage.cacheReadTokens > 0), "every batch request read the cache")
  check(bill.cacheSavings > 0 && bill.batchSavings > 0, "both savings")
  check(Math.abs(bill.standardCost - bill.totalCost - bill.cacheSavings - bill.batchSavings) < 1e-12, "the savings add up")
})

export const main = (): Promise<void> => Effect.runPromise(program.pipe(Effect.provide(Anthropic.model("claude-haiku-4-5"))))

runExample(import.meta.url, main)

export const emulatorSettings: EmulatorSettings = {}
