import { randomUUID } from 'node:crypto';
import type { CredentialReplay, OAuthErrorCode, Principal, TokenGrant } from '@latchkey/domain';
import type { Logger } from 'pino';
import type { RateLimiter, RequestObserver } from '../observer.js';
import type { Ctx, RequestState } from '../state.js';
import type { OutageLog } from './outage.js';

const IPV4_MAPPED = '::ffff:';
const unmapped = (address: string): string =>
  address.startsWith(IPV4_MAPPED) ? address.slice(IPV4_MAPPED.length) : address;

/**
 * The client address: the socket's, or with `trustProxy` = N > 0 the N-th address from the right
 * of `X-Forwarded-For` (docs/http-api.md#configuration). Addresses beyond the trusted hops are client-controlled.
 */
export const clientIp = (
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustProxy: number,
): string => {
  const socket = unmapped(socketAddress ?? '');
  if (trustProxy <= 0 || forwardedFor === undefined) return socket;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const hop = hops[hops.length - trustProxy];
  return hop === undefined ? socket : unmapped(hop);
};

/**
 * An incoming `X-Request-Id` that is kept (set by a proxy or the client, so that one id follows
 * the request through every log): 1 to 128 characters that need no escaping in a log or header.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const requestIdOf = (incoming: string | string[] | undefined): string =>
  typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();

/** The route template that matched (@koa/router sets it), which groups requests in the log. */
const routeOf = (ctx: Ctx): string | undefined => {
  const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof route === 'string' ? route : undefined;
};

/** The request's state; the child logger is made only when something logs through it. */
class State implements RequestState {
  principal?: Principal;
  clientId?: string;
  oauthError?: OAuthErrorCode;
  replay?: CredentialReplay;
  issuedGrant?: TokenGrant['grantType'];
  rateLimitedBy?: RateLimiter;
  registeredClient?: boolean;
  #child: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    readonly requestId: string,
    readonly clientIp: string,
    readonly outage: OutageLog,
  ) {}

  get log(): Logger {
    return (this.#child ??= this.logger.child({ requestId: this.requestId }));
  }
}

/** The health probes, polled every few seconds by orchestrators: their lines are logged at debug. */
const PROBES = new Set(['/healthz', '/readyz']);

/** After a request during a database outage: a passing readiness probe ends it, any other may check. */
const duringOutage = (ctx: Ctx, outage: OutageLog): void => {
  if (ctx.path === '/readyz' && ctx.status === 200) outage.available();
  else outage.recheck();
};

export interface RequestContextOptions {
  readonly logger: Logger;
  readonly trustProxy: number;
  readonly outage: OutageLog;
  readonly observe?: RequestObserver | undefined;
}

/**
 * The start of every request: takes the request id from a well-formed `X-Request-Id` or makes
 * one, works out the client IP, and sets the request's state. Returns the start time when the
 * request will be logged or observed (`closeRequest` needs it), else `undefined`.
 */
export const openRequest = (ctx: Ctx, options: RequestContextOptions): bigint | undefined => {
  const { logger, trustProxy, outage, observe } = options;
  const requestId = requestIdOf(ctx.req.headers['x-request-id']);
  // `X-Forwarded-For` is only read when a proxy is trusted: otherwise it cannot matter.
  const forwardedFor = trustProxy > 0 ? ctx.get('X-Forwarded-For') || undefined : undefined;
  ctx.state = new State(
    logger,
    requestId,
    clientIp(ctx.req.socket.remoteAddress, forwardedFor, trustProxy),
    outage,
  );
  ctx.res.setHeader('X-Request-Id', requestId);
  // Debug lines (the probes') are only written when info lines are too.
  return observe === undefined && !logger.isLevelEnabled('info') ? undefined : process.hrtime.bigint();
};

/**
 * The end of every request, answered or failed: ends or re-checks a database outage, logs one
 * line (docs/metrics.md#request-logs) and hands the request to the metrics, if any. The line has
 * the path without its query string, so a credential sent in the query never reaches the log;
 * the health probes' lines are at debug level.
 */
export const closeRequest = (ctx: Ctx, options: RequestContextOptions, started: bigint | undefined): void => {
  const { logger, outage, observe } = options;
  if (outage.ongoing) duringOutage(ctx, outage);
  if (started === undefined) return;
  const state = ctx.state;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const route = routeOf(ctx);
  observe?.(route, ctx.method, ctx.status, ms / 1000, state);
  const level = route !== undefined && PROBES.has(route) ? 'debug' : 'info';
  if (logger.isLevelEnabled(level))
    logger[level](
      {
        requestId: state.requestId,
        method: ctx.method,
        path: ctx.path,
        route,
        status: ctx.status,
        ms: Math.round(ms * 10) / 10,
        ip: state.clientIp,
        clientId: state.clientId,
      },
      'request',
    );
};
