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

export const securityHeaders = (): ((ctx: Ctx, next: Next) => Promise<unknown>) => {
  const headers = helmetHeaders();
  return (ctx, next) => {
    const res = ctx.res;
    for (const [name, value] of headers) res.setHeader(name, value);
    return next();
  };
};

/** Every `/oauth2/*` answer, errors included, is uncacheable (CONTRACT §2). */
export const noStoreForOAuth = (ctx: Ctx, next: Next): Promise<unknown> => {
  if (ctx.path.startsWith('/oauth2/')) {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
  }
  return next();
};
