import type { Clock } from '@latchkey/domain';
import { FixedWindowBudget } from './rate-limit.js';

/**
 * Token-endpoint throttling (docs/http-api.md#configuration): the per-IP budget is
 * `LATCHKEY_RATE_LIMIT_TOKEN` a minute; a client may spend ten times that across all its users'
 * addresses.
 */
export class RequestLimiter {
  private readonly perIp: FixedWindowBudget;
  private readonly perClient: FixedWindowBudget;

  constructor(perIpPerMinute: number, perClientPerMinute: number, clock: Clock) {
    this.perIp = new FixedWindowBudget(clock, perIpPerMinute);
    this.perClient = new FixedWindowBudget(clock, perClientPerMinute);
  }

  /** `undefined` when allowed, else seconds until a retry may succeed. */
  consume(ip: string, clientId?: string): number | undefined {
    const byIp = this.perIp.spend(ip);
    if (!byIp.allowed) return byIp.retryAfterSeconds;
    if (clientId === undefined) return undefined;
    const byClient = this.perClient.spend(clientId);
    return byClient.allowed ? undefined : byClient.retryAfterSeconds;
  }
}
