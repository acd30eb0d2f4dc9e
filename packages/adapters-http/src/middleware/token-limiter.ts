import type { Budget, BudgetFactory } from './rate-limit.js';

/**
 * Token-endpoint throttling (docs/http-api.md#configuration): the per-IP budget is
 * `LATCHKEY_RATE_LIMIT_TOKEN` a minute; a client may spend ten times that across all its users'
 * addresses.
 */
export class RequestLimiter {
  private readonly perIp: Budget;
  private readonly perClient: Budget;

  constructor(perIpPerMinute: number, perClientPerMinute: number, budgets: BudgetFactory) {
    this.perIp = budgets('token-ip', perIpPerMinute);
    this.perClient = budgets('token-client', perClientPerMinute);
  }

  /** `undefined` when allowed, else seconds until a retry may succeed. */
  async consume(ip: string, clientId?: string): Promise<number | undefined> {
    const byIp = await this.perIp.spend(ip);
    if (!byIp.allowed) return byIp.retryAfterSeconds;
    if (clientId === undefined) return undefined;
    const byClient = await this.perClient.spend(clientId);
    return byClient.allowed ? undefined : byClient.retryAfterSeconds;
  }
}
