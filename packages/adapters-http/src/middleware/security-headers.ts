import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import type { Next } from 'koa';
import type { Ctx } from '../state.js';

/**
 * Security headers on every answer (docs/http-api.md#conventions): no framing, no referrer, a tight CSP.
 * `form-action` is left out on purpose: Chrome applies it to the redirect after the consent POST.
 */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      // The console's one stylesheet and one script are static files (docs/http-api.md#web-console):
      // no inline style or script runs.
      styleSrc: ["'self'"],
      scriptSrc: ["'self'"],
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
 * The part of helmet's set that protects any answer, JSON included (OWASP's REST security
 * headers): no framing, no sniffing, no referrer, a CSP that allows nothing to run. The rest of
 * helmet's set (cross-origin opener policy, origin-agent cluster, DNS prefetch, download and
 * cross-domain policy, the legacy XSS filter) only means something to a document a browser
 * renders, so it goes on the HTML pages alone (`pageHeaders`): each header costs every answer
 * its serialisation and validation, and the token endpoints answer thousands of times a second.
 */
const API_HEADER_NAMES = new Set([
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
]);

const splitHeaders = () => {
  const all = helmetHeaders();
  return {
    api: all.filter(([name]) => API_HEADER_NAMES.has(name.toLowerCase())),
    page: all.filter(([name]) => !API_HEADER_NAMES.has(name.toLowerCase())),
  };
};

const HEADERS = splitHeaders();

/** Adds helmet's document-only headers to an HTML answer (docs/http-api.md#conventions pages). */
export const setPageHeaders = (res: ServerResponse): void => {
  for (const [name, value] of HEADERS.page) res.setHeader(name, value);
};

const setNoStore = (res: ServerResponse): void => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
};

/**
 * Route middleware for answers that carry a credential outside `/oauth2/*` (a session token, a
 * client secret): RFC 6749 §5.1 asks the same of the token endpoint, for the same reason, and the
 * header is set before the route runs so that its errors carry it too.
 */
export const noStore = (ctx: Ctx, next: Next): Promise<unknown> => {
  setNoStore(ctx.res);
  return next();
};

/**
 * The per-request header policy: the API security headers on every answer, and on every
 * `/oauth2/*` answer, errors included, `Cache-Control: no-store` and `Pragma: no-cache`
 * (docs/http-api.md#conventions). Set before the route runs, so every answer has them.
 */
export const setSecurityHeaders = (ctx: Ctx): void => {
  const res = ctx.res;
  for (const [name, value] of HEADERS.api) res.setHeader(name, value);
  if (ctx.path.startsWith('/oauth2/')) setNoStore(res);
};
