/**
 * The Promise facade's webhook receiver: verifies OpenAI deliveries from any HTTP framework and
 * wakes the batch runs given it as `webhook`. Exported by `effect-llm-direct/direct`.
 *
 * @since 0.1.0
 */
import { Effect, Either, Exit, PubSub, Redacted, Scope } from "effect"
import * as BatchCompletion from "./BatchCompletion.js"
import { type OpenAiWebhookEvent, verifier } from "./providers/openai/OpenAiWebhook.js"

/**
 * Options of {@link BatchWebhookReceiver}.
 *
 * @since 0.1.0
 * @category options
 */
export interface WebhookReceiverOptions {
  /** The endpoint's signing secret (default: the OPENAI_WEBHOOK_SECRET environment variable). */
  readonly secret?: string | undefined
  /** How old (or far ahead) a delivery's timestamp may be, in seconds (default 300). */
  readonly tolerance?: number | undefined
}

/**
 * What {@link BatchWebhookReceiver.receive} tells your route to answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookReceipt {
  /** 200 for a verified delivery, 400 for a refused one. */
  readonly status: 200 | 400
  /** The verified event. */
  readonly event?: OpenAiWebhookEvent | undefined
  /** Why it was refused (never the secret). */
  readonly error?: string | undefined
}

/**
 * Receives OpenAI webhooks for batch runs: call {@link receive} from your HTTP route with the raw
 * body and the headers, answer with the status it returns, and pass the receiver as
 * `modelRequestBatch(..., { webhook: receiver })`. Events can also be pushed with
 * {@link publish} (verified by you) or read with `for await (const event of receiver)`.
 *
 * @example
 * const receiver = new BatchWebhookReceiver()              // OPENAI_WEBHOOK_SECRET
 * app.post("/webhooks/openai", async (req, res) => {       // express, with express.text({ type: "*\/*" })
 *   const { status, error } = await receiver.receive(req.body, req.headers)
 *   res.status(status).send(error ?? "")
 * })
 * const results = await modelRequestBatch("openai:gpt-4o-mini", requests, { webhook: receiver })
 *
 * @since 0.1.0
 * @category models
 */
export class BatchWebhookReceiver implements AsyncIterable<OpenAiWebhookEvent> {
  readonly #events = Effect.runSync(PubSub.unbounded<OpenAiWebhookEvent>())
  readonly #verify: ReturnType<typeof verifier>

  constructor(options?: WebhookReceiverOptions) {
    const secret = options?.secret ?? process.env.OPENAI_WEBHOOK_SECRET
    if (secret === undefined || secret.trim() === "") {
      throw new TypeError("BatchWebhookReceiver needs the webhook signing secret: set OPENAI_WEBHOOK_SECRET or pass { secret }.")
    }
    this.#verify = verifier({ secret: Redacted.make(secret), tolerance: options?.tolerance })
  }

  /** Verifies one delivery and, when it is genuine, wakes the runs waiting for its batch. */
  async receive(body: string, headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Promise<WebhookReceipt> {
    const verified = await Effect.runPromise(Effect.either(this.#verify(body, headers)))
    if (Either.isLeft(verified)) return { status: 400, error: verified.left.reason }
    this.publish(verified.right)
    return { status: 200, event: verified.right }
  }

  /** Publishes an event you verified yourself. */
  publish(event: OpenAiWebhookEvent): void {
    Effect.runSync(PubSub.publish(this.#events, event))
  }

  /** The events from now on, as they come (until the loop stops). */
  async *[Symbol.asyncIterator](): AsyncIterator<OpenAiWebhookEvent> {
    const scope = Effect.runSync(Scope.make())
    try {
      const queue = Effect.runSync(PubSub.subscribe(this.#events).pipe(Scope.extend(scope)))
      while (true) yield await Effect.runPromise(queue.take)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }

  /** The run completion for these events, with this fallback poll interval in seconds (default 3600). */
  completion(fallbackSeconds?: number | undefined): BatchCompletion.Completion {
    return BatchCompletion.webhook(this.#events as unknown as PubSub.PubSub<BatchCompletion.BatchEvent>, { fallback: `${fallbackSeconds ?? 3600} seconds` })
  }
}
