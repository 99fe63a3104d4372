/**
 * What the Anthropic emulator answers beyond text and tool calls, each from something the
 * request controls, and nothing of it unless asked for (a request without these features gets
 * exactly the answer it always got):
 *
 * - **Server tools.** A request whose `tools` offer Anthropic server tools (`web_search_*`,
 *   `web_fetch_*`, `code_execution_*`) or whose `mcp_servers` name MCP servers gets, before its
 *   answer, one call and one result per tool (and per MCP server), in that order: a
 *   `server_tool_use` + `web_search_tool_result` (two results about the prompt), a
 *   `server_tool_use` + `web_fetch_tool_result` (the first URL of the prompt, else
 *   `https://example.com/`), a `server_tool_use` of `bash_code_execution` +
 *   `bash_code_execution_tool_result` (an `echo` of the prompt), an `mcp_tool_use` (the server's
 *   first allowed tool, else `echo`) + `mcp_tool_result` echoing the prompt. Usage reports
 *   `server_tool_use.web_search_requests` / `web_fetch_requests`. Not when the newest turn holds
 *   tool results (the calls were made), nor with the header `x-emulator-server-tools: none`.
 * - **Redacted thinking.** With thinking enabled, a prompt containing Anthropic's documented
 *   test string (`ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_…`) or the header
 *   `x-emulator-redacted-thinking: 1` adds a `redacted_thinking` block after the thinking block.
 * - **Prompt caching.** A request with `cache_control` breakpoints (on tools, system blocks or
 *   message blocks) caches its prefix up to the last breakpoint: the first request with a given
 *   prefix (same model, same JSON) on one emulator reports its tokens as
 *   `cache_creation_input_tokens` (under the breakpoint's ttl in `cache_creation`), every later
 *   one as `cache_read_input_tokens`; `input_tokens` counts the rest. There is no minimum length.
 *   The emulator keeps what it cached for its lifetime (`reset()` keeps it too): a test that
 *   expects a write should cache a prefix of its own. In a batch, requests are answered in
 *   submission order, so the first request of a shared prefix writes it whatever the lines' order.
 *   The headers `x-emulator-cache-read` / `x-emulator-cache-write` override the rule.
 *
 * @since 0.2.0
 */
import { isRecord } from "../../../internal/codec/wireChecks.js"
import type { RouteContext } from "../context.js"
import { fingerprint } from "../digest.js"
import type { Headers } from "../headers.js"
import { asArray, type Json } from "../json.js"
import { tokens } from "../responder.js"
import { nextId } from "./http.js"

/**
 * Anthropic's documented prompt string that makes a thinking model answer with a redacted
 * thinking block.
 *
 * @since 0.2.0
 * @category constants
 */
export const redactedThinkingTrigger = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"

/**
 * Whether the answer carries a redacted thinking block (thinking enabled is checked by the caller).
 *
 * @since 0.2.0
 * @category utils
 */
export const wantsRedactedThinking = (headers: Headers, lastUserText: string): boolean =>
  headers["x-emulator-redacted-thinking"] === "1" || headers["x-emulator-redacted-thinking"] === "true" || lastUserText.includes(redactedThinkingTrigger)

/**
 * The redacted thinking block of a prompt: opaque base64, the same for the same prompt.
 *
 * @since 0.2.0
 * @category constructors
 */
export const redactedThinkingBlock = (lastUserText: string): Json => ({
  type: "redacted_thinking",
  data: Buffer.from(`emulator-redacted-thinking:${fingerprint(lastUserText)}`).toString("base64")
})

/**
 * The server tool blocks of an answer and the usage counters they add.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerBlocks {
  readonly blocks: ReadonlyArray<Json>
  readonly usage: Readonly<Record<string, number>>
}

const idFor = (context: RouteContext, pinned: string | undefined, prefix: string, n: number): string =>
  pinned !== undefined ? `${prefix}_${pinned}_${n}` : nextId(context, `${prefix}_emu_`)

/**
 * The server tool calls and results the request's server tools and MCP servers make (see the
 * module notes); none when it offers none, when its newest turn holds tool results, or with
 * `x-emulator-server-tools: none`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const serverBlocks = (
  context: RouteContext,
  body: Json,
  headers: Headers,
  lastUserText: string,
  answersToolResults: boolean
): ServerBlocks => {
  if (headers["x-emulator-server-tools"] === "none" || answersToolResults) return { blocks: [], usage: {} }
  const pinned = headers["x-emulator-id"]
  const blocks: Array<Json> = []
  const usage: Record<string, number> = {}
  const query = lastUserText.slice(0, 60) || "the question"
  let n = 0
  for (const tool of asArray(body.tools).filter(isRecord)) {
    const type = typeof tool.type === "string" ? tool.type : ""
    if (type.startsWith("web_search_")) {
      const id = idFor(context, pinned, "srvtoolu", n++)
      blocks.push({ type: "server_tool_use", id, name: "web_search", input: { query } })
      blocks.push({
        type: "web_search_tool_result",
        tool_use_id: id,
        content: [1, 2].map((k) => ({
          type: "web_search_result",
          title: `Result ${k} for ${query}`,
          url: `https://example.com/search/${k}?q=${encodeURIComponent(query)}`,
          encrypted_content: Buffer.from(`emulator-search:${k}:${query}`).toString("base64"),
          page_age: null
        }))
      })
      usage.web_search_requests = (usage.web_search_requests ?? 0) + 1
    } else if (type.startsWith("web_fetch_")) {
      const id = idFor(context, pinned, "srvtoolu", n++)
      const url = /https?:\/\/[^\s"'<>)]+/.exec(lastUserText)?.[0] ?? "https://example.com/"
      blocks.push({ type: "server_tool_use", id, name: "web_fetch", input: { url } })
      blocks.push({
        type: "web_fetch_tool_result",
        tool_use_id: id,
        content: {
          type: "web_fetch_result",
          url,
          content: { type: "document", source: { type: "text", media_type: "text/plain", data: `The page at ${url}.` }, title: `Page at ${url}` },
          retrieved_at: "2025-01-01T00:00:00Z"
        }
      })
      usage.web_fetch_requests = (usage.web_fetch_requests ?? 0) + 1
    } else if (type.startsWith("code_execution_")) {
      const id = idFor(context, pinned, "srvtoolu", n++)
      const command = `echo ${JSON.stringify(query)}`
      blocks.push({ type: "server_tool_use", id, name: "bash_code_execution", input: { command } })
      blocks.push({
        type: "bash_code_execution_tool_result",
        tool_use_id: id,
        content: { type: "bash_code_execution_result", stdout: `${query}\n`, stderr: "", return_code: 0, content: [] }
      })
    }
  }
  for (const server of asArray(body.mcp_servers).filter(isRecord)) {
    const id = idFor(context, pinned, "mcptoolu", n++)
    const allowed = isRecord(server.tool_configuration) ? asArray(server.tool_configuration.allowed_tools) : []
    const name = typeof allowed[0] === "string" ? allowed[0] : "echo"
    blocks.push({ type: "mcp_tool_use", id, name, server_name: String(server.name ?? "mcp"), input: { text: query } })
    blocks.push({ type: "mcp_tool_result", tool_use_id: id, is_error: false, content: [{ type: "text", text: query }] })
  }
  return { blocks, usage }
}

/**
 * The request's cached prefix: its tokens and the last breakpoint's ttl, or `undefined` when it
 * has no `cache_control`. The prefix is the tools, system blocks and messages up to the last
 * block that carries one (in the API's order: tools, system, messages).
 */
const cachedPrefix = (body: Json): { readonly key: string; readonly tokens: number; readonly ttl: "5m" | "1h" } | undefined => {
  const items: Array<unknown> = []
  let last = -1
  let ttl: "5m" | "1h" = "5m"
  const visit = (value: unknown) => {
    items.push(value)
    if (isRecord(value) && isRecord(value.cache_control)) {
      last = items.length
      ttl = value.cache_control.ttl === "1h" ? "1h" : "5m"
    }
  }
  for (const tool of asArray(body.tools)) visit(tool)
  for (const block of asArray(body.system)) visit(block)
  if (typeof body.system === "string") items.push(body.system)
  for (const message of asArray(body.messages).filter(isRecord)) {
    if (typeof message.content === "string") items.push(message.content)
    for (const block of asArray(message.content)) visit(block)
  }
  if (last === -1) return undefined
  const prefix = items.slice(0, last)
  return { key: fingerprint([body.model, prefix]), tokens: tokens(JSON.stringify(prefix)), ttl }
}

/**
 * How many `cache_control` breakpoints the request holds.
 *
 * @since 0.2.0
 * @category utils
 */
export const countBreakpoints = (body: Json): number => {
  let count = 0
  const blocks = [
    ...asArray(body.tools),
    ...asArray(body.system),
    ...asArray(body.messages).filter(isRecord).flatMap((m) => asArray(m.content))
  ]
  for (const block of blocks) if (isRecord(block) && isRecord(block.cache_control)) count++
  return count
}

/**
 * The API's ordering rule of cache lifetimes: in the order tools, system, messages, no 1-hour
 * breakpoint may follow a 5-minute one. The message of a request that breaks it, else undefined.
 *
 * @since 0.2.0
 * @category utils
 */
export const ttlOrderProblem = (body: Json): string | undefined => {
  let shortSeen = false
  const blocks = [
    ...asArray(body.tools),
    ...asArray(body.system),
    ...asArray(body.messages).filter(isRecord).flatMap((m) => asArray(m.content))
  ]
  for (const block of blocks) {
    if (!isRecord(block) || !isRecord(block.cache_control)) continue
    if (block.cache_control.ttl === "1h") {
      if (shortSeen) return "a cache_control block with ttl='1h' must not come after a cache_control block with ttl='5m'."
    } else {
      shortSeen = true
    }
  }
  return undefined
}

/**
 * The cache usage of a request by the emulator's rule: the first request with a prefix writes
 * it, later ones read it (counted per emulator).
 *
 * @since 0.2.0
 * @category utils
 */
export const cacheUsage = (context: RouteContext, body: Json): { readonly read: number; readonly write: number; readonly ttl: "5m" | "1h" } | undefined => {
  const prefix = cachedPrefix(body)
  if (prefix === undefined) return undefined
  const seen = context.next(`anthropic-cache:${prefix.key}`) > 1
  return { read: seen ? prefix.tokens : 0, write: seen ? 0 : prefix.tokens, ttl: prefix.ttl }
}
