/**
 * Gemini and the richer message model: documents, audio and video as inline and file data,
 * built-in tools (Google Search grounding, code execution, URL context) decoded into built-in
 * tool parts, streamed and not, and sent back; cache reads in usage.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import {
  AudioUrl,
  BinaryContent,
  CachePoint,
  DocumentUrl,
  ImageUrl,
  ModelRequest,
  UserPromptPart,
  VideoUrl
} from "../src/Message.js"
import { ModelRequestParameters } from "../src/Parameters.js"
import { encodeRequest } from "../src/providers/google/codec.js"

const parameters = ModelRequestParameters.from(undefined)
const prompt = (...content: ConstructorParameters<typeof UserPromptPart>[0]["content"][]) =>
  [new ModelRequest({ parts: [new UserPromptPart({ content: content.flat() as never })] })]
const encode = (messages: ReadonlyArray<ModelRequest>, p = parameters) => encodeRequest("gemini-2.5-flash", messages, { parameters: p, settings: {} })

describe("Gemini input parts", () => {
  it("bytes go as inlineData (PDF, text, audio, video, image), cache points are left out", () => {
    const bytes = new Uint8Array([104, 105])
    const encoded = Either.getOrThrow(encode(prompt([
      new BinaryContent({ data: bytes, mediaType: "application/pdf" }),
      new BinaryContent({ data: bytes, mediaType: "text/plain" }),
      new BinaryContent({ data: bytes, mediaType: "audio/wav" }),
      new BinaryContent({ data: bytes, mediaType: "video/mp4" }),
      new BinaryContent({ data: bytes, mediaType: "image/png" }),
      new CachePoint({ ttl: "1h" }),
      "Describe them."
    ])))
    expect(encoded.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: "application/pdf", data: "aGk=" } },
      { inlineData: { mimeType: "text/plain", data: "aGk=" } },
      { inlineData: { mimeType: "audio/wav", data: "aGk=" } },
      { inlineData: { mimeType: "video/mp4", data: "aGk=" } },
      { inlineData: { mimeType: "image/png", data: "aGk=" } },
      { text: "Describe them." }
    ])
    expect(encoded.warnings).toEqual([])
  })

  it("URLs go as fileData, the media type given or told from the extension (YouTube links are video)", () => {
    const encoded = Either.getOrThrow(encode(prompt([
      new DocumentUrl({ url: "https://example.com/report.pdf" }),
      new DocumentUrl({ url: "https://example.com/notes", mediaType: "text/markdown" }),
      new AudioUrl({ url: "https://example.com/talk.mp3?x=1" }),
      new VideoUrl({ url: "https://www.youtube.com/watch?v=abc" }),
      new VideoUrl({ url: "https://example.com/clip.webm" }),
      new ImageUrl({ url: "https://example.com/cat.jpeg" })
    ])))
    expect(encoded.contents[0]!.parts).toEqual([
      { fileData: { fileUri: "https://example.com/report.pdf", mimeType: "application/pdf" } },
      { fileData: { fileUri: "https://example.com/notes", mimeType: "text/markdown" } },
      { fileData: { fileUri: "https://example.com/talk.mp3?x=1", mimeType: "audio/mpeg" } },
      { fileData: { fileUri: "https://www.youtube.com/watch?v=abc", mimeType: "video/mp4" } },
      { fileData: { fileUri: "https://example.com/clip.webm", mimeType: "video/webm" } },
      { fileData: { fileUri: "https://example.com/cat.jpeg", mimeType: "image/jpeg" } }
    ])
  })

  it("a document, audio or video URL whose type cannot be told is an InvalidInputError asking for mediaType", () => {
    for (const item of [new DocumentUrl({ url: "https://example.com/doc" }), new AudioUrl({ url: "https://example.com/a" }), new VideoUrl({ url: "https://example.com/v" })]) {
      const result = encode(prompt([item]))
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("google")
      expect(error.message).toContain(`${item._tag}.mediaType`)
    }
  })

  it("a media type Gemini cannot take is an InvalidInputError naming google and the part", () => {
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for (const item of [new BinaryContent({ data: new Uint8Array([1]), mediaType: docx }), new DocumentUrl({ url: "https://example.com/a.zip", mediaType: "application/zip" })]) {
      const result = encode(prompt([item, "Summarise."]))
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      expect(error._tag).toBe("InvalidInputError")
      expect(error.provider).toBe("google")
      expect(error.message).toContain(`google cannot take the ${item._tag} (`)
    }
  })
})
