import { errorPage } from '../routes/pages.js';
import type { Ctx } from '../state.js';

/**
 * Paths whose answers stay in their API or OAuth format whatever the client accepts
 * (docs/http-api.md#conventions): the admin API, the OAuth endpoints but the authorization page,
 * the metadata, the MCP endpoint and the health checks.
 */
const MACHINE_PATHS = /^\/(?:api\/|oauth2\/(?!authorize$)|\.well-known\/|healthz$|readyz$)/;

/**
 * Browsers get HTML error pages (docs/http-api.md#web-console): an error answered in the API
 * format on a page's path (one thrown past a route, a 503 of the session lookup, a refused form
 * body) is rewritten as a page with the same status when the client prefers HTML to JSON. Runs
 * on the answer, after the route and the error fence.
 */
export const rewriteForBrowser = (ctx: Ctx): void => {
  if (ctx.status < 400 || MACHINE_PATHS.test(ctx.path) || !ctx.response.is('json')) return;
  if (ctx.accepts('json', 'html') !== 'html') return;
  const body = ctx.body as { message?: unknown } | null | undefined;
  const message = typeof body?.message === 'string' ? body.message : 'The request was refused.';
  // A 5xx was logged when it was written in the API format.
  errorPage(ctx, { status: ctx.status, message }, { logged: true });
};
