/**
 * User content for Gemini: text as `text` parts, bytes as `inlineData` (`{ mimeType, data }`,
 * base64) and URLs as `fileData` (`{ mimeType, fileUri }`: a Files API URI, a YouTube link or a
 * public URL Gemini fetches). Gemini wants the media type of every file: a URL part without one
 * takes it from the URL's extension for the common types; a `DocumentUrl`, `AudioUrl` or
 * `VideoUrl` whose type cannot be told is an `InvalidInputError` asking for `mediaType` (an
 * `ImageUrl` falls back to `image/jpeg`, with a warning, as before). Gemini takes images, audio,
 * video, PDF and text; other media types (a Word file, a ZIP) are refused before any request.
 * Cache points are left out: Gemini caches implicitly, or explicitly through cached content.
 *
 * @since 0.2.0
 */
import type { Part } from "@google/genai"
import { InvalidInputError } from "../../AiError.js"
import { describeUserContent, type ModelMessage, type UserContent } from "../../Message.js"

const provider = "google"

const byExtension: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
  htm: "text/html",
  xml: "text/xml",
  json: "application/json",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  aac: "audio/aac",
  ogg: "audio/ogg",
  flac: "audio/flac",
  m4a: "audio/mp4",
  aiff: "audio/aiff",
  mp4: "video/mp4",
  mpeg: "video/mpeg",
  mpg: "video/mpeg",
  mov: "video/quicktime",
  webm: "video/webm",
  avi: "video/x-msvideo",
  wmv: "video/x-ms-wmv",
  flv: "video/x-flv",
  "3gp": "video/3gpp"
}

/**
 * The media type of a URL from its extension (`.pdf`, `.mp3`, `.png`, ...); a YouTube link is
 * `video/mp4`; `undefined` when it cannot be told.
 *
 * @since 0.2.0
 * @category utils
 */
const mediaTypeOfUrl = (url: string): string | undefined => {
  if (/^https?:\/\/(www\.|m\.)?(youtube\.com|youtu\.be)\//i.test(url)) return "video/mp4"
  const ext = /\.([a-z0-9]+)(?:$|[?#])/i.exec(url)?.[1]?.toLowerCase()
  return ext !== undefined ? byExtension[ext] : undefined
}

/**
 * Whether Gemini takes a file of this media type: images, audio, video, PDF, text and JSON.
 *
 * @since 0.2.0
 * @category guards
 */
const isSupportedMediaType = (mediaType: string): boolean =>
  /^(image|audio|video|text)\//i.test(mediaType) || /^application\/(pdf|json|x-javascript|x-python|x-typescript|rtf)$/i.test(mediaType)

type UrlItem = Extract<UserContent, { readonly url: string }>

const urlMediaType = (item: UrlItem): string | undefined => item.mediaType ?? mediaTypeOfUrl(item.url)

const refused = (item: UserContent, reason: string): InvalidInputError =>
  new InvalidInputError({ provider, reason: `google cannot take the ${describeUserContent(item)} part: ${reason}` })

const itemProblem = (item: UserContent): InvalidInputError | undefined => {
  if (typeof item === "string" || item._tag === "CachePoint") return undefined
  if (item._tag === "BinaryContent") {
    return isSupportedMediaType(item.mediaType)
      ? undefined
      : refused(item, "Gemini takes images, audio, video, PDF and text; convert the file to PDF or text.")
  }
  const mediaType = urlMediaType(item)
  if (mediaType === undefined) {
    return item._tag === "ImageUrl"
      ? undefined
      : refused(item, `the media type of ${item.url} cannot be told from the URL; set ${item._tag}.mediaType (Gemini needs it).`)
  }
  return isSupportedMediaType(mediaType)
    ? undefined
    : refused(item, `Gemini takes images, audio, video, PDF and text, not ${mediaType}; convert the file to PDF or text.`)
}

/**
 * The first user content item of `messages` that Gemini cannot take, as the error to fail with.
 *
 * @since 0.2.0
 * @category utils
 */
export const userContentProblem = (messages: ReadonlyArray<ModelMessage>): InvalidInputError | undefined => {
  for (const message of messages) {
    if (message._tag !== "ModelRequest") continue
    for (const part of message.parts) {
      if (part._tag !== "UserPromptPart" || typeof part.content === "string") continue
      for (const item of part.content) {
        const problem = itemProblem(item)
        if (problem !== undefined) return problem
      }
    }
  }
  return undefined
}

/**
 * A user prompt's content → Gemini parts, appended to `into`. Checked beforehand with
 * {@link userContentProblem}; an image URL of unknown type goes as `image/jpeg` with a warning.
 *
 * @since 0.2.0
 * @category codecs
 */
export const userParts = (content: string | ReadonlyArray<UserContent>, into: Array<Part>, warnings: Array<string>): void => {
  if (typeof content === "string") {
    if (content !== "") into.push({ text: content })
    return
  }
  for (const item of content) {
    if (typeof item === "string") {
      if (item !== "") into.push({ text: item })
    } else if (item._tag === "BinaryContent") {
      into.push({ inlineData: { mimeType: item.mediaType, data: item.base64 } })
    } else if (item._tag !== "CachePoint") {
      // (cache points have nothing to mark: Gemini caches implicitly or through cached content)
      const mediaType = urlMediaType(item)
      if (mediaType === undefined) {
        warnings.push(`the media type of ${item.url} is unknown and was sent as image/jpeg: set ${item._tag}.mediaType.`)
      }
      into.push({ fileData: { fileUri: item.url, mimeType: mediaType ?? "image/jpeg" } })
    }
  }
}
