/**
 * User prompt content for OpenAI's two APIs: text, images, documents and audio as Chat
 * Completions content parts and as Responses input content. A part an API cannot take is an
 * `InvalidInputError` naming "openai" and the part, before anything is sent; cache points are
 * left out (OpenAI caches prompt prefixes by itself).
 *
 * - Chat Completions: images as `image_url` (URL or data URL), document bytes as `file` parts
 *   (a data URL and a file name), WAV and MP3 bytes as `input_audio`. It fetches no document,
 *   audio or video URL, and takes no video and no other audio format.
 * - Responses: images as `input_image`, document bytes as `input_file` (`file_data`), a
 *   `DocumentUrl` as `input_file` by `file_url`. It takes no audio and no video.
 *
 * @since 0.2.0
 */
import type OpenAI from "openai"
import { InvalidInputError } from "../../AiError.js"
import { type BinaryContent, describeUserContent, type UserContent } from "../../Message.js"

// the codecs import this module: the provider name is repeated rather than imported from them
const providerName = "openai"

const refused = (item: UserContent, api: string, advice: string): InvalidInputError =>
  new InvalidInputError({ provider: providerName, reason: `openai (${api}) cannot take ${describeUserContent(item)} in a user prompt; ${advice}` })

const AUDIO_FORMATS: Readonly<Record<string, "wav" | "mp3">> = {
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/vnd.wave": "wav",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3"
}

/**
 * The `input_audio` format of an audio media type: "wav" or "mp3", `undefined` for the others.
 *
 * @since 0.2.0
 * @category utils
 */
const audioFormat = (mediaType: string): "wav" | "mp3" | undefined => AUDIO_FORMATS[mediaType.toLowerCase().split(";")[0]!.trim()]

const extensionOf = (mediaType: string): string => {
  const sub = mediaType.split("/")[1]?.split(/[;+]/)[0]?.trim() ?? "bin"
  return sub === "plain" ? "txt" : sub === "" ? "bin" : sub
}

/**
 * The file name sent with document bytes (`file.pdf`, `file.txt`, ...): the APIs require one.
 *
 * @since 0.2.0
 * @category utils
 */
const fileName = (mediaType: string): string => `file.${extensionOf(mediaType)}`

const isImageUrlOfDocument = (mediaType: string | undefined): boolean => mediaType !== undefined && !mediaType.startsWith("image/")

// ---------------------------------------------------------------------------------------------
// Chat Completions
// ---------------------------------------------------------------------------------------------

const chatApi = "Chat Completions"
const passBytes = "download it and pass the bytes as BinaryContent."

const chatBinary = (item: BinaryContent): OpenAI.Chat.ChatCompletionContentPart | InvalidInputError => {
  if (item.isImage) return { type: "image_url", image_url: { url: item.dataUrl } }
  if (item.isAudio) {
    const format = audioFormat(item.mediaType)
    return format !== undefined
      ? { type: "input_audio", input_audio: { data: item.base64, format } }
      : refused(item, chatApi, "it takes audio as WAV (audio/wav) or MP3 (audio/mpeg) only.")
  }
  if (item.isVideo) return refused(item, chatApi, "it takes no video.")
  // PDFs and other documents: the file part takes a data URL and needs a file name
  return { type: "file", file: { file_data: item.dataUrl, filename: fileName(item.mediaType) } }
}

/**
 * A user prompt's items as Chat Completions content parts, or the `InvalidInputError` of the
 * first item it cannot take.
 *
 * @since 0.2.0
 * @category codecs
 */
export const chatContent = (
  items: ReadonlyArray<UserContent>
): Array<OpenAI.Chat.ChatCompletionContentPart> | InvalidInputError => {
  const out: Array<OpenAI.Chat.ChatCompletionContentPart> = []
  for (const item of items) {
    if (typeof item === "string") {
      out.push({ type: "text", text: item })
      continue
    }
    switch (item._tag) {
      case "CachePoint":
        // OpenAI caches prompt prefixes by itself: cache points have nothing to mark
        break
      case "ImageUrl":
        if (isImageUrlOfDocument(item.mediaType)) return refused(item, chatApi, `it fetches only image URLs: ${passBytes}`)
        out.push({ type: "image_url", image_url: { url: item.url } })
        break
      case "DocumentUrl":
        return refused(item, chatApi, `it cannot fetch a document by URL: ${passBytes}`)
      case "AudioUrl":
        return refused(item, chatApi, "it fetches no audio URL: download the audio and pass WAV or MP3 bytes as BinaryContent.")
      case "VideoUrl":
        return refused(item, chatApi, "it takes no video.")
      case "BinaryContent": {
        const part = chatBinary(item)
        if (part instanceof InvalidInputError) return part
        out.push(part)
        break
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const responsesApi = "Responses"
const noAudio = "the Responses API takes no audio input: use the Chat Completions model (OpenAi.languageModel) with WAV or MP3 bytes."

const responsesBinary = (item: BinaryContent): OpenAI.Responses.ResponseInputContent | InvalidInputError => {
  if (item.isImage) return { type: "input_image", image_url: item.dataUrl, detail: "auto" }
  if (item.isAudio) return refused(item, responsesApi, noAudio)
  if (item.isVideo) return refused(item, responsesApi, "it takes no video.")
  return { type: "input_file", file_data: item.dataUrl, filename: fileName(item.mediaType) }
}

/**
 * A user prompt's items as Responses input content, or the `InvalidInputError` of the first
 * item it cannot take.
 *
 * @since 0.2.0
 * @category codecs
 */
export const responsesContent = (
  items: ReadonlyArray<UserContent>
): Array<OpenAI.Responses.ResponseInputContent> | InvalidInputError => {
  const out: Array<OpenAI.Responses.ResponseInputContent> = []
  for (const item of items) {
    if (typeof item === "string") {
      out.push({ type: "input_text", text: item })
      continue
    }
    switch (item._tag) {
      case "CachePoint":
        break
      case "ImageUrl":
        out.push(
          isImageUrlOfDocument(item.mediaType)
            ? { type: "input_file", file_url: item.url }
            : { type: "input_image", image_url: item.url, detail: "auto" }
        )
        break
      case "DocumentUrl":
        out.push({ type: "input_file", file_url: item.url })
        break
      case "AudioUrl":
        return refused(item, responsesApi, noAudio)
      case "VideoUrl":
        return refused(item, responsesApi, "it takes no video.")
      case "BinaryContent": {
        const part = responsesBinary(item)
        if (part instanceof InvalidInputError) return part
        out.push(part)
        break
      }
    }
  }
  return out
}
