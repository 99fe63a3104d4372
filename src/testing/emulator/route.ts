/**
 * What a route of the emulator is: the request it receives ({@link RecordedRequest}), the answer
 * it gives ({@link Scripted}, a response or a fault), and the handlers and scripts that make
 * one. Provider modules build their routes from these; the server runs them.
 *
 * @since 0.2.0
 */

/**
 * A fault the emulator can inject instead of (or in the middle of) a response.
 *
 * @since 0.1.0
 * @category testing
 */
export type Fault =
  /** destroy the socket before answering: the client sees a connection reset */
  | "reset"
  /** answer 200 with a body that is not JSON */
  | "malformed-json"
  /** never answer (until the client gives up or aborts) */
  | "hang"
  /** send half of the SSE frames, then destroy the socket */
  | "truncate"

/**
 * A scripted response: status, headers and a JSON, text or SSE body, or a fault; with delays.
 *
 * @since 0.1.0
 * @category testing
 */
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

/**
 * A request the emulator received.
 *
 * @since 0.1.0
 * @category testing
 */
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
  /** the path as sent, when it differs from `path` (an Azure OpenAI path) */
  readonly rawPath?: string | undefined
}

/**
 * A scripted response, or a function of the request that makes one.
 *
 * @since 0.1.0
 * @category testing
 */
export type Script = Scripted | ((request: RecordedRequest) => Scripted | Promise<Scripted>)

/**
 * A route's default behaviour when nothing is scripted.
 *
 * @since 0.1.0
 * @category testing
 */
export type Handler = (request: RecordedRequest) => Scripted | Promise<Scripted>

/**
 * One route: a method and a path pattern with `:param` segments.
 *
 * @since 0.1.0
 * @category testing
 */
export interface Route {
  readonly method: string
  readonly path: string
  readonly handler: Handler
}

/**
 * The route key of a method and path pattern, as `script` takes it: "POST /v1/chat/completions".
 *
 * @since 0.1.0
 * @category testing
 */
export type RouteKey = `${string} /${string}`

/**
 * Routes from a table of route keys to handlers, in the table's order.
 *
 * @since 0.2.0
 * @category constructors
 */
export const routesOf = (handlers: Readonly<Record<string, Handler>>): ReadonlyArray<Route> =>
  Object.entries(handlers).map(([key, handler]) => {
    const [method, path] = key.split(" ") as [string, string]
    return { method, path, handler }
  })

/**
 * Route handlers by route key, from handlers named as the keys are (`createBatch` for
 * `keys.createBatch`); each goes through `guard` (a key check, say) except those in `open`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const keyedHandlers = <Name extends string, Key extends string>(
  keys: Readonly<Record<Name, Key>>,
  handlers: Readonly<Record<Name, Handler>>,
  guard: (handler: Handler) => Handler,
  open: ReadonlyArray<Name>
): Readonly<Record<Key, Handler>> =>
  Object.fromEntries((Object.keys(keys) as Array<Name>).map((name) => [keys[name], open.includes(name) ? handlers[name] : guard(handlers[name])])) as Record<Key, Handler>
