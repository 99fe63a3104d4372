/**
 * What one emulator gives its routes: its base URL (to build links back to it, such as results
 * URLs) and its own id counters, so two emulators in one process never share a count. The server
 * hands its context to every request it records; a default handler called by a script finds it
 * there with {@link contextOf}.
 *
 * @since 0.2.0
 */
import type { RecordedRequest } from "./route.js"

/**
 * One emulator's base URL and counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouteContext {
  /** The base URL (empty until the server listens). */
  readonly url: () => string
  /** The next number of a named counter, from 1; each emulator counts on its own. */
  readonly next: (counter: string) => number
}

/**
 * A context whose URL is set once the server listens.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerContext extends RouteContext {
  readonly listening: (url: string) => void
}

/**
 * A fresh context: no URL yet, every counter at 0.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeRouteContext = (): ServerContext => {
  const counters = new Map<string, number>()
  let url = ""
  return {
    url: () => url,
    listening: (value) => {
      url = value
    },
    next: (counter) => {
      const n = (counters.get(counter) ?? 0) + 1
      counters.set(counter, n)
      return n
    }
  }
}

const contextKey = Symbol.for("effect-llm-direct/testing/emulator/context")

/**
 * Gives a recorded request the context of the server that received it (a hidden property: the
 * request's own fields stay as they are).
 *
 * @since 0.2.0
 * @category utils
 */
export const attachContext = (request: RecordedRequest, context: RouteContext): void => {
  Object.defineProperty(request, contextKey, { value: context, enumerable: false })
}

/**
 * The context of the server that received a request; a request made by hand, outside any
 * server, gets a fresh one of its own.
 *
 * @since 0.2.0
 * @category utils
 */
export const contextOf = (request: RecordedRequest): RouteContext =>
  (request as { readonly [contextKey]?: RouteContext })[contextKey] ?? makeRouteContext()
