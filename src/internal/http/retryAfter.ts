/**
 * The wait an HTTP response asks for, as both SDKs' own retry logic reads it: `retry-after-ms`
 * (milliseconds), else `retry-after` in seconds or as an HTTP date. Undefined when absent,
 * unparsable, negative, or a date already past.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/**
 * What both SDKs' header objects offer.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadersLike {
  get(name: string): string | null
}

/**
 * The requested wait, or undefined.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfter = (headers: HeadersLike | undefined, now: number = Date.now()): Duration.Duration | undefined => {
  if (headers === undefined) return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return Duration.millis(value)
  }
  const raw = headers.get("retry-after")?.trim()
  if (raw === undefined || raw === "") return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return seconds >= 0 ? Duration.seconds(seconds) : undefined
  const date = Date.parse(raw)
  return Number.isFinite(date) && date > now ? Duration.millis(date - now) : undefined
}
