import Router from '@koa/router';
import { ApiErrors, MCP_PATH, SCOPE_MCP, type UseCases } from '@latchkey/domain';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Next } from 'koa';
import { resourceMetadataUrl, type HttpConfig } from '../config.js';
import { authenticated } from '../middleware/authenticate.js';
import { declaresType, requestMeta } from '../middleware/body.js';
import { writeApiError } from '../middleware/errors.js';
import { createMcpServer } from '../mcp/server.js';
import { makeTools } from '../mcp/tools.js';
import type { Ctx, RequestState } from '../state.js';

/**
 * The MCP Streamable HTTP endpoint (docs/http-api.md#mcp): stateless (a transport per request, no
 * `Mcp-Session-Id`), JSON answers, bearer tokens in the header only, scope `mcp`, audience the
 * MCP endpoint or the issuer, and a `Host` check against DNS rebinding.
 */
export const mcpRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const tools = makeTools(useCases, config.issuer);
  const issuerHost = new URL(config.issuer).host.toLowerCase();

  /** Names the host to use, so that someone who reached us by another name can fix the client's URL. */
  const wrongHost = {
    ...ApiErrors.forbidden('The Host header does not name this server.'),
    publicDetail: `Send MCP requests to ${config.issuer}${MCP_PATH} (Host: ${issuerHost}, the issuer's host).`,
  };

  /** A page on another site that resolves its name to us must not reach the tools (DNS rebinding). */
  const sameHost = async (ctx: Ctx, next: Next): Promise<void> => {
    if (ctx.get('Host').toLowerCase() !== issuerHost) {
      writeApiError(ctx, wrongHost);
      return;
    }
    await next();
  };

  const guard = authenticated(useCases, {
    resourceMetadata: resourceMetadataUrl(config.issuer, MCP_PATH),
    scope: SCOPE_MCP,
    scopeOnEveryChallenge: true,
    allowCookie: false,
    issuer: config.issuer,
  });

  const notAllowed = (ctx: Ctx): void => {
    ctx.set('Allow', 'POST');
    writeApiError(ctx, { ...ApiErrors.badRequest('Use POST: this endpoint is stateless.'), status: 405 });
  };
  /**
   * A client that probes with a bare GET (mcp-remote does) must meet the 401 challenge that starts
   * discovery (docs/http-api.md#mcp). A request that carries a token gets the 405 whatever the
   * token's state: the official SDK opens its optional GET stream with the token it holds, and a
   * 401 there would make it refresh a second time beside the refresh its POST triggers.
   */
  const challengeWithoutCredential = async (ctx: Ctx, next: Next): Promise<void> => {
    if (ctx.get('Authorization') === '') await guard(ctx, next);
    else await next();
  };
  router.get(MCP_PATH, sameHost, challengeWithoutCredential, notAllowed);
  router.delete(MCP_PATH, sameHost, challengeWithoutCredential, notAllowed);

  router.post(MCP_PATH, sameHost, guard, async (ctx) => {
    if (!declaresType(ctx, 'application/json')) {
      writeApiError(ctx, ApiErrors.unsupportedMediaType('application/json'));
      return;
    }
    if (Number(ctx.get('Content-Length') || '0') > config.bodyLimitBytes) {
      writeApiError(ctx, ApiErrors.payloadTooLarge());
      return;
    }
    const principal = ctx.state.principal;
    if (principal === undefined) throw new Error('route reached without authentication');
    const server = createMcpServer(tools, principal, requestMeta(ctx));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      // The declared length is checked above; this also bounds a chunked body (docs/http-api.md#conventions).
      maxRequestBodySize: config.bodyLimitBytes,
    });
    ctx.res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    ctx.respond = false;
    await transport.handleRequest(ctx.req, ctx.res);
  });

  return router;
};
