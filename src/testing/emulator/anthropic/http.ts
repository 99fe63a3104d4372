/**
 * What every Anthropic answer of the emulator shares: the error body, the API key check, and
 * the `request-id` header, numbered by each emulator on its own.
 *
 * @since 0.2.0
 */
import { makeRouteContext, type RouteContext } from "../context.js"
import type { Json } from "../json.js"
import type { Handler, RecordedRequest, Scripted } from "../route.js"

/**
 * The next id with this prefix from the emulator's Anthropic counter (`msg_emu_000001`, ...).
 *
 * @since 0.2.0
 * @category utils
 */
export const nextId = (context: RouteContext, prefix: string): string => `${prefix}${context.next("anthropic").toString().padStart(6, "0")}`

/**
 * An error answer in Anthropic's format, its request id from this emulator's counter.
 *
 * @since 0.2.0
 * @category constructors
 */
export const errorIn = (context: RouteContext, status: number, type: string, message: string, headers?: Readonly<Record<string, string>>): Scripted => ({
  status,
  json: { type: "error", error: { type, message } },
  headers: { "request-id": nextId(context, "req_emu_"), ...headers }
})

/**
 * An error body in Anthropic's format: `{"type":"error","error":{"type":…,"message":…}}`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const anthropicError = (status: number, type: string, message: string, headers?: Readonly<Record<string, string>>): Scripted =>
  errorIn(makeRouteContext(), status, type, message, headers)

/**
 * A 200 answer with a request id.
 *
 * @since 0.2.0
 * @category constructors
 */
export const ok = (context: RouteContext, json: Json): Scripted => ({ json, headers: { "request-id": nextId(context, "req_emu_") } })

/**
 * The 401 of a request without a key, or with a key containing "invalid" (echoed, as some real
 * errors do, so the redaction tests have something to catch); undefined for a good key.
 *
 * @since 0.2.0
 * @category utils
 */
export const keyError = (context: RouteContext, request: RecordedRequest): Scripted | undefined => {
  const key = request.apiKey
  if (key === undefined || key === "") return errorIn(context, 401, "authentication_error", "x-api-key header is required")
  if (key.includes("invalid")) return errorIn(context, 401, "authentication_error", `invalid x-api-key: ${key}`)
  return undefined
}

/**
 * A handler that checks the key first.
 *
 * @since 0.2.0
 * @category utils
 */
export const withKey = (context: RouteContext, handler: Handler): Handler => (request) => keyError(context, request) ?? handler(request)
