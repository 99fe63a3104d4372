/**
 * Reading wire JSON by hand: the emulator never decodes a request through this library's codecs.
 *
 * @since 0.2.0
 */

/**
 * A JSON object.
 *
 * @since 0.2.0
 * @category models
 */
export type Json = Record<string, unknown>

/**
 * The value if it is an array, else an empty one.
 *
 * @since 0.2.0
 * @category utils
 */
export const asArray = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
