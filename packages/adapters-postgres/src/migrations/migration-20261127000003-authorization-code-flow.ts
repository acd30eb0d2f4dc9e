import { Migration } from '@mikro-orm/migrations';

/**
 * The authorization code flow: pending consent requests, authorization codes and refresh tokens
 * (docs/http-api.md#token, #revocation, #credentials-at-rest).
 *
 * Codes and refresh tokens descend from a grant and die with it: revoking a grant is a few
 * updates (`PostgresGrantRepository.revoke`), and deleting one, its client or its user deletes
 * them through the foreign keys. A pending consent request belongs to the session that saw the
 * consent page, so signing out (deleting that session's key) discards it. A refresh token
 * outlives the client secret it was obtained with, unlinked (`on delete set null`), as access
 * tokens do.
 *
 * Every foreign key a cascade or a lookup follows has an index, and so does every `expires_at`
 * the cleanup deletes by. Constraint and index names are spelled out, as in the first migration.
 */
export class Migration20261127000003AuthorizationCodeFlow extends Migration {
  override up(): void {
    this.addSql(`
      create table oauth2_pending_authorizations (
        digest text constraint oauth2_pending_authorizations_pkey primary key,
        csrf_digest text not null,
        session_id uuid not null
          constraint oauth2_pending_authorizations_session_id_fkey references api_keys (id) on delete cascade,
        user_id uuid not null
          constraint oauth2_pending_authorizations_user_id_fkey references users (id) on delete cascade,
        client_id uuid not null
          constraint oauth2_pending_authorizations_client_id_fkey
          references oauth2_clients (id) on delete cascade,
        redirect_uri text not null,
        redirect_uri_sent boolean not null,
        scopes text[] not null default '{}',
        resource text not null,
        resource_requested boolean not null,
        code_challenge text not null,
        state text,
        created_at timestamptz not null,
        expires_at timestamptz not null
      )`);
    this.addSql(`
      create index oauth2_pending_authorizations_session_id_idx on oauth2_pending_authorizations (session_id)`);
    this.addSql(`
      create index oauth2_pending_authorizations_user_id_idx on oauth2_pending_authorizations (user_id)`);
    this.addSql(`
      create index oauth2_pending_authorizations_client_id_idx on oauth2_pending_authorizations (client_id)`);
    this.addSql(`
      create index oauth2_pending_authorizations_expires_at_idx on oauth2_pending_authorizations (expires_at)`);

    this.addSql(`
      create table oauth2_codes (
        id uuid primary key,
        digest text not null constraint oauth2_codes_digest_key unique,
        grant_id uuid not null
          constraint oauth2_codes_grant_id_fkey references oauth2_grants (id) on delete cascade,
        client_id uuid not null
          constraint oauth2_codes_client_id_fkey references oauth2_clients (id) on delete cascade,
        user_id uuid not null constraint oauth2_codes_user_id_fkey references users (id) on delete cascade,
        redirect_uri text not null,
        redirect_uri_sent boolean not null,
        scopes text[] not null default '{}',
        resource text not null,
        resource_requested boolean not null,
        code_challenge text not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        consumed_at timestamptz
      )`);
    this.addSql('create index oauth2_codes_grant_id_idx on oauth2_codes (grant_id)');
    this.addSql('create index oauth2_codes_client_id_idx on oauth2_codes (client_id)');
    this.addSql('create index oauth2_codes_user_id_idx on oauth2_codes (user_id)');
    this.addSql('create index oauth2_codes_expires_at_idx on oauth2_codes (expires_at)');

    this.addSql(`
      create table oauth2_refresh_tokens (
        id uuid primary key,
        digest text not null constraint oauth2_refresh_tokens_digest_key unique,
        grant_id uuid not null
          constraint oauth2_refresh_tokens_grant_id_fkey references oauth2_grants (id) on delete cascade,
        client_id uuid not null
          constraint oauth2_refresh_tokens_client_id_fkey references oauth2_clients (id) on delete cascade,
        user_id uuid not null
          constraint oauth2_refresh_tokens_user_id_fkey references users (id) on delete cascade,
        secret_id uuid
          constraint oauth2_refresh_tokens_secret_id_fkey
          references oauth2_client_secrets (id) on delete set null,
        scopes text[] not null default '{}',
        resource text not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        rotated_at timestamptz,
        grace_used boolean not null default false,
        revoked_at timestamptz
      )`);
    this.addSql('create index oauth2_refresh_tokens_grant_id_idx on oauth2_refresh_tokens (grant_id)');
    this.addSql('create index oauth2_refresh_tokens_client_id_idx on oauth2_refresh_tokens (client_id)');
    this.addSql('create index oauth2_refresh_tokens_user_id_idx on oauth2_refresh_tokens (user_id)');
    // Partial, as on api_keys: tokens of public clients have no secret.
    this.addSql(`
      create index oauth2_refresh_tokens_secret_id_idx
        on oauth2_refresh_tokens (secret_id) where secret_id is not null`);
    this.addSql('create index oauth2_refresh_tokens_expires_at_idx on oauth2_refresh_tokens (expires_at)');

    // `GrantRepository.deleteExpired`.
    this.addSql('create index oauth2_grants_expires_at_idx on oauth2_grants (expires_at)');
  }

  override down(): void {
    this.addSql('drop index if exists oauth2_grants_expires_at_idx');
    this.addSql('drop table if exists oauth2_refresh_tokens');
    this.addSql('drop table if exists oauth2_codes');
    this.addSql('drop table if exists oauth2_pending_authorizations');
  }
}
