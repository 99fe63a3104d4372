/**
 * Gemini's cached contents on the emulator: `POST /v1beta/cachedContents` (create),
 * `GET /v1beta/cachedContents/{id}` and `DELETE /v1beta/cachedContents/{id}`, and what a
 * `generateContent` request naming `cachedContent` sees: the cached contents before its own, the
 * cached system instruction and tools, and `cachedContentTokenCount` in its usage. As on the
 * API, a request that names cached content and sets its own `systemInstruction`, `tools` or
 * `toolConfig` is a 400, a cache of another model is a 400, and an unknown one a 403.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import { tokens } from "../responder.js"
import { asArray, type Json } from "../json.js"
import type { Handler, Scripted } from "../route.js"
import { validateGenerateBody } from "./generateRequest.js"
import { googleError, keyProblem, nextId } from "./http.js"
import type { CacheEntry, GoogleState } from "./state.js"

const modelName = (model: unknown): string => String(model ?? "").replace(/^models\//, "")

const ttlSeconds = (ttl: unknown): number | undefined => {
  const match = typeof ttl === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(ttl) : null
  return match ? Number(match[1]) : undefined
}

/**
 * The wire `CachedContent` of an entry.
 *
 * @since 0.2.0
 * @category codecs
 */
const cacheJson = (entry: CacheEntry): Json => ({
  name: entry.name,
  model: `models/${entry.model}`,
  ...(entry.displayName !== undefined ? { displayName: entry.displayName } : {}),
  createTime: entry.createTime,
  updateTime: entry.createTime,
  expireTime: entry.expireTime,
  usageMetadata: { totalTokenCount: entry.tokens }
})

/**
 * The cached-content handlers of one emulator.
 *
 * @since 0.2.0
 * @category constructors
 */
export const cacheHandlers = (state: GoogleState) => {
  const createCache: Handler = (request) => {
    const rejected = keyProblem(request)
    if (rejected !== undefined) return rejected
    const body = isRecord(request.body) ? request.body : {}
    if (typeof body.model !== "string" || body.model === "") return googleError(400, "* CreateCachedContentRequest.cached_content.model: model is required")
    const contents = asArray(body.contents).filter(isRecord)
    const problem = contents.length > 0 ? validateGenerateBody({ contents }) : undefined
    if (problem !== undefined) return googleError(400, problem.replace(/GenerateContentRequest/g, "CachedContent"))
    const seconds = ttlSeconds(body.ttl) ?? 3600
    const now = new Date()
    const entry: CacheEntry = {
      name: `cachedContents/${nextId(state.context, "cache").replace(/[^a-z0-9]/g, "")}`,
      model: modelName(body.model),
      displayName: typeof body.displayName === "string" ? body.displayName : undefined,
      contents,
      systemInstruction: isRecord(body.systemInstruction) ? body.systemInstruction : undefined,
      tools: Array.isArray(body.tools) ? body.tools.filter(isRecord) : undefined,
      toolConfig: isRecord(body.toolConfig) ? body.toolConfig : undefined,
      tokens: tokens(JSON.stringify(contents) + JSON.stringify(body.systemInstruction ?? "") + JSON.stringify(body.tools ?? [])),
      createTime: now.toISOString(),
      expireTime: new Date(now.getTime() + seconds * 1000).toISOString()
    }
    state.caches.set(entry.name, entry)
    return { json: cacheJson(entry) }
  }
  const found = (id: string | undefined): CacheEntry | Scripted => {
    const entry = state.caches.get(`cachedContents/${id ?? ""}`)
    return entry ?? googleError(403, `CachedContent not found (or permission denied): cachedContents/${id ?? ""}`)
  }
  const getCache: Handler = (request) => {
    const rejected = keyProblem(request)
    if (rejected !== undefined) return rejected
    const entry = found(request.params.id)
    return "name" in entry ? { json: cacheJson(entry) } : entry
  }
  const deleteCache: Handler = (request) => {
    const rejected = keyProblem(request)
    if (rejected !== undefined) return rejected
    const entry = found(request.params.id)
    if (!("name" in entry)) return entry
    state.caches.delete(entry.name)
    return { json: {} }
  }
  return { createCache, getCache, deleteCache }
}

/**
 * What a request takes from cached content: its tokens, and how many of the request's contents
 * (the first ones) came from it.
 *
 * @since 0.2.0
 * @category models
 */
export interface CacheUse {
  readonly tokens: number
  readonly contents: number
}

/**
 * A generateContent body with the cached content it names put in (contents first, then the
 * system instruction and tools), and the cached token count; an error answer when the cache
 * cannot be used. A body without `cachedContent` comes back as it is.
 *
 * @since 0.2.0
 * @category utils
 */
export const withCache = (state: GoogleState, body: Json, model: string): { readonly body: Json; readonly cache: CacheUse | undefined } | Scripted => {
  if (typeof body.cachedContent !== "string") return { body, cache: undefined }
  const entry = state.caches.get(body.cachedContent)
  if (entry === undefined) return googleError(403, `CachedContent not found (or permission denied): ${body.cachedContent}`)
  if (entry.model !== modelName(model)) return googleError(400, `Model used by GenerateContent request (models/${modelName(model)}) and CachedContent (models/${entry.model}) has to be the same.`)
  if (body.systemInstruction !== undefined || body.tools !== undefined || body.toolConfig !== undefined) {
    return googleError(400, "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request.")
  }
  return {
    body: {
      ...body,
      contents: [...entry.contents, ...asArray(body.contents)],
      ...(entry.systemInstruction !== undefined ? { systemInstruction: entry.systemInstruction } : {}),
      ...(entry.tools !== undefined ? { tools: [...entry.tools] } : {}),
      ...(entry.toolConfig !== undefined ? { toolConfig: entry.toolConfig } : {})
    },
    cache: { tokens: entry.tokens, contents: entry.contents.length }
  }
}
