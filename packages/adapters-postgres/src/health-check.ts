import type { HealthCheck } from '@latchkey/domain';
import type { Sql } from './gateway.js';

const PING = { text: 'select 1' };

/**
 * `select 1` for `/readyz` (docs/http-api.md#routes): `false` when the database does not answer within
 * `timeoutMs`, never a rejection. The timeout matters more than the query: with a pool of one
 * connection, a ping queued behind a long transaction would otherwise hold the probe open until
 * the load balancer gives up on its own.
 */
export class PostgresHealthCheck implements HealthCheck {
  constructor(
    private readonly sql: Sql,
    private readonly timeoutMs: number,
  ) {}

  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const answered = this.sql.count(PING).then(
      () => true,
      () => false,
    );
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
