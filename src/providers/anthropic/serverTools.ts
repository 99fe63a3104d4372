/**
 * Anthropic's server tools, request side: the built-in tool parameters as `tools` entries
 * (`web_search_20250305`, `web_fetch_20250910`, `code_execution_20250825`) and `mcp_servers`
 * (with the `mcp-client-2025-04-04` beta header), and the built-in tool parts of a history as
 * the blocks they came from (`server_tool_use`, `mcp_tool_use`, `*_tool_result`), so a
 * conversation that used them can be continued. The response side is in `decode.ts`.
 *
 * @since 0.2.0
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Either } from "effect"
import { InvalidInputError } from "../../AiError.js"
import type { BuiltinToolCallPart, BuiltinToolReturnPart } from "../../Message.js"
import type { BuiltinTool } from "../../Parameters.js"

// the codec imports this module: its constant is repeated rather than imported back
const providerName = "anthropic"

/**
 * The beta header of `mcp_servers` on the Messages API.
 *
 * @since 0.2.0
 * @category constants
 */
export const mcpBetaHeader = "mcp-client-2025-04-04"

/**
 * An `mcp_servers` entry (a beta field the SDK types only on `beta.messages`).
 *
 * @since 0.2.0
 * @category models
 */
export interface McpServerDefinition {
  readonly type: "url"
  readonly url: string
  readonly name: string
  readonly authorization_token?: string
  readonly tool_configuration?: { readonly allowed_tools: Array<string> }
}

/**
 * The built-in tools as the Messages API takes them.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerTools {
  readonly tools: Array<Anthropic.ToolUnion>
  readonly mcpServers: Array<McpServerDefinition>
}

const ignored = (warnings: Array<string>, tool: string, field: string) =>
  warnings.push(`${tool}.${field} was ignored: Anthropic's server tool has no such option.`)

/**
 * The request's built-in tools → Anthropic server tool definitions and MCP servers. A
 * `FileSearchTool` fails with an {@link InvalidInputError}: Anthropic has no file search.
 *
 * @since 0.2.0
 * @category codecs
 */
export const encodeBuiltinTools = (
  builtinTools: ReadonlyArray<BuiltinTool>,
  warnings: Array<string>
): Either.Either<ServerTools, InvalidInputError> => {
  const tools: Array<Anthropic.ToolUnion> = []
  const mcpServers: Array<McpServerDefinition> = []
  for (const tool of builtinTools) {
    switch (tool._tag) {
      case "WebSearchTool": {
        const wire: Anthropic.WebSearchTool20250305 = { type: "web_search_20250305", name: "web_search" }
        if (tool.maxUses !== undefined) wire.max_uses = tool.maxUses
        if (tool.allowedDomains !== undefined) wire.allowed_domains = [...tool.allowedDomains]
        if (tool.blockedDomains !== undefined) wire.blocked_domains = [...tool.blockedDomains]
        if (tool.userLocation !== undefined) wire.user_location = { type: "approximate", ...tool.userLocation }
        if (tool.searchContextSize !== undefined) ignored(warnings, "WebSearchTool", "searchContextSize")
        tools.push(wire)
        break
      }
      case "WebFetchTool": {
        const wire: Anthropic.WebFetchTool20250910 = { type: "web_fetch_20250910", name: "web_fetch" }
        if (tool.maxUses !== undefined) wire.max_uses = tool.maxUses
        if (tool.allowedDomains !== undefined) wire.allowed_domains = [...tool.allowedDomains]
        if (tool.blockedDomains !== undefined) wire.blocked_domains = [...tool.blockedDomains]
        if (tool.citations !== undefined) wire.citations = { enabled: tool.citations }
        if (tool.maxContentTokens !== undefined) wire.max_content_tokens = tool.maxContentTokens
        tools.push(wire)
        break
      }
      case "CodeExecutionTool":
        tools.push({ type: "code_execution_20250825", name: "code_execution" })
        break
      case "McpServerTool": {
        if (tool.description !== undefined) ignored(warnings, "McpServerTool", "description")
        if (tool.headers !== undefined) ignored(warnings, "McpServerTool", "headers")
        mcpServers.push({
          type: "url",
          url: tool.url,
          name: tool.name,
          ...(tool.authorizationToken !== undefined ? { authorization_token: tool.authorizationToken } : {}),
          ...(tool.allowedTools !== undefined ? { tool_configuration: { allowed_tools: [...tool.allowedTools] } } : {})
        })
        break
      }
      case "FileSearchTool":
        return Either.left(new InvalidInputError({
          provider: providerName,
          reason: "anthropic does not offer the built-in tool FileSearchTool; it offers WebSearchTool, WebFetchTool, CodeExecutionTool and McpServerTool."
        }))
    }
  }
  return Either.right({ tools, mcpServers })
}

type Block = Anthropic.ContentBlockParam

const rest = (details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> => {
  if (details === undefined) return {}
  const { type: _type, ...others } = details
  return others
}

/**
 * A built-in tool part of Anthropic's → the block it was decoded from (`server_tool_use`,
 * `mcp_tool_use`, `web_search_tool_result`, ...: the type and extra fields are in
 * `providerDetails`); `undefined` for another provider's part, which Anthropic cannot take.
 *
 * @since 0.2.0
 * @category codecs
 */
export const builtinBlock = (part: BuiltinToolCallPart | BuiltinToolReturnPart): Block | undefined => {
  if (part.providerName !== providerName) return undefined
  const type = part.providerDetails?.type
  if (part._tag === "BuiltinToolCallPart") {
    // the API types only its own block kinds; what came back from it goes back as it came
    return {
      type: typeof type === "string" ? type : "server_tool_use",
      id: part.toolCallId,
      name: part.toolName,
      input: part.argsAsObject,
      ...rest(part.providerDetails)
    } as unknown as Block
  }
  return {
    type: typeof type === "string" ? type : `${part.toolName}_tool_result`,
    tool_use_id: part.toolCallId,
    ...(part.content !== undefined ? { content: part.content } : {}),
    ...rest(part.providerDetails)
  } as unknown as Block
}

/**
 * Whether a block is an MCP block (`mcp_tool_use`, `mcp_tool_result`), which needs the MCP beta header.
 *
 * @since 0.2.0
 * @category guards
 */
export const isMcpBlock = (block: Block): boolean => (block.type as string).startsWith("mcp_")
