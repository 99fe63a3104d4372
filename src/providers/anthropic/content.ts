/**
 * User content on the Messages API: text, images and documents as content blocks, and prompt
 * caching's `cache_control` breakpoints.
 *
 * - Images: `image` blocks, by URL or base64 (JPEG, PNG, GIF, WebP).
 * - Documents: `document` blocks; PDFs by URL (`DocumentUrl`, or an `ImageUrl` of a PDF) or
 *   base64 (`BinaryContent`), text (`text/*` bytes) as a plain-text source. Anthropic fetches
 *   only PDFs by URL: a `DocumentUrl` of another type fails (download it and send the bytes).
 * - Audio and video (URLs or bytes) fail with an `InvalidInputError`: Anthropic takes neither.
 * - A `CachePoint` puts `cache_control: { type: "ephemeral", ttl? }` on the block before it.
 *
 * @since 0.2.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { InvalidInputError } from "../../AiError.js"
import { type BinaryContent, type CacheTtl, describeUserContent, type ImageUrl, type UserContent } from "../../Message.js"
import type { CacheSetting } from "../../Parameters.js"

// the codec imports this module: its constant is repeated rather than imported back
const providerName = "anthropic"

type Block = Anthropic.ContentBlockParam

/**
 * The most cache breakpoints one request may hold.
 *
 * @since 0.2.0
 * @category constants
 */
export const maxCacheBreakpoints = 4

/** A `cache_control` of the given lifetime (unset: the API's default, five minutes). */
const cacheControl = (ttl: CacheTtl | undefined): Anthropic.CacheControlEphemeral =>
  ttl === undefined ? { type: "ephemeral" } : { type: "ephemeral", ttl }

/**
 * A cache setting (`cacheInstructions`, `cacheTools`) → its `cache_control`, or `undefined` when off.
 *
 * @since 0.2.0
 * @category codecs
 */
export const settingCacheControl = (setting: CacheSetting | undefined): Anthropic.CacheControlEphemeral | undefined =>
  setting === undefined || setting === false ? undefined : cacheControl(setting === true ? undefined : setting)

const imageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const
type ImageMediaType = typeof imageMediaTypes[number]
const isImageMediaType = (m: string): m is ImageMediaType => (imageMediaTypes as ReadonlyArray<string>).includes(m)

const isPdfUrl = (url: string): boolean => /\.pdf(?:$|[?#])/i.test(url)

const imageUrlBlock = (item: ImageUrl): Block =>
  item.mediaType === "application/pdf" || (item.mediaType === undefined && isPdfUrl(item.url))
    ? { type: "document", source: { type: "url", url: item.url } }
    : { type: "image", source: { type: "url", url: item.url } }

const refused = (item: UserContent, takes: string): InvalidInputError =>
  new InvalidInputError({ provider: providerName, reason: `Anthropic cannot take ${describeUserContent(item)} in a user prompt; ${takes}` })

const inlineTakes = "send JPEG, PNG, GIF or WebP images, PDFs or plain text."

const binaryBlock = (item: BinaryContent): Block | InvalidInputError => {
  if (isImageMediaType(item.mediaType)) {
    return { type: "image", source: { type: "base64", media_type: item.mediaType, data: item.base64 } }
  }
  if (item.mediaType === "application/pdf") {
    return { type: "document", source: { type: "base64", media_type: "application/pdf", data: item.base64 } }
  }
  if (item.mediaType.startsWith("text/")) {
    // the plain-text source takes any text (Markdown, CSV, HTML) as text/plain
    return { type: "document", source: { type: "text", media_type: "text/plain", data: Buffer.from(item.data).toString("utf8") } }
  }
  return refused(item, inlineTakes)
}

/** Blocks that cannot carry a `cache_control`. */
const uncacheable = (block: Block): boolean => block.type === "thinking" || block.type === "redacted_thinking"

/** Puts a `cache_control` on `block`; `false` when the block cannot carry one. */
const markCached = (block: Block | undefined, control: Anthropic.CacheControlEphemeral): boolean => {
  if (block === undefined || uncacheable(block)) return false
  ;(block as { cache_control?: Anthropic.CacheControlEphemeral }).cache_control = control
  return true
}

/**
 * A user prompt's content → blocks appended to `into`; a `CachePoint` marks the block before it
 * (in `into`, else `previous()`: the last block of the turn before) and counts one breakpoint in
 * `counter`. Fails for content Anthropic cannot take and for a cache point with no block before it.
 *
 * @since 0.2.0
 * @category codecs
 */
export const userBlocks = (
  content: string | ReadonlyArray<UserContent>,
  into: Array<Block>,
  previous: () => Block | undefined,
  counter: { breakpoints: number }
): InvalidInputError | undefined => {
  // plain loops with early returns, not Either.all / Either.gen: the request path runs them per request
  if (typeof content === "string") {
    if (content !== "") into.push({ type: "text", text: content })
    return undefined
  }
  for (const item of content) {
    if (typeof item === "string") {
      if (item !== "") into.push({ type: "text", text: item })
      continue
    }
    switch (item._tag) {
      case "ImageUrl":
        into.push(imageUrlBlock(item))
        break
      case "DocumentUrl":
        if (item.mediaType === undefined || item.mediaType === "application/pdf") {
          into.push({ type: "document", source: { type: "url", url: item.url } })
          break
        }
        return refused(item, "Anthropic fetches only PDFs by URL: download the document and send it as BinaryContent.")
      case "AudioUrl":
      case "VideoUrl":
        return refused(item, "Anthropic takes no audio or video.")
      case "BinaryContent": {
        const block = binaryBlock(item)
        if (block instanceof InvalidInputError) return block
        into.push(block)
        break
      }
      case "CachePoint":
        if (!markCached(into[into.length - 1] ?? previous(), cacheControl(item.ttl))) {
          return new InvalidInputError({
            provider: providerName,
            reason: "a CachePoint needs content before it (text, an image, a document, a tool result) to put Anthropic's cache_control on."
          })
        }
        counter.breakpoints++
        break
    }
  }
  return undefined
}
