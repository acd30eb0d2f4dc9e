import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { expect } from 'chai';
import { nullsIn } from '../http/admin-api.js';
import { bearer, login, OWNER, postJson, request, type JsonResponse } from '../support/server.js';
import { inputsOf, MCP_PATH, postConsent, sessionCookie } from '../oauth/flow-helpers.js';

export { MCP_PATH };

/** The MCP endpoint of a server (docs/http-api.md#mcp). */
export const mcpUrl = (issuer: string): string => `${issuer}${MCP_PATH}`;

/** The path variant of the protected resource metadata for the MCP endpoint (docs/http-api.md#metadata). */
export const mcpResourceMetadataUrl = (issuer: string): string =>
  `${issuer}/.well-known/oauth-protected-resource${MCP_PATH}`;

/** The tools every user with scope `mcp` sees. */
export const USER_TOOLS = [
  'latchkey_get_authenticated_user',
  'latchkey_list_authorized_apps',
  'latchkey_revoke_app_access',
];

/** The tools only owners whose token has scope `all` see. */
export const OWNER_TOOLS = ['latchkey_get_audit_log', 'latchkey_list_oauth2_apps'];

export const ALL_TOOLS = [...USER_TOOLS, ...OWNER_TOOLS].sort();

/** What an MCP client sends with every POST (Streamable HTTP: it must accept both). */
export const MCP_ACCEPT = { Accept: 'application/json, text/event-stream' };

export const PROTOCOL_VERSION = '2025-06-18';

export const initializeRequest = (id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'latchkey-test', version: '0.0.0' },
  },
});

export const INITIALIZED_NOTIFICATION = { jsonrpc: '2.0', method: 'notifications/initialized' };

export const toolsListRequest = (id: number | string = 2) => ({ jsonrpc: '2.0', id, method: 'tools/list' });

/** POSTs one JSON-RPC message to the MCP endpoint as an MCP client would, with `token` unless undefined. */
export const mcpPost = (
  issuer: string,
  token: string | undefined,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> =>
  postJson(mcpUrl(issuer), message, {
    ...MCP_ACCEPT,
    'MCP-Protocol-Version': PROTOCOL_VERSION,
    ...(token === undefined ? {} : bearer(token)),
    ...headers,
  });

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/**
 * A request through `node:http`, which (unlike `fetch`) lets the test choose the `Host` header,
 * as a browser tricked by DNS rebinding would send it.
 */
export const rawRequest = (
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; chunked?: boolean },
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = options.body ?? '';
    if (options.chunked === true) {
      // Two writes: Node then sends `Transfer-Encoding: chunked` and no `Content-Length`.
      req.write(body.slice(0, body.length / 2));
      req.end(body.slice(body.length / 2));
    } else {
      req.end(body);
    }
  });

/** An SDK client connected with a fixed bearer token (no OAuth provider). */
export const connectWithToken = async (issuer: string, token: string): Promise<Client> => {
  const client = new Client({ name: 'latchkey-test', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl(issuer)), {
    requestInit: { headers: bearer(token) },
  });
  await client.connect(transport);
  return client;
};

export interface ToolCall {
  readonly isError: boolean;
  /** The text of the single text content item. */
  readonly text: string;
  /** That text parsed as JSON, when it is JSON. */
  readonly json: unknown;
  /** The result's `structuredContent`, when it has one. */
  readonly structured: unknown;
}

const parsedOrUndefined = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Calls a tool and reads its single text content. */
export const callTool = async (
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolCall> => {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text?: string }[];
  expect(content, JSON.stringify(result)).to.have.length(1);
  expect(content[0]?.type).to.equal('text');
  const text = content[0]?.text ?? '';
  return {
    isError: result.isError === true,
    text,
    json: parsedOrUndefined(text),
    structured: result.structuredContent,
  };
};

/**
 * A strict JSON Schema 2020-12 validator (the dialect MCP assumes when a schema names none), with
 * the standard formats: stricter than the SDK client's own check, which ignores unknown keywords.
 */
export const strictAjv = (): Ajv2020 => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajvFormats.default(ajv);
  return ajv;
};

const outputSchemas = new WeakMap<Client, Promise<Map<string, Record<string, unknown>>>>();

/** The `outputSchema` of each tool the client is offered, asked once per client. */
export const outputSchemasOf = (client: Client): Promise<Map<string, Record<string, unknown>>> => {
  const known = outputSchemas.get(client);
  if (known !== undefined) return known;
  const asked = client.listTools().then(({ tools }) => {
    const schemas = new Map<string, Record<string, unknown>>();
    for (const tool of tools) if (tool.outputSchema !== undefined) schemas.set(tool.name, tool.outputSchema);
    return schemas;
  });
  outputSchemas.set(client, asked);
  // A refusal (a revoked token) is not kept: the next call asks again.
  void asked.catch(() => outputSchemas.delete(client));
  return asked;
};

/**
 * Checks a successful result as MCP 2025-06-18 asks: `structuredContent` valid against the tool's
 * `outputSchema`, and the same JSON as text for older clients.
 */
export const expectStructured = (
  schemas: Map<string, Record<string, unknown>>,
  name: string,
  call: ToolCall,
): void => {
  const schema = schemas.get(name);
  expect(schema, `outputSchema of ${name}`).to.be.an('object');
  expect(call.structured, `structuredContent of ${name}`).to.be.an('object');
  expect(call.json, `the text of ${name} is its structuredContent`).to.deep.equal(call.structured);
  const validate = strictAjv().compile(schema ?? {});
  expect(validate(call.structured), `${name}: ${JSON.stringify(validate.errors)}`).to.equal(true);
};

/**
 * Calls a tool and insists that it succeeded with a JSON result without `null`
 * (docs/http-api.md#conventions), given both as structured content that its output schema accepts
 * and as text (docs/http-api.md#mcp).
 */
export const callToolOk = async (
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<unknown> => {
  // Asked before the call: a call may end the token (latchkey_revoke_app_access on its own app).
  const schemas = await outputSchemasOf(client);
  const call = await callTool(client, name, args);
  expect(call.isError, call.text).to.equal(false);
  expect(call.json, call.text).to.not.equal(undefined);
  expect(nullsIn(call.json), `nulls in the result of ${name}: ${call.text}`).to.deep.equal([]);
  expectStructured(schemas, name, call);
  return call.json;
};

/** The sorted names of the tools a client is offered. */
export const toolNames = async (client: Client): Promise<string[]> =>
  (await client.listTools()).tools.map((tool) => tool.name).sort();

/** The error a promise rejects with; fails the test when it resolves. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the promise to reject');
};

/**
 * The owner's part of an SDK client's authorization, scripted: signs in, opens the consent page
 * the client sent the browser to, allows it, and answers where the redirect went (it must be
 * `redirectUri`).
 */
export const consentAsOwner = async (
  issuer: string,
  authorizationUrl: URL,
  redirectUri: string,
): Promise<URL> => {
  const session = await login(issuer, OWNER.email, OWNER.password);
  const page = await request(authorizationUrl.href, { headers: { Cookie: sessionCookie(session) } });
  expect(page.status, page.text).to.equal(200);
  const inputs = inputsOf(page.text);
  const cookie = [
    sessionCookie(session),
    ...page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0] ?? '')
      .filter((c) => !c.startsWith('latchkey_session=')),
  ].join('; ');
  const answer = await postConsent(issuer, cookie, {
    request_id: inputs.get('request_id'),
    csrf_token: inputs.get('csrf_token'),
    decision: 'allow',
  });
  expect(answer.status, answer.text).to.equal(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).to.equal(redirectUri);
  return location;
};
