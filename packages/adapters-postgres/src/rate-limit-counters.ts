import type { RateLimitCounters, RateWindow } from '@latchkey/domain';
import type { Raw, Sql, Statement } from './gateway.js';

/**
 * `$1` key, `$2` points, `$3` the end of a window opened now, `$4` now. One statement, so one
 * round trip and atomic: concurrent spends of one key from any number of instances queue on its
 * row, and each sees the others' points. A window that ended is replaced by a new one.
 *
 * Its transaction (the statement's own) commits asynchronously (`synchronous_commit` off, for
 * this transaction only): the spend does not wait for its WAL to reach the disk, which makes it
 * several times faster (bench/rate-limit-cost.mjs). A crash of the database can then lose the
 * last fraction of a second of spends, never corrupt anything: a price a rate limit can pay.
 */
const ADD: Statement = {
  name: 'latchkey_rate_limit_add',
  text: `
    insert into rate_limits as r (key, spent, reset_at)
    select $1, $2, $3::timestamptz where set_config('synchronous_commit', 'off', true) is not null
    on conflict (key) do update
       set spent = case when r.reset_at > $4::timestamptz then r.spent + excluded.spent else excluded.spent end,
           reset_at = case when r.reset_at > $4::timestamptz then r.reset_at else excluded.reset_at end
    returning spent, (extract(epoch from reset_at) * 1000)::float8 as reset_ms`,
};

const PEEK: Statement = {
  name: 'latchkey_rate_limit_peek',
  text: `
    select spent, (extract(epoch from reset_at) * 1000)::float8 as reset_ms
      from rate_limits where key = $1 and reset_at > $2::timestamptz`,
};

const DELETE_EXPIRED: Statement = { text: 'delete from rate_limits where reset_at <= $1::timestamptz' };

const windowAt =
  (now: Date) =>
  (raw: Raw): RateWindow => ({
    spent: raw.spent as number,
    msBeforeReset: Math.max(0, Math.round((raw.reset_ms as number) - now.getTime())),
  });

/**
 * The rate limits' windows in the `rate_limits` table, shared by every instance on the database
 * (docs/security.md#rate-limits). Through the SQL gateway, so on the storage's one pool; a spend
 * is one prepared upsert.
 */
export class PostgresRateLimitCounters implements RateLimitCounters {
  constructor(private readonly sql: Sql) {}

  async add(key: string, points: number, windowMs: number, now: Date): Promise<RateWindow> {
    const window = await this.sql.first(
      ADD,
      [key, points, new Date(now.getTime() + windowMs), now],
      windowAt(now),
    );
    if (window === undefined) throw new Error('the rate limit upsert returned no row');
    // A spend that read the clock just before another opened the window sees a little more than
    // a window left; never report more than one.
    return { spent: window.spent, msBeforeReset: Math.min(window.msBeforeReset, windowMs) };
  }

  peek(key: string, now: Date): Promise<RateWindow | undefined> {
    return this.sql.first(PEEK, [key, now], windowAt(now));
  }

  deleteExpired(now: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED, [now]);
  }
}
