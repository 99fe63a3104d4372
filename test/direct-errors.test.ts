/**
 * The rate-limit message a facade user reads: a retry-after of 0 is leave to retry now (not "wait
 * 0"), any other retry-after is a formatted duration, and none says nothing of waiting.
 */
import { Duration, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { modelRequest, ModelRequest, RateLimitError } from "../src/direct/index.js"
import * as FunctionModel from "../src/testing/FunctionModel.js"

const prompt = [ModelRequest.userTextPrompt("What is the capital of France?")]

describe("RateLimitError's message", () => {
  it("a retry-after of 0 says a retry may go now, not 'wait 0'", () => {
    const message = new RateLimitError({ provider: "openai", retryAfter: Duration.zero }).message
    expect(message).toMatch(/^openai rate limit hit \(429\)\. The provider allows a retry now/)
    expect(message).not.toMatch(/wait 0/)
  })

  it("another retry-after is a formatted duration", () => {
    expect(new RateLimitError({ provider: "openai", retryAfter: Duration.seconds(7) }).message).toContain("The provider asked to wait 7s.")
    expect(new RateLimitError({ provider: "openai", retryAfter: Duration.seconds(90) }).message).toContain("The provider asked to wait 1m 30s.")
  })

  it("without a retry-after it only advises", () => {
    const message = new RateLimitError({ provider: "anthropic" }).message
    expect(message).toBe("anthropic rate limit hit (429). Retry later, lower concurrency, or use a batch for bulk work.")
  })

  it("a facade rejection carries it", async () => {
    const limited = FunctionModel.layer(() => Effect.fail(new RateLimitError({ provider: "function", retryAfter: Duration.zero })))
    const error = await modelRequest(limited, prompt).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).message).toContain("allows a retry now")
  })
})
