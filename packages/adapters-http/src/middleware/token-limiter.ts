import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Token-endpoint throttling (issue: per client and per IP, generous, configurable): the per-IP
 * budget is `LATCHKEY_RATE_LIMIT_TOKEN` a minute; a client may spend ten times that across all
 * its users' addresses.
 */
export class RequestLimiter {
  private readonly limiters: {
    readonly limiter: RateLimiterMemory;
    readonly key: (ip: string, clientId?: string) => string | undefined;
  }[];

  constructor(perIpPerMinute: number, perClientPerMinute: number) {
    this.limiters = [];
    if (perIpPerMinute > 0) {
      this.limiters.push({
        limiter: new RateLimiterMemory({ keyPrefix: 'ip', points: perIpPerMinute, duration: 60 }),
        key: (ip) => ip,
      });
    }
    if (perClientPerMinute > 0) {
      this.limiters.push({
        limiter: new RateLimiterMemory({ keyPrefix: 'client', points: perClientPerMinute, duration: 60 }),
        key: (_ip, clientId) => clientId,
      });
    }
  }

  /** `undefined` when allowed, else seconds until a retry may succeed. */
  async consume(ip: string, clientId?: string): Promise<number | undefined> {
    for (const { limiter, key } of this.limiters) {
      const k = key(ip, clientId);
      if (k === undefined) continue;
      try {
        await limiter.consume(k);
      } catch (rejection) {
        return rejection instanceof RateLimiterRes
          ? Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))
          : 60;
      }
    }
    return undefined;
  }
}
