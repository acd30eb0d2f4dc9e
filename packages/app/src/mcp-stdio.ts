#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createMcpServer, makeTools } from '@latchkey/adapters-http';
import { MCP_PATH, SCOPE_MCP, scopeSatisfies, type Principal, type UseCases } from '@latchkey/domain';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as E from 'fp-ts/lib/Either.js';
import { pino } from 'pino';
import { decodeConfig } from './config.js';
import { buildContainer, TOKENS, type Storage } from './container.js';

const USAGE = `Usage: latchkey-mcp --token <access or session token>

Serves Latchkey's MCP tools over stdio (for MCP hosts that launch a local process), acting as the
token's user. The token needs scope mcp (or all). Configuration comes from the same LATCHKEY_*
variables as the server. With the embedded database, stop the server first: only one process
may open its data directory.
`;

/**
 * The stdio transport for the same tools the HTTP endpoint serves: the domain's use cases behind
 * another transport (docs/http-api.md#mcp). stdout carries the protocol, so logs go to stderr.
 */
const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { token: { type: 'string' }, help: { type: 'boolean' } } });
  const token = values.token ?? process.env.LATCHKEY_MCP_TOKEN;
  if (values.help === true || token === undefined) {
    process.stderr.write(USAGE);
    process.exitCode = values.help === true ? 0 : 64;
    return;
  }
  const decoded = decodeConfig(process.env);
  if (E.isLeft(decoded)) {
    for (const problem of decoded.left)
      process.stderr.write(`latchkey-mcp: invalid configuration: ${problem}\n`);
    process.exitCode = 78;
    return;
  }
  const config = decoded.right;
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const container = buildContainer(config, logger);
  const storage = await container.getAsync<Storage>(TOKENS.Storage);
  const useCases = await container.getAsync<UseCases>(TOKENS.UseCases);

  const resource = `${config.issuer}${MCP_PATH}`;

  /**
   * The token's principal now, or why it does not serve the MCP tools (revoked, expired, its user
   * or grant gone, another audience, no scope mcp). A storage failure is thrown.
   */
  const checkToken = async (): Promise<{ principal: Principal } | { refused: string }> => {
    const found = await useCases.authenticate(token, ['session', 'access'], resource, SCOPE_MCP)();
    if (E.isLeft(found)) {
      // A client credentials token is valid but acts for no user (docs/http-api.md#client-credentials-grant).
      if (found.left.requiredScope !== undefined) return { refused: 'it needs scope mcp' };
      if (found.left.status !== 401)
        throw new Error('Latchkey could not check the token just now; try again.');
      // RFC 8707: the token's audience is a resource that does not cover the MCP endpoint.
      if (found.left.credential === 'wrong_audience')
        return { refused: `it was issued for another audience; the MCP tools need one for ${resource}` };
      return { refused: 'it is unknown, expired or revoked' };
    }
    return scopeSatisfies(found.right.scopes, SCOPE_MCP)
      ? { principal: found.right }
      : { refused: 'it needs scope mcp' };
  };

  /**
   * Asked at start-up and again before every MCP request, as the HTTP endpoint checks every
   * request: once the token no longer serves, `undefined`. A storage failure is thrown: the SDK
   * answers that one request with an internal error, and the session goes on.
   */
  const currentPrincipal = async (): Promise<Principal | undefined> => {
    const checked = await checkToken();
    return 'principal' in checked ? checked.principal : undefined;
  };

  let checked: Awaited<ReturnType<typeof checkToken>>;
  try {
    checked = await checkToken();
  } catch (error) {
    process.stderr.write(`latchkey-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    await storage.close();
    process.exitCode = 75; // EX_TEMPFAIL
    return;
  }
  if (!('principal' in checked)) {
    process.stderr.write(`latchkey-mcp: the token is not valid for the MCP tools: ${checked.refused}.\n`);
    await storage.close();
    process.exitCode = 77; // EX_NOPERM
    return;
  }
  const { principal } = checked;
  const server = createMcpServer(
    makeTools(useCases, config.issuer),
    principal,
    { ip: 'stdio', userAgent: 'latchkey-mcp' },
    currentPrincipal,
  );
  // MCP stdio lifecycle: the host closes our stdin (then may send SIGTERM); either way, close the
  // database cleanly and exit.
  let closing: Promise<void> | undefined;
  const shutdown = (): void => {
    closing ??= server
      .close()
      .catch(() => undefined)
      .then(() => storage.close())
      .then(() => process.exit(0));
  };
  process.stdin.once('end', shutdown);
  process.stdin.once('close', shutdown);
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await server.connect(new StdioServerTransport());
  logger.info({ user: principal.user.username }, 'serving MCP tools over stdio');
};

main().catch((error: unknown) => {
  process.stderr.write(`latchkey-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
