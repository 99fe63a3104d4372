/**
 * The key of a request in a batched model's pending store: a digest of everything that makes
 * the request what it is (provider, model, messages, parameters, settings), so that the same
 * request made by a later run of the same program finds what an earlier run submitted.
 *
 * @since 0.2.0
 * @internal
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import { ModelMessages, type ModelMessage } from "../../Message.js"
import { ModelRequestParameters, type ModelSettings } from "../../Parameters.js"

const encodeMessages = Schema.encodeSync(ModelMessages)
const encodeParameters = Schema.encodeSync(ModelRequestParameters)

/** JSON with the keys of every object sorted, so that the order a program builds them in does not matter. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key]
    return sorted
  })

/**
 * The request's key: 40 hex digits of a SHA-256 digest (short enough for every provider's
 * custom id: Anthropic takes at most 64 characters of `[a-zA-Z0-9_-]`).
 *
 * @since 0.2.0
 * @category utils
 */
export const requestKey = (request: {
  readonly provider: string
  readonly model: string
  readonly messages: ReadonlyArray<ModelMessage>
  readonly parameters: ModelRequestParameters
  readonly settings: ModelSettings | undefined
}): string =>
  createHash("sha256")
    .update(canonical([request.provider, request.model, encodeMessages(request.messages), encodeParameters(request.parameters), request.settings ?? {}]))
    .digest("hex")
    .slice(0, 40)
