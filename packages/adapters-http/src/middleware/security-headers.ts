import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import type { Next } from 'koa';
import type { Ctx } from '../state.js';

/**
 * Security headers on every answer (CONTRACT §2): no framing, no referrer, a tight CSP.
 * `form-action` is left out on purpose: Chrome applies it to the redirect after the consent POST.
 */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'https:', 'data:'],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false,
  crossOriginResourcePolicy: false,
};

/**
 * The headers helmet sets with these options. None of them depends on the request (no CSP
 * nonces), so they are worked out once at start-up instead of by helmet on every request.
 */
export const helmetHeaders = (): ReadonlyArray<readonly [string, string]> => {
  const headers: Array<readonly [string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.push([name, String(value)]);
    },
    removeHeader: () => undefined,
  };
  const outcome = { done: false };
  helmet(HELMET_OPTIONS)(
    new IncomingMessage(new Socket()),
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      outcome.done = error === undefined;
    },
  );
  if (!outcome.done || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return headers;
};

/**
 * The per-request header policy in one middleware: helmet's headers on every answer, and on every
 * `/oauth2/*` answer, errors included, `Cache-Control: no-store` and `Pragma: no-cache`
 * (CONTRACT §2). Set before the route runs, so every answer has them.
 */
export const securityHeaders = (): ((ctx: Ctx, next: Next) => Promise<unknown>) => {
  const headers = helmetHeaders();
  return (ctx, next) => {
    const res = ctx.res;
    for (const [name, value] of headers) res.setHeader(name, value);
    if (ctx.path.startsWith('/oauth2/')) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Pragma', 'no-cache');
    }
    return next();
  };
};
