/**
 * Stable digests: request fingerprints for ids (identical requests get identical ids) and a
 * cheap hash for the fixed "shuffled" order of result lines.
 *
 * @since 0.2.0
 */
import { createHash } from "node:crypto"

/**
 * 24 letters and digits of the SHA-256 of a value's JSON: the same for the same value.
 *
 * @since 0.2.0
 * @category utils
 */
export const fingerprint = (value: unknown): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("base64url").replace(/[-_]/g, "").slice(0, 24)

/**
 * FNV-1a: a cheap, stable 32-bit hash.
 *
 * @since 0.2.0
 * @category utils
 */
export const fnv1a = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}
