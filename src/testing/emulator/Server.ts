/**
 * The emulator's core: a loopback HTTP server with a per-route table of handlers and, in front
 * of each, a queue of scripted responses and faults. Provider routes (OpenAI, Anthropic, Gemini)
 * plug in as route lists; they shape their wire JSON and SSE by hand, after the recorded
 * fixtures, never through this library's codecs.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { attachContext, type ServerContext } from "./context.js"
import { reply, replyJson } from "./reply.js"
import type { Handler, RecordedRequest, Route, RouteKey, Script, Scripted } from "./route.js"
import { azurePath, compile, missingApiVersion, paramsOf } from "./routing.js"

/**
 * The route contract, for the modules and tests that import it from here.
 *
 * @since 0.1.0
 * @category models
 */
export type { Fault, Handler, RecordedRequest, Route, RouteKey, Script, Scripted } from "./route.js"

/**
 * The running server's controls.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerControls {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  readonly aborted: Array<RecordedRequest>
  script(key: RouteKey, ...responses: ReadonlyArray<Script>): void
  setHandler(key: RouteKey, handler: Handler): void
  reset(): void
  waitForAbort(timeoutMs?: number): Promise<RecordedRequest>
  close(): Promise<void>
}

/** The request as recorded: path (Azure's read as OpenAI's), query, headers, body, key. */
const record = (req: http.IncomingMessage, rawBody: Buffer, url: URL, path: string, params: Record<string, string>, azure: boolean): RecordedRequest => {
  let body: unknown
  if (rawBody.length > 0 && (req.headers["content-type"] ?? "").includes("json")) {
    try {
      body = JSON.parse(rawBody.toString("utf8"))
    } catch {
      body = undefined
    }
  }
  const auth = req.headers["authorization"]
  const apiKey = typeof auth === "string" && auth.startsWith("Bearer ")
    ? auth.slice(7)
    : ((req.headers["x-api-key"] ?? req.headers["api-key"] ?? req.headers["x-goog-api-key"]) as string | undefined)
  const headers: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v
  return {
    method: req.method ?? "GET",
    path,
    query: url.searchParams,
    headers,
    body,
    rawBody,
    params,
    apiKey,
    ...(azure ? { rawPath: url.pathname } : {})
  }
}

/**
 * Starts the server with the given routes on a loopback port; `context` learns its URL once it
 * listens, and goes with every request it records.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startServer = async (
  context: ServerContext,
  routeList: ReadonlyArray<Route>,
  options?: { readonly port?: number | undefined; readonly host?: string | undefined }
): Promise<ServerControls> => {
  const routes = routeList.map(compile)
  const handlers = new Map<string, Handler>(routes.map((r) => [r.key, r.handler]))
  const scripts = new Map<string, Array<Script>>()
  const requests: Array<RecordedRequest> = []
  const aborted: Array<RecordedRequest> = []
  const abortWaiters: Array<(r: RecordedRequest) => void> = []

  const onAbort = (request: RecordedRequest) => {
    aborted.push(request)
    for (const w of abortWaiters.splice(0)) w(request)
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? "/", "http://emulator")
    const azure = azurePath(url.pathname)
    const pathname = azure?.path ?? url.pathname
    const versionless = azure !== undefined && !azure.v1 && !url.searchParams.has("api-version")
    const match = versionless ? undefined : routes.find((r) => r.method === req.method && r.regex.test(pathname))
    const recorded = record(req, Buffer.concat(chunks), url, pathname, match ? paramsOf(match, pathname) : {}, azure !== undefined)
    attachContext(recorded, context)
    requests.push(recorded)

    let finished = false
    res.on("close", () => {
      if (!finished) onAbort(recorded)
    })
    const done = () => {
      finished = true
    }

    if (!match && versionless) return replyJson(res, 404, missingApiVersion, done)
    if (!match) {
      return replyJson(res, 404, { error: { type: "not_found_error", message: `emulator: no route for ${req.method} ${url.pathname}` } }, done)
    }
    const queued = scripts.get(match.key)
    const script = queued && queued.length > 0 ? queued.shift()! : undefined
    let answer: Scripted
    try {
      answer = script === undefined
        ? await handlers.get(match.key)!(recorded)
        : typeof script === "function" ? await script(recorded) : script
    } catch (error) {
      answer = { status: 500, json: { error: { type: "api_error", message: `emulator handler failed: ${String(error)}` } } }
    }
    await reply(req, res, answer, done)
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options?.port ?? 0, options?.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  const baseUrl = `http://${host}:${address.port}`
  context.listening(baseUrl)

  const known = (key: string) => {
    if (!handlers.has(key)) throw new Error(`emulator: no route ${key}; known: ${[...handlers.keys()].join(", ")}`)
  }
  return {
    url: baseUrl,
    requests,
    aborted,
    script: (key, ...responses) => {
      known(key)
      const queue = scripts.get(key) ?? []
      queue.push(...responses)
      scripts.set(key, queue)
    },
    setHandler: (key, handler) => {
      known(key)
      handlers.set(key, handler)
    },
    reset: () => {
      scripts.clear()
      requests.length = 0
      aborted.length = 0
      for (const r of routes) handlers.set(r.key, r.handler)
    },
    waitForAbort: (timeoutMs = 5_000) =>
      new Promise<RecordedRequest>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("emulator: no aborted request within the timeout")), timeoutMs)
        abortWaiters.push((r) => {
          clearTimeout(timer)
          resolve(r)
        })
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
