import { Migration } from '@mikro-orm/migrations';

/**
 * `oauth2_clients.first_token_at`: when the client first completed a token request. docs/http-api.md#registration
 * deletes a dynamically registered client that completed none within 24 hours of registering;
 * until now that was judged by whether it had a grant, which a consent makes before any token
 * request.
 *
 * Existing clients are filled in from what their token requests left behind (access tokens,
 * refresh tokens, redeemed codes) and, so that an upgrade deletes nothing the old rule kept, from
 * their grants' creation as well: the earliest of these.
 */
export class Migration20261127000004ClientFirstToken extends Migration {
  override up(): void {
    this.addSql('alter table oauth2_clients add column first_token_at timestamptz');
    this.addSql(`
      update oauth2_clients c
         set first_token_at = least(
               (select min(k.created_at) from api_keys k where k.client_id = c.id),
               (select min(r.created_at) from oauth2_refresh_tokens r where r.client_id = c.id),
               (select min(o.consumed_at) from oauth2_codes o where o.client_id = c.id),
               (select min(g.created_at) from oauth2_grants g where g.client_id = c.id))`);
  }

  override down(): void {
    this.addSql('alter table oauth2_clients drop column if exists first_token_at');
  }
}
