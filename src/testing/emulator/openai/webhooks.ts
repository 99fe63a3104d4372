/**
 * OpenAI batch webhooks on the emulator: every batch that reaches a final status is announced by
 * a POST of a `batch.completed` / `batch.failed` / `batch.expired` / `batch.cancelled` event,
 * signed the Standard Webhooks way as OpenAI signs them ({@link signOpenAiWebhook}); a target
 * with `drop: true` loses them instead (to test a fallback).
 *
 * @since 0.2.0
 */
import { createHash, createHmac } from "node:crypto"

/**
 * Where the emulator posts batch webhooks, and with which secret it signs them.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAiWebhookTarget {
  /** The URL to POST events to. */
  readonly url: string
  /** The signing secret, `whsec_<base64>` as OpenAI shows it (or any text, used as is). */
  readonly secret: string
  /** Lose every event instead of posting it (the delivery is still recorded). */
  readonly drop?: boolean | undefined
}

/**
 * One webhook the emulator sent (or dropped).
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookDelivery {
  readonly eventId: string
  readonly type: string
  readonly batchId: string
  /** The HTTP status the receiver answered, "dropped", or "error" when the POST failed. */
  readonly outcome: number | "dropped" | "error"
}

/**
 * The Standard Webhooks headers of a body, as OpenAI signs them: `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, keyed by the base64 part of a `whsec_` secret (or the text itself).
 *
 * @since 0.1.0
 * @category utils
 */
export const signOpenAiWebhook = (
  secret: string,
  body: string,
  options?: { readonly id?: string | undefined; readonly timestamp?: number | undefined }
): Record<string, string> => {
  const id = options?.id ?? `msg_emu_${createHash("sha256").update(body).digest("hex").slice(0, 16)}`
  const timestamp = String(options?.timestamp ?? Math.floor(Date.now() / 1000))
  const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret, "utf8")
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` }
}

/**
 * One emulator's webhooks: where they go, what was sent, what is still under way.
 *
 * @since 0.2.0
 * @category models
 */
export interface Webhooks {
  target: OpenAiWebhookTarget | undefined
  readonly deliveries: Array<WebhookDelivery>
  readonly inFlight: Set<Promise<void>>
}

/**
 * No target, nothing sent.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWebhooks = (): Webhooks => ({ target: undefined, deliveries: [], inFlight: new Set() })

/**
 * Posts (or drops) the event of a batch that just became final, to the batch's own target or
 * else the emulator's.
 *
 * @since 0.2.0
 * @category utils
 */
export const announce = (
  webhooks: Webhooks,
  batch: { readonly id: string; readonly status: string; readonly lifecycle: { readonly webhook?: OpenAiWebhookTarget | undefined } },
  createdAt: number
): void => {
  const target = batch.lifecycle.webhook ?? webhooks.target
  if (target === undefined) return
  const type = `batch.${batch.status}`
  const eventId = `evt_emu_${batch.id.slice(6)}_${batch.status}`
  const { deliveries, inFlight } = webhooks
  if (target.drop === true) {
    deliveries.push({ eventId, type, batchId: batch.id, outcome: "dropped" })
    return
  }
  const body = JSON.stringify({ id: eventId, object: "event", created_at: createdAt, type, data: { id: batch.id } })
  const post = fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...signOpenAiWebhook(target.secret, body, { id: `msg_${eventId}` }) },
    body
  }).then(
    async (response) => {
      await response.arrayBuffer().catch(() => undefined)
      deliveries.push({ eventId, type, batchId: batch.id, outcome: response.status })
    },
    () => {
      deliveries.push({ eventId, type, batchId: batch.id, outcome: "error" })
    }
  )
  inFlight.add(post)
  void post.finally(() => inFlight.delete(post))
}

/**
 * Resolves once every webhook POST under way has been answered.
 *
 * @since 0.2.0
 * @category utils
 */
export const settled = async (webhooks: Webhooks): Promise<void> => {
  while (webhooks.inFlight.size > 0) await Promise.all([...webhooks.inFlight])
}
