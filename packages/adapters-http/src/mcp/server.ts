import type { Principal, RequestMeta } from '@latchkey/domain';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
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
 * Asks again, before each request, who the tools act for: stdio serves a whole session with one
 * token, so a token revoked or expired mid-session must stop working at its next request.
 * `undefined` means the token no longer authenticates. The Streamable HTTP endpoint authenticates
 * every request itself and needs no recheck.
 */
export type McpRecheck = () => Promise<Principal | undefined>;

/** The JSON-RPC error for a request made with a token that no longer authenticates. */
const tokenEnded = (): McpError =>
  new McpError(ErrorCode.InvalidRequest, 'The token is no longer valid (revoked, expired or out of scope).');

/**
 * `tools/list` and `tools/call` as the SDK's protocol layer should check them: the method only.
 * The SDK parses a request with the schema its handler was registered with before anything else,
 * and a request that fails that parse (a `cursor` that is not a string, `arguments` not an
 * object, no `name`) becomes -32603, an internal error. Registered with these schemas instead,
 * the handlers parse the request themselves and answer -32602 (invalid params), the protocol
 * error MCP 2025-11-25 names for a request that does not satisfy its schema
 * (docs/http-api.md#mcp).
 */
const ToolsListMethod = ListToolsRequestSchema.pick({ method: true }).loose();
const ToolsCallMethod = CallToolRequestSchema.pick({ method: true }).loose();

/** Checks tools' arguments against their `inputSchema`, every problem at once. */
const ajv = new Ajv({ allErrors: true, strict: true });
/** One compiled validator per tool, made on first use. */
const argumentValidators = new WeakMap<Tool, ValidateFunction>();

/** One schema violation in words a model can act on, naming the argument. */
const problemText = (error: ErrorObject): string => {
  const argument = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties')
    return `unknown argument ${String(params.additionalProperty)}`;
  if (error.keyword === 'required') return `missing argument ${String(params.missingProperty)}`;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues))
    return `${argument} must be one of: ${params.allowedValues.map(String).join(', ')}`;
  return `${argument === '' ? 'the arguments' : argument} ${error.message ?? 'are not valid'}`;
};

/**
 * Why `args` do not satisfy the tool's `inputSchema`, or `undefined` when they do. MCP 2025-11-25
 * (tools, error handling) makes this a tool execution error (`isError: true`), which a model can
 * read and correct, not a protocol error.
 */
const argumentsProblem = (tool: Tool, args: Readonly<Record<string, unknown>>): string | undefined => {
  let validate = argumentValidators.get(tool);
  if (validate === undefined) {
    validate = ajv.compile(tool.inputSchema);
    argumentValidators.set(tool, validate);
  }
  if (validate(args)) return undefined;
  const problems = [...new Set((validate.errors ?? []).map(problemText))];
  return `The arguments do not match the input schema of ${tool.name}: ${problems.join('; ')}.`;
};

const describe = (tool: Tool, principal: Principal): string => {
  const note = tool.noteFor?.(principal);
  return note === undefined ? tool.description : `${tool.description} ${note}`;
};

/**
 * The initialize result's `instructions`: what this token can do, and nothing more (a token
 * without scope `all`, or a member's, is not told about the owners' tools; docs/http-api.md#mcp).
 */
const instructionsFor = (tools: readonly Tool[], principal: Principal): string => {
  const available = tools.filter((tool) => tool.availableTo(principal));
  const can =
    available.length === 0
      ? 'This token gives access to no tool.'
      : `With this token you can ${available
          .map((tool) => tool.instruction)
          .join('; ')
          .replace(/; ([^;]*)$/, '; and $1')}.`;
  const notes = [
    ...new Set(available.map((tool) => tool.noteFor?.(principal)).filter((note) => note !== undefined)),
  ];
  return [
    'Latchkey is an OAuth 2.1 authorization server. These tools act as the user this token belongs to.',
    can,
    ...notes,
  ].join(' ');
};

/**
 * An MCP server (the SDK's low-level `Server`) exposing `tools` to one caller: `principal`, as
 * authenticated when the server is made, and as `recheck` finds it before each later request when
 * given. Transports are the caller's business: Streamable HTTP per request, or stdio for a whole
 * session.
 */
// The low-level `Server` is the SDK's API for tools described by plain JSON Schema, as ours are
// (the high-level `McpServer` wants zod schemas); that is the "advanced use case" it names.
export const createMcpServer = (
  tools: readonly Tool[],
  principal: Principal,
  meta: RequestMeta,
  recheck?: McpRecheck,
  // eslint-disable-next-line @typescript-eslint/no-deprecated
): Server => {
  const callerNow = (): Promise<Principal | undefined> =>
    recheck === undefined ? Promise.resolve(principal) : recheck();
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(MCP_SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    instructions: instructionsFor(tools, principal),
  });
  server.setRequestHandler(ToolsListMethod, async (raw) => {
    if (!ListToolsRequestSchema.safeParse(raw).success)
      throw new McpError(ErrorCode.InvalidParams, 'Invalid tools/list request.');
    const caller = await callerNow();
    if (caller === undefined) throw tokenEnded();
    return {
      tools: tools
        .filter((tool) => tool.availableTo(caller))
        .map((tool) => ({
          name: tool.name,
          title: tool.title,
          description: describe(tool, caller),
          inputSchema: tool.inputSchema,
          outputSchema: tool.outputSchema,
          annotations: { title: tool.title, ...tool.annotations },
        })),
    };
  });

  server.setRequestHandler(ToolsCallMethod, async (raw) => {
    const parsed = CallToolRequestSchema.safeParse(raw);
    if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, 'Invalid tools/call request.');
    const request = parsed.data;
    const tool = tools.find((t) => t.name === request.params.name);
    if (tool === undefined)
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const caller = await callerNow();
    if (caller === undefined) throw tokenEnded();
    if (!tool.availableTo(caller)) {
      return {
        isError: true,
        content: [{ type: 'text', text: `${tool.name} is only for owners whose token has scope all.` }],
      };
    }
    const args = request.params.arguments ?? {};
    const problem = argumentsProblem(tool, args);
    if (problem !== undefined) return { isError: true, content: [{ type: 'text', text: problem }] };
    const result = await tool.call(caller, args, meta)();
    if (E.isLeft(result)) return { isError: true, content: [{ type: 'text', text: result.left.message }] };
    // MCP 2025-06-18 (structured content): the same JSON as text too, for clients that predate it.
    return {
      content: [{ type: 'text', text: JSON.stringify(result.right) }],
      structuredContent: result.right,
    };
  });
  return server;
};
