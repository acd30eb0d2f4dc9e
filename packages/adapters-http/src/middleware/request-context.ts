import { randomUUID } from 'node:crypto';
import type { Next } from 'koa';
import type { Logger } from 'pino';
import type { Ctx } from '../state.js';

/**
 * The client address: the socket's, or with `trustProxy` = N > 0 the N-th address from the right
 * of `X-Forwarded-For` (CONTRACT §13). Addresses beyond the trusted hops are client-controlled.
 */
export const clientIp = (
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustProxy: number,
): string => {
  const socket = (socketAddress ?? '').replace(/^::ffff:/, '');
  if (trustProxy <= 0 || forwardedFor === undefined) return socket;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return hops[hops.length - trustProxy]?.replace(/^::ffff:/, '') ?? socket;
};

/**
 * Assigns a request id, works out the client IP and logs one line per request. The line has the
 * path without its query string, so a credential sent in the query never reaches the log.
 */
export const requestContext =
  (logger: Logger, trustProxy: number) =>
  async (ctx: Ctx, next: Next): Promise<void> => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.clientIp = clientIp(
      ctx.req.socket.remoteAddress,
      ctx.get('X-Forwarded-For') || undefined,
      trustProxy,
    );
    // The per-request child logger is made only when something logs through it.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (child ??= logger.child({ requestId })),
      enumerable: true,
      configurable: true,
    });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled('info')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info(
          {
            requestId,
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms: Math.round(ms * 10) / 10,
            ip: ctx.state.clientIp,
          },
          'request',
        );
      }
    }
  };
