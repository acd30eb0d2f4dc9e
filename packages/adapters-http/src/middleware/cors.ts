import cors from '@koa/cors';
import type { Next } from 'koa';
import type { Ctx } from '../state.js';

/**
 * CORS exactly where docs/http-api.md#metadata puts it: well-known documents, token, revocation and
 * registration endpoints, and the MCP endpoint, for any origin, without credentials, exposing
 * `WWW-Authenticate` (also on error answers). Nowhere else: not on authorize, the pages,
 * introspection, client management or the rest of `/api`.
 */
const allowHeaders = ['Authorization', 'Content-Type', 'MCP-Protocol-Version', 'Mcp-Session-Id'];

const open = (methods: string[]): ((ctx: Ctx, next: Next) => Promise<void>) =>
  cors({
    origin: '*',
    allowMethods: methods,
    allowHeaders,
    exposeHeaders: ['WWW-Authenticate'],
    credentials: false,
    keepHeadersOnError: true,
  });

export const corsPolicy = (mcpPath: string) => {
  const standard = open(['GET', 'POST', 'OPTIONS']);
  const mcp = open(['GET', 'POST', 'DELETE', 'OPTIONS']);
  const isOpen = (path: string): boolean =>
    path.startsWith('/.well-known/') ||
    path === '/oauth2/tokens' ||
    path === '/oauth2/revoke' ||
    path === '/oauth2/register' ||
    // docs/openid-connect.md: browser-based relying parties read keys and claims too.
    path === '/oauth2/jwks' ||
    path === '/oauth2/userinfo';
  return (ctx: Ctx, next: Next): Promise<unknown> => {
    const path = ctx.path;
    if (path === mcpPath) return mcp(ctx, next);
    // `DELETE /oauth2/tokens` is a user's action, not a client's: no CORS for it.
    if (isOpen(path) && !(path === '/oauth2/tokens' && ctx.method === 'DELETE')) return standard(ctx, next);
    return next();
  };
};
