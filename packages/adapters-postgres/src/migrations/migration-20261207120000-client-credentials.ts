import { Migration } from '@mikro-orm/migrations';

/**
 * The client credentials grant (RFC 6749 §4.4, docs/http-api.md#client-credentials-grant): the
 * scopes an owner allows an app to get that way (the grant itself is enabled by
 * `client_credentials` in `grant_types`), and access tokens that act for their client alone, with
 * no user. Only such a token may go without a user: an access token of a client, with no grant.
 */
export class Migration20261207120000ClientCredentials extends Migration {
  override up(): void {
    this.addSql(
      `alter table oauth2_clients add column client_credentials_scope text[] not null default '{}'`,
    );
    this.addSql(`
      alter table api_keys
        alter column user_id drop not null,
        add constraint api_keys_user_id_check
          check (user_id is not null or (kind = 'access' and client_id is not null and grant_id is null))`);
  }

  override down(): void {
    this.addSql('delete from api_keys where user_id is null');
    this.addSql(`
      alter table api_keys
        drop constraint if exists api_keys_user_id_check,
        alter column user_id set not null`);
    this.addSql(`
      update oauth2_clients set grant_types = array_remove(grant_types, 'client_credentials')
       where 'client_credentials' = any (grant_types)`);
    this.addSql('alter table oauth2_clients drop column if exists client_credentials_scope');
  }
}
