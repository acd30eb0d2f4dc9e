import { Migration } from '@mikro-orm/migrations';

/**
 * OpenID Connect Core §3.1.2.1 (docs/openid-connect.md): the `nonce` of an authorization request
 * and the time the user signed in, carried from the consent request to the code and into the
 * ID token. Null for plain OAuth requests and for rows made before this migration.
 */
export class Migration20261207000009OpenIdConnectTerms extends Migration {
  override up(): void {
    for (const table of ['oauth2_pending_authorizations', 'oauth2_codes']) {
      this.addSql(`alter table ${table} add column nonce text`);
      this.addSql(`alter table ${table} add column auth_time timestamptz`);
    }
  }

  override down(): void {
    for (const table of ['oauth2_pending_authorizations', 'oauth2_codes']) {
      this.addSql(`alter table ${table} drop column if exists auth_time`);
      this.addSql(`alter table ${table} drop column if exists nonce`);
    }
  }
}
