/**
 * How the emulator finds the route of a request: path patterns with `:param` segments, and
 * Azure OpenAI's URL shapes read as the OpenAI routes they stand for.
 *
 * @since 0.2.0
 */
import type { Route } from "./route.js"

/**
 * Azure OpenAI's URL shapes as the OpenAI routes they stand for, so the same routes (and
 * scripts) answer both: `/openai/deployments/{deployment}/chat/completions` and
 * `/openai/chat/completions` → `/v1/chat/completions`, `/openai/v1/responses` → `/v1/responses`,
 * `/openai/batches/{id}` → `/v1/batches/{id}`. Undefined for any other path.
 *
 * @since 0.1.0
 * @category utils
 */
export const azurePath = (path: string): { readonly path: string; readonly deployment: string | undefined; readonly v1: boolean } | undefined => {
  const deployment = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(path)
  if (deployment !== null) return { path: `/v1${deployment[2]}`, deployment: decodeURIComponent(deployment[1]!), v1: false }
  if (path.startsWith("/openai/v1/")) return { path: path.slice("/openai".length), deployment: undefined, v1: true }
  if (path.startsWith("/openai/")) return { path: `/v1${path.slice("/openai".length)}`, deployment: undefined, v1: false }
  return undefined
}

/**
 * Azure's answer to a versioned path without `api-version`.
 *
 * @since 0.2.0
 * @category constants
 */
export const missingApiVersion = {
  error: { code: "404", message: "Resource not found: Azure OpenAI paths outside /openai/v1 need an api-version query parameter." }
}

/**
 * A route ready to match: its key, and its path as a regular expression.
 *
 * @since 0.2.0
 * @category models
 */
export interface CompiledRoute extends Route {
  readonly key: string
  readonly regex: RegExp
  readonly names: ReadonlyArray<string>
}

/**
 * A route's key and path pattern as a regular expression.
 *
 * @since 0.2.0
 * @category constructors
 */
export const compile = (route: Route): CompiledRoute => {
  const names: Array<string> = []
  // a parameter starts a path segment; a colon after it is literal, as in Google's
  // `/models/:model:generateContent` (the parameter then stops before it)
  const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/(?<=\/):([A-Za-z_]+)/g, (_, name: string) => {
    names.push(name)
    return "([^/]+?)"
  })
  return { ...route, key: `${route.method} ${route.path}`, regex: new RegExp(`^${pattern}$`), names }
}

/**
 * The path parameters of a matched route, decoded.
 *
 * @since 0.2.0
 * @category utils
 */
export const paramsOf = (route: CompiledRoute, path: string): Record<string, string> => {
  const params: Record<string, string> = {}
  const m = route.regex.exec(path)
  route.names.forEach((name, i) => (params[name] = decodeURIComponent(m?.[i + 1] ?? "")))
  return params
}
