/**
 * OpenAI webhooks for batch runs. OpenAI signs each event the Standard Webhooks way (an HMAC of
 * `webhook-id.webhook-timestamp.body` with your endpoint's secret); {@link webhookHandler} is an
 * `@effect/platform` HttpApp for your own route that verifies the signature with the SDK
 * (`client.webhooks.unwrap`: it refuses a bad signature, a missing header and a timestamp more
 * than `tolerance` seconds old or ahead), answers 400 to anything it refuses and 200 otherwise,
 * and publishes the verified events to the {@link OpenAiWebhooks} PubSub, where
 * `Batch.webhook` (through {@link webhookCompletion}) wakes the runs waiting for those batches.
 *
 * The secret comes from `OPENAI_WEBHOOK_SECRET` through `Config.redacted` ({@link layerConfig})
 * or as a Redacted ({@link layer}). It is never logged, and no response echoes it.
 *
 * @example
 * const app = HttpRouter.empty.pipe(HttpRouter.post("/webhooks/openai", OpenAi.webhookHandler()))
 * const program = Effect.gen(function* () {
 *   const completion = yield* OpenAi.webhookCompletion()
 *   return yield* Batch.run(requests, { completion })
 * })
 * // both share one PubSub: provide OpenAi.webhooksLayerConfig() to the server and to the program
 *
 * @since 0.1.0
 */
// the modules, not the @effect/platform barrel, which loads every platform module (~23 MB of heap)
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import { Config, ConfigError, Context, Effect, Either, Layer, PubSub, Redacted, Schema, type Scope } from "effect"
import type OpenAI from "openai"
import { openAiSdk } from "./sdk.js"
import type { UnwrapWebhookEvent } from "openai/resources/webhooks"
import * as BatchCompletion from "../../BatchCompletion.js"

/**
 * A verified OpenAI webhook event, as the SDK types it (batch, response, fine-tuning, eval, ...).
 *
 * @since 0.1.0
 * @category models
 */
export type OpenAiWebhookEvent = UnwrapWebhookEvent

/**
 * What the webhooks service holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The verified events, for every subscriber (`Batch.webhook` subscribes per batch). */
  readonly events: PubSub.PubSub<OpenAiWebhookEvent>
  /** Verifies one delivery (raw body, request headers) and parses it; does not publish. */
  readonly verify: (
    body: string,
    headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  ) => Effect.Effect<OpenAiWebhookEvent, WebhookVerificationError>
  /** Publishes a verified event (the handler does this after `verify`). */
  readonly publish: (event: OpenAiWebhookEvent) => Effect.Effect<void>
}

/**
 * The webhooks service Tag: shared by the HTTP handler and the runs that wait on it.
 *
 * @since 0.1.0
 * @category context
 */
export class OpenAiWebhooks extends Context.Tag("effect-llm-direct/OpenAiWebhooks")<OpenAiWebhooks, Service>() {}

/**
 * A delivery that failed verification: what was wrong, never the secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookVerificationError extends Schema.TaggedError<WebhookVerificationError>()("WebhookVerificationError", {
  /** The SDK's reason ("Webhook timestamp is too old", "Missing required header: webhook-id", ...). */
  reason: Schema.String
}) {
  override get message(): string {
    return `OpenAI webhook refused: ${this.reason}. Check that the endpoint's signing secret is the one configured (OPENAI_WEBHOOK_SECRET) and that the clock is right.`
  }
}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The endpoint's signing secret (`whsec_...`), as the OpenAI dashboard shows it. */
  readonly secret: Redacted.Redacted<string>
  /** How old (or far ahead) a delivery's timestamp may be, in seconds (default 300, the SDK's). */
  readonly tolerance?: number | undefined
}

/**
 * The verification of {@link Service.verify} alone: the SDK's `webhooks.unwrap` with this secret
 * and tolerance (used by the Promise facade's receiver too).
 *
 * @since 0.1.0
 * @category utils
 */
export const verifier = (options: Options): Service["verify"] => {
  // only `webhooks.unwrap` is used: no request is ever sent, so the key is a placeholder and
  // every other option is explicit (no OPENAI_* variable changes what this does)
  // (built at the first delivery: the SDK is imported on first use, sdk.ts)
  let built: OpenAI | undefined
  const client = Effect.map(openAiSdk, ({ OpenAI }) =>
    (built ??= new OpenAI({ apiKey: "webhook-verification-only", adminAPIKey: null, organization: null, project: null, webhookSecret: null, maxRetries: 0 })))
  const tolerance = options.tolerance ?? 300
  return (body, headers) =>
    Effect.flatMap(client, (sdk) =>
      Effect.tryPromise({
        try: () => sdk.webhooks.unwrap(body, headers as Record<string, string>, Redacted.value(options.secret), tolerance),
        catch: (error) =>
          new WebhookVerificationError({ reason: error instanceof SyntaxError ? "the body is not JSON" : error instanceof Error ? error.message : "unknown" })
      })).pipe(Effect.withSpan("openai.webhook.verify"))
}

/**
 * The service from options, with a PubSub that lives as long as the Layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const events = yield* Effect.acquireRelease(PubSub.unbounded<OpenAiWebhookEvent>(), PubSub.shutdown)
    return { events, verify: verifier(options), publish: (event) => Effect.asVoid(PubSub.publish(events, event)) }
  })

/**
 * The webhooks service from a secret.
 *
 * @example
 * OpenAi.webhooksLayer({ secret: Redacted.make(process.env.MY_WEBHOOK_SECRET!) })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<OpenAiWebhooks> => Layer.scoped(OpenAiWebhooks, make(options))

const missingSecret = ConfigError.MissingData(
  ["OPENAI_WEBHOOK_SECRET"],
  "OPENAI_WEBHOOK_SECRET is not set: export your webhook endpoint's signing secret (whsec_...) as OPENAI_WEBHOOK_SECRET, or build the service with OpenAi.webhooksLayer({ secret })"
)

/**
 * The signing secret from OPENAI_WEBHOOK_SECRET; a missing or empty one is a ConfigError naming it.
 *
 * @since 0.1.0
 * @category constants
 */
export const secretConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted("OPENAI_WEBHOOK_SECRET").pipe(
  Config.mapOrFail((secret) => (Redacted.value(secret).trim() === "" ? Either.left(missingSecret) : Either.right(secret)))
)

/**
 * The webhooks service with the secret from OPENAI_WEBHOOK_SECRET (any `ConfigProvider`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (options?: Omit<Options, "secret">): Layer.Layer<OpenAiWebhooks, ConfigError.ConfigError> =>
  Layer.scoped(
    OpenAiWebhooks,
    secretConfig.pipe(
      Effect.mapError((error) => (ConfigError.isMissingDataOnly(error) ? missingSecret : error)),
      Effect.flatMap((secret) => make({ ...options, secret }))
    )
  )

/**
 * The HttpApp for your webhook route: verifies the delivery, publishes the event, answers 200;
 * answers 400 (with the reason, never the secret) to a bad or stale signature or a body that
 * cannot be read.
 *
 * @example
 * HttpRouter.empty.pipe(HttpRouter.post("/webhooks/openai", OpenAi.webhookHandler()))
 *
 * @since 0.1.0
 * @category utils
 */
export const webhookHandler = (): HttpApp.Default<never, OpenAiWebhooks> =>
  Effect.gen(function* () {
    const hooks = yield* OpenAiWebhooks
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* Effect.either(request.text)
    if (Either.isLeft(body)) return HttpServerResponse.unsafeJson({ error: "the request body could not be read" }, { status: 400 })
    const verified = yield* Effect.either(hooks.verify(body.right, request.headers))
    if (Either.isLeft(verified)) {
      yield* Effect.logWarning("OpenAI webhook refused").pipe(Effect.annotateLogs("reason", verified.left.reason))
      return HttpServerResponse.unsafeJson({ error: verified.left.reason }, { status: 400 })
    }
    yield* hooks.publish(verified.right)
    return HttpServerResponse.empty({ status: 200 })
  }).pipe(Effect.withSpan("openai.webhook"))

/**
 * The verified events read as batch events: every batch event of the SDK's union has this shape;
 * the others (a few without `data.id`) are skipped by `Batch.webhook`'s type filter before their
 * data is read.
 */
const asBatchEvents = (events: PubSub.PubSub<OpenAiWebhookEvent>): PubSub.PubSub<BatchCompletion.BatchEvent> =>
  events as unknown as PubSub.PubSub<BatchCompletion.BatchEvent>

/**
 * `Batch.webhook` over the {@link OpenAiWebhooks} PubSub: pass it as a run's `completion`.
 *
 * @example
 * const completion = yield* OpenAi.webhookCompletion({ fallback: "30 minutes" })
 * const results = yield* Batch.run(requests, { completion })
 *
 * @since 0.1.0
 * @category utils
 */
export const webhookCompletion = (options?: BatchCompletion.WebhookOptions): Effect.Effect<BatchCompletion.Completion, never, OpenAiWebhooks> =>
  Effect.map(OpenAiWebhooks, (hooks)  => BatchCompletion.webhook(asBatchEvents(hooks.events), options))
