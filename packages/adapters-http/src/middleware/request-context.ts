import { randomUUID } from 'node:crypto';
import type { Principal } from '@latchkey/domain';
import type { Next } from 'koa';
import type { Logger } from 'pino';
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

/** After a request during a database outage: a passing readiness probe ends it, any other may check. */
const duringOutage = (ctx: Ctx, outage: OutageLog): void => {
  if (ctx.path === '/readyz' && ctx.status === 200) outage.available();
  else outage.recheck();
};

/**
 * Takes the request id from a well-formed `X-Request-Id` or makes one, works out the client IP
 * and logs one line per request. The line has the path without its query string, so a
 * credential sent in the query never reaches the log.
 */
export const requestContext =
  (logger: Logger, trustProxy: number, outage: OutageLog) =>
  async (ctx: Ctx, next: Next): Promise<void> => {
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
    if (!logger.isLevelEnabled('info')) {
      await next();
      if (outage.ongoing) duringOutage(ctx, outage);
      return;
    }
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (outage.ongoing) duringOutage(ctx, outage);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: ctx.method,
          path: ctx.path,
          route: routeOf(ctx),
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          ip: ctx.state.clientIp,
        },
        'request',
      );
    }
  };
