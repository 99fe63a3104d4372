/**
 * Request headers as the emulator reads them, for the `x-emulator-*` headers that steer an
 * answer.
 *
 * @since 0.2.0
 */

/**
 * Request headers, lower-case names (as node gives them).
 *
 * @since 0.2.0
 * @category models
 */
export type Headers = Readonly<Record<string, string | undefined>>

/**
 * A header as a whole number of at least 0 (`"12"`, `"12ms"` → 12), or undefined.
 *
 * @since 0.2.0
 * @category utils
 */
export const intHeader = (headers: Headers, name: string): number | undefined => {
  const raw = headers[name]
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/**
 * A header as any finite number, or undefined.
 *
 * @since 0.2.0
 * @category utils
 */
export const numberHeader = (headers: Headers, name: string): number | undefined => {
  const raw = headers[name]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isFinite(n) ? n : undefined
}
