/**
 * How a test chooses the life of an emulated OpenAI batch: the {@link OpenAiBatchLifecycle}, and
 * the header and metadata that carry it.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { type ResultFileLayout, batchLifecycleHeaderName, lifecycleHeader } from "../lifecycle.js"
import type { OpenAiWebhookTarget } from "./webhooks.js"

/**
 * How an emulated OpenAI batch lives. Lifecycles advance per status call
 * (`GET /v1/batches/:id`), never per second, so tests need no clock: with `statusCalls: N` the
 * batch is `validating` at create, `in_progress` with growing request counts, `finalizing` at
 * call N - 1 (N ≥ 3), and final at call N. A cancel makes it `cancelling`; the next status call
 * makes it `cancelled`, with the requests finished by then in the output file.
 *
 * Choose it, from the most to the least specific:
 * - per batch: the batch's metadata key `emulator_lifecycle`, a JSON text of this shape
 *   (`Batch.run(requests, { metadata: { emulator_lifecycle: JSON.stringify({ statusCalls: 0 }) } })`);
 * - per client: the create's `x-emulator-batch` header, set once on an SDK's `defaultHeaders`
 *   with {@link openAiBatchLifecycleHeader} (as for Anthropic);
 * - per emulator, in process: `openAiBatchEmulator(emulator).lifecycle = { ... }`;
 * - per emulator, from another process: `POST {url}/v1/emulator/batch-lifecycle` with the JSON
 *   (or `null` to go back to the default).
 * Faults on any call come from the emulator's scripts (`emulator.script("GET /v1/batches/:id",
 * openAiError(429, ...))`); `openAiBatchEmulator(emulator).handler(key)` gives a route's default
 * behaviour to wrap (`async (r) => ({ ...(await handler(r)), fault: "truncate" })`).
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAiBatchLifecycle extends ResultFileLayout {
  /** Status calls until the batch is final (default 3); 0 makes it final at create. */
  readonly statusCalls?: number | undefined
  /** How it ends (default "completed"); "failed" fails validation with `batchErrors`. */
  readonly outcome?: "completed" | "expired" | "cancelled" | "failed" | undefined
  /** Requests (in submission order) finished before an expired or cancelled end (default half). */
  readonly processed?: number | undefined
  /** Requests that fail, by custom id: the HTTP status of their error line (400, 500, ...). */
  readonly errors?: Readonly<Record<string, number>> | undefined
  /** The `errors.data` of a "failed" outcome (default one `invalid_request` error on line 1). */
  readonly batchErrors?: ReadonlyArray<{ readonly code: string; readonly message: string; readonly line?: number; readonly param?: string }> | undefined
  /**
   * End the batch (with `outcome`) this many real milliseconds after create, without a status
   * call; status calls before then keep it `in_progress`. Overrides `statusCalls`.
   */
  readonly finishAfterMs?: number | undefined
  /** Where this batch's final event is posted (wins over the emulator's `webhook`). */
  readonly webhook?: OpenAiWebhookTarget | undefined
}

/**
 * The header that chooses a batch's lifecycle on `POST /v1/batches` (the same as Anthropic's).
 *
 * @since 0.1.0
 * @category constants
 */
export const openAiBatchLifecycleHeaderName = batchLifecycleHeaderName

/**
 * The header for a client's `defaultHeaders` that gives every batch it creates this lifecycle
 * (the `emulator_lifecycle` metadata key still wins).
 *
 * @since 0.1.0
 * @category testing
 */
export const openAiBatchLifecycleHeader: (lifecycle: OpenAiBatchLifecycle) => Record<string, string> = lifecycleHeader

/**
 * A lifecycle from its JSON text (metadata or header); undefined when absent or not a JSON object.
 *
 * @since 0.2.0
 * @category codecs
 */
export const parseLifecycle = (raw: string | undefined): OpenAiBatchLifecycle | undefined => {
  if (raw === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? (parsed as OpenAiBatchLifecycle) : undefined
  } catch {
    return undefined
  }
}
