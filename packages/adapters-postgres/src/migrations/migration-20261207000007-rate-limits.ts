import { Migration } from '@mikro-orm/migrations';

/**
 * The rate limits' windows, shared by every instance on one PostgreSQL server
 * (docs/security.md#rate-limits): one row per key, written by one upsert per spend, deleted by the
 * maintenance timer once its window has ended. No index beyond the key: every spend finds its row
 * by key, and the purge every ten minutes reads the table once.
 */
export class Migration20261207000007RateLimits extends Migration {
  override up(): void {
    this.addSql(`create table rate_limits (
      key text primary key,
      spent integer not null,
      reset_at timestamptz not null
    )`);
  }

  override down(): void {
    this.addSql('drop table if exists rate_limits');
  }
}
