import type { Next } from 'koa';
import type { Ctx } from '../state.js';
import { rewriteForBrowser } from './browser-errors.js';
import { corsPolicy } from './cors.js';
import { refuseLongLocation, writeEscapedError } from './errors.js';
import { closeRequest, openRequest, type RequestContextOptions } from './request-context.js';
import { setSecurityHeaders } from './security-headers.js';

export interface EdgeOptions extends RequestContextOptions {
  /** The MCP endpoint's path, whose CORS policy allows `DELETE` too. */
  readonly mcpPath: string;
}

/**
 * What every request passes through before and after its route, in one middleware rather than
 * five (each Koa middleware costs every request an async frame and a dispatch), outermost first:
 *
 * 1. the request context: request id, client IP, the request's log line and metrics
 *    (`openRequest` / `closeRequest`);
 * 2. browser error pages: an API error on a page's path becomes an HTML page for a browser
 *    (`rewriteForBrowser`);
 * 3. the error fence: whatever a route throws becomes an API or OAuth error, and an overlong
 *    `Location` a 400 (`writeEscapedError`, `refuseLongLocation`);
 * 4. the security headers, and `no-store` on `/oauth2/*` (`setSecurityHeaders`);
 * 5. CORS where docs/http-api.md#metadata puts it (`corsPolicy`), around the router.
 */
export const edge = (options: EdgeOptions): ((ctx: Ctx, next: Next) => Promise<void>) => {
  const cors = corsPolicy(options.mcpPath);
  return async (ctx, next) => {
    const started = openRequest(ctx, options);
    try {
      try {
        setSecurityHeaders(ctx);
        await cors(ctx, next);
        refuseLongLocation(ctx);
      } catch (error) {
        writeEscapedError(ctx, error);
      }
      rewriteForBrowser(ctx);
    } finally {
      closeRequest(ctx, options, started);
    }
  };
};
