import type { Principal, RequestMeta } from '@latchkey/domain';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import * as E from 'fp-ts/lib/Either.js';
import type { Tool } from './tools.js';

export const MCP_SERVER_INFO = { name: 'latchkey', version: '0.1.0' } as const;

/**
 * Who the tools act for, asked on every request: a fixed principal when the transport
 * authenticates each request itself (Streamable HTTP), or a fresh check of the session's token
 * (stdio), so that a token revoked or expired mid-session stops working at its next request.
 * `undefined` means the token no longer authenticates.
 */
export type McpCaller = Principal | (() => Promise<Principal | undefined>);

const callerNow = (caller: McpCaller): Promise<Principal | undefined> =>
  typeof caller === 'function' ? caller() : Promise.resolve(caller);

/** The JSON-RPC error for a request made with a token that no longer authenticates. */
const tokenEnded = (): McpError =>
  new McpError(ErrorCode.InvalidRequest, 'The token is no longer valid (revoked, expired or out of scope).');

/**
 * An MCP server (the SDK's low-level `Server`) exposing `tools` to one caller. Transports are
 * the caller's business: Streamable HTTP per request, or stdio for a whole session.
 */
// The low-level `Server` is the SDK's API for tools described by plain JSON Schema, as ours are
// (the high-level `McpServer` wants zod schemas); that is the "advanced use case" it names.
// eslint-disable-next-line @typescript-eslint/no-deprecated
export const createMcpServer = (tools: readonly Tool[], caller: McpCaller, meta: RequestMeta): Server => {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(MCP_SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    instructions:
      'Latchkey is an OAuth 2.1 authorization server. These tools act as the signed-in user: see who that is, which applications they authorized, and revoke one. Owners can also list all applications and read the audit log.',
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const principal = await callerNow(caller);
    if (principal === undefined) throw tokenEnded();
    return {
      tools: tools
        .filter((tool) => tool.availableTo(principal))
        .map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })),
    };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = tools.find((t) => t.name === request.params.name);
    if (tool === undefined)
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const principal = await callerNow(caller);
    if (principal === undefined) throw tokenEnded();
    if (!tool.availableTo(principal)) {
      return {
        isError: true,
        content: [{ type: 'text', text: `${tool.name} is only for owners whose token has scope all.` }],
      };
    }
    const result = await tool.call(principal, request.params.arguments ?? {}, meta)();
    return E.isLeft(result)
      ? { isError: true, content: [{ type: 'text', text: result.left.message }] }
      : { content: [{ type: 'text', text: JSON.stringify(result.right) }] };
  });
  return server;
};
