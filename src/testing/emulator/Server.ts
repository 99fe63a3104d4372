/**
 * The emulator's core: a loopback HTTP server with a per-route table of handlers and, in front
 * of each, a queue of scripted responses and faults. Provider routes (OpenAI, Anthropic) plug in
 * as route lists; they shape their wire JSON and SSE by hand, after the recorded fixtures, never
 * through this library's codecs.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A fault the emulator can inject instead of (or in the middle of) a response. */
export type Fault =
  /** destroy the socket before answering: the client sees a connection reset */
  | "reset"
  /** answer 200 with a body that is not JSON */
  | "malformed-json"
  /** never answer (until the client gives up or aborts) */
  | "hang"
  /** send half of the SSE frames, then destroy the socket */
  | "truncate"

/** A scripted response: status, headers and a JSON, text or SSE body, or a fault; with delays. */
export interface Scripted {
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** a JSON body */
  readonly json?: unknown
  /** a raw body */
  readonly text?: string | undefined
  /** raw SSE frames, each written as is (include the trailing blank line) */
  readonly sse?: ReadonlyArray<string> | undefined
  readonly fault?: Fault | undefined
  /** wait before answering */
  readonly delayMs?: number | undefined
  /** wait between SSE frames */
  readonly chunkDelayMs?: number | undefined
}

/** A request the emulator received. */
export interface RecordedRequest {
  readonly method: string
  /** the path without the query string */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string | undefined>>
  /** the parsed JSON body, or undefined when the body is not JSON */
  readonly body: unknown
  readonly rawBody: Buffer
  /** path parameters of the matched route (`:id` segments) */
  readonly params: Readonly<Record<string, string>>
  /** the API key the client sent (bearer token, x-api-key, Azure's api-key or x-goog-api-key) */
  readonly apiKey: string | undefined
  /** the path as sent, when it differs from `path` (an Azure OpenAI path, see {@link azurePath}) */
  readonly rawPath?: string | undefined
}

/**
 * Azure OpenAI's URL shapes as the OpenAI routes they stand for, so the same routes (and
 * scripts) answer both: `/openai/deployments/{deployment}/chat/completions` and
 * `/openai/chat/completions` → `/v1/chat/completions`, `/openai/v1/responses` → `/v1/responses`,
 * `/openai/batches/{id}` → `/v1/batches/{id}`. Undefined for any other path.
 */
export const azurePath = (path: string): { readonly path: string; readonly deployment: string | undefined; readonly v1: boolean } | undefined => {
  const deployment = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(path)
  if (deployment !== null) return { path: `/v1${deployment[2]}`, deployment: decodeURIComponent(deployment[1]!), v1: false }
  if (path.startsWith("/openai/v1/")) return { path: path.slice("/openai".length), deployment: undefined, v1: true }
  if (path.startsWith("/openai/")) return { path: `/v1${path.slice("/openai".length)}`, deployment: undefined, v1: false }
  return undefined
}

/** Azure's answer to a versioned path without `api-version`. */
const missingApiVersion = {
  error: { code: "404", message: "Resource not found: Azure OpenAI paths outside /openai/v1 need an api-version query parameter." }
}

/** A scripted response, or a function of the request that makes one. */
export type Script = Scripted | ((request: RecordedRequest) => Scripted | Promise<Scripted>)

/** A route's default behaviour when nothing is scripted. */
export type Handler = (request: RecordedRequest) => Scripted | Promise<Scripted>

/** One route: a method and a path pattern with `:param` segments. */
export interface Route {
  readonly method: string
  readonly path: string
  readonly handler: Handler
}

/** The route key of a method and path pattern, as `script` takes it: "POST /v1/chat/completions". */
export type RouteKey = `${string} /${string}`

/** What route modules receive: the base URL, to build links back to the emulator (results URLs). */
export interface RouteContext {
  readonly url: () => string
}

interface CompiledRoute extends Route {
  readonly key: string
  readonly regex: RegExp
  readonly names: ReadonlyArray<string>
}

const compile = (route: Route): CompiledRoute => {
  const names: Array<string> = []
  // a parameter starts a path segment; a colon after it is literal, as in Google's
  // `/models/:model:generateContent` (the parameter then stops before it)
  const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/(?<=\/):([A-Za-z_]+)/g, (_, name: string) => {
    names.push(name)
    return "([^/]+?)"
  })
  return { ...route, key: `${route.method} ${route.path}`, regex: new RegExp(`^${pattern}$`), names }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The running server's controls. */
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

/** Starts the server with the given route lists on a loopback port. */
export const startServer = async (
  makeRoutes: ReadonlyArray<(context: RouteContext) => ReadonlyArray<Route>>,
  options?: { readonly port?: number | undefined; readonly host?: string | undefined }
): Promise<ServerControls> => {
  let baseUrl = ""
  const context: RouteContext = { url: () => baseUrl }
  const routes = makeRoutes.flatMap((make) => make(context)).map(compile)
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
    const rawBody = Buffer.concat(chunks)
    const url = new URL(req.url ?? "/", "http://emulator")
    const azure = azurePath(url.pathname)
    const pathname = azure?.path ?? url.pathname
    const match = azure !== undefined && !azure.v1 && !url.searchParams.has("api-version")
      ? undefined
      : routes.find((r) => r.method === req.method && r.regex.test(pathname))
    let body: unknown
    if (rawBody.length > 0 && (req.headers["content-type"] ?? "").includes("json")) {
      try {
        body = JSON.parse(rawBody.toString("utf8"))
      } catch {
        body = undefined
      }
    }
    const params: Record<string, string> = {}
    if (match) {
      const m = match.regex.exec(pathname)
      match.names.forEach((name, i) => (params[name] = decodeURIComponent(m?.[i + 1] ?? "")))
    }
    const auth = req.headers["authorization"]
    const apiKey = typeof auth === "string" && auth.startsWith("Bearer ")
      ? auth.slice(7)
      : ((req.headers["x-api-key"] ?? req.headers["api-key"] ?? req.headers["x-goog-api-key"]) as string | undefined)
    const headers: Record<string, string | undefined> = {}
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: pathname,
      query: url.searchParams,
      headers,
      body,
      rawBody,
      params,
      apiKey,
      ...(azure !== undefined ? { rawPath: url.pathname } : {})
    }
    requests.push(recorded)

    let finished = false
    res.on("close", () => {
      if (!finished) onAbort(recorded)
    })
    const done = () => {
      finished = true
    }

    if (!match && azure !== undefined && !azure.v1 && !url.searchParams.has("api-version")) {
      res.writeHead(404, { "content-type": "application/json" })
      res.end(JSON.stringify(missingApiVersion), done)
      return
    }
    if (!match) {
      res.writeHead(404, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: { type: "not_found_error", message: `emulator: no route for ${req.method} ${url.pathname}` } }), done)
      return
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
    if (answer.delayMs) await sleep(answer.delayMs)
    if (res.destroyed) return
    switch (answer.fault) {
      case "reset":
        req.socket.destroy()
        return
      case "hang":
        return
      case "malformed-json":
        res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
        res.end("{\"id\": \"oops\", this is not json", done)
        return
      default:
        break
    }
    if (answer.sse !== undefined) {
      res.writeHead(answer.status ?? 200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...answer.headers })
      const frames = answer.fault === "truncate" ? answer.sse.slice(0, Math.ceil(answer.sse.length / 2)) : answer.sse
      for (const frame of frames) {
        if (res.destroyed) return
        res.write(frame)
        if (answer.chunkDelayMs) await sleep(answer.chunkDelayMs)
      }
      if (answer.fault === "truncate") {
        req.socket.destroy()
        return
      }
      res.end(done)
      return
    }
    if (answer.json !== undefined) {
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
      res.end(JSON.stringify(answer.json), done)
      return
    }
    res.writeHead(answer.status ?? 200, { "content-type": "text/plain", ...answer.headers })
    res.end(answer.text ?? "", done)
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options?.port ?? 0, options?.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  baseUrl = `http://${host}:${address.port}`

  return {
    url: baseUrl,
    requests,
    aborted,
    script: (key, ...responses) => {
      if (!handlers.has(key)) throw new Error(`emulator: no route ${key}; known: ${[...handlers.keys()].join(", ")}`)
      const queue = scripts.get(key) ?? []
      queue.push(...responses)
      scripts.set(key, queue)
    },
    setHandler: (key, handler) => {
      if (!handlers.has(key)) throw new Error(`emulator: no route ${key}; known: ${[...handlers.keys()].join(", ")}`)
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
