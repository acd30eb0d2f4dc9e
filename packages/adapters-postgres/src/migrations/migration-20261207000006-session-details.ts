import { Migration } from '@mikro-orm/migrations';

/**
 * What the web console shows of a session (docs/http-api.md#web-console): the user agent and IP
 * address it signed in from, and when it was last used (recorded at most once a minute). Null for
 * access tokens and for sessions made before this migration.
 */
export class Migration20261207000006SessionDetails extends Migration {
  override up(): void {
    this.addSql('alter table api_keys add column user_agent text');
    this.addSql('alter table api_keys add column ip text');
    this.addSql('alter table api_keys add column last_used_at timestamptz');
  }

  override down(): void {
    this.addSql('alter table api_keys drop column if exists last_used_at');
    this.addSql('alter table api_keys drop column if exists ip');
    this.addSql('alter table api_keys drop column if exists user_agent');
  }
}
