import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth2 clients, their secrets and grants, and the links from API keys to them (docs/http-api.md#apps, #token,
 * §7, §12).
 *
 * Deleting a client is one statement: the foreign keys cascade to its secrets, its grants and
 * every token issued to it (docs/http-api.md#apps, "Delete cascades"), and a token outlives the secret it
 * was obtained with, unlinked (`on delete set null`). Every foreign key a cascade or a lookup
 * follows has an index, so that a cascade does not scan the referencing table.
 *
 * Constraint and index names are spelled out, as in the first migration.
 */
export class Migration20261127000002OAuth2Clients extends Migration {
  override up(): void {
    // `name` compares byte-wise (collation "C") so that the list order is the same as the
    // in-memory adapter's JavaScript string comparison whatever the database's locale, and so
    // that the (name, id) indexes serve that order.
    this.addSql(`
      create table oauth2_clients (
        id uuid primary key,
        name text collate "C" not null,
        callback_url text not null,
        redirect_uris text[] not null default '{}',
        icon text not null default '',
        client_type text not null
          constraint oauth2_clients_client_type_check check (client_type in ('confidential', 'public')),
        dynamically_registered boolean not null default false,
        grant_types text[] not null default '{}',
        response_types text[] not null default '{}',
        token_endpoint_auth_method text not null
          constraint oauth2_clients_token_endpoint_auth_method_check
          check (token_endpoint_auth_method in ('client_secret_basic', 'client_secret_post', 'none')),
        scope text[],
        introspect_any boolean not null default false,
        metadata jsonb not null default '{}',
        registration_token_digest text constraint oauth2_clients_registration_token_digest_key unique,
        created_by uuid constraint oauth2_clients_created_by_fkey references users (id) on delete set null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    // `ClientRepository.list` pages in this order, with or without the dynamically_registered
    // filter; the flag alone would be too coarse an index to be worth having.
    this.addSql('create index oauth2_clients_name_id_idx on oauth2_clients (name, id)');
    this.addSql(`
      create index oauth2_clients_dynamically_registered_name_id_idx
        on oauth2_clients (dynamically_registered, name, id)`);
    this.addSql('create index oauth2_clients_created_by_idx on oauth2_clients (created_by)');

    this.addSql(`
      create table oauth2_client_secrets (
        id uuid primary key,
        client_id uuid not null
          constraint oauth2_client_secrets_client_id_fkey references oauth2_clients (id) on delete cascade,
        digest text not null constraint oauth2_client_secrets_digest_key unique,
        display_suffix text not null,
        created_at timestamptz not null,
        last_used_at timestamptz
      )`);
    // `listForClient` order; also serves the cascade from oauth2_clients.
    this.addSql(`
      create index oauth2_client_secrets_client_id_created_at_id_idx
        on oauth2_client_secrets (client_id, created_at, id)`);

    this.addSql(`
      create table oauth2_grants (
        id uuid primary key,
        client_id uuid not null
          constraint oauth2_grants_client_id_fkey references oauth2_clients (id) on delete cascade,
        user_id uuid not null constraint oauth2_grants_user_id_fkey references users (id) on delete cascade,
        scopes text[] not null default '{}',
        resource text not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz
      )`);
    // `listGrantedTo` and the cascade from users; then the cascade from oauth2_clients.
    this.addSql('create index oauth2_grants_user_id_client_id_idx on oauth2_grants (user_id, client_id)');
    this.addSql('create index oauth2_grants_client_id_idx on oauth2_grants (client_id)');

    // Until now nothing could issue a token to a client, and there was no table for these
    // columns to point at: a value here would name a client or grant that does not exist, which
    // the new foreign keys refuse, and which the cascade would have removed had it existed.
    this.addSql('delete from api_keys where client_id is not null or grant_id is not null');
    this.addSql(`
      alter table api_keys
        alter column client_id type uuid using client_id::uuid,
        alter column grant_id type uuid using grant_id::uuid,
        add column secret_id uuid,
        add constraint api_keys_client_id_fkey
          foreign key (client_id) references oauth2_clients (id) on delete cascade,
        add constraint api_keys_grant_id_fkey
          foreign key (grant_id) references oauth2_grants (id) on delete cascade,
        add constraint api_keys_secret_id_fkey
          foreign key (secret_id) references oauth2_client_secrets (id) on delete set null`);
    // Partial: session keys, the bulk of the table, have none of these links. A lookup or a
    // cascade by `= value` implies `is not null`, so the planner uses them.
    this.addSql('create index api_keys_client_id_idx on api_keys (client_id) where client_id is not null');
    this.addSql('create index api_keys_grant_id_idx on api_keys (grant_id) where grant_id is not null');
    this.addSql('create index api_keys_secret_id_idx on api_keys (secret_id) where secret_id is not null');
  }

  override down(): void {
    this.addSql('drop index if exists api_keys_secret_id_idx');
    this.addSql('drop index if exists api_keys_grant_id_idx');
    this.addSql('drop index if exists api_keys_client_id_idx');
    this.addSql(`
      alter table api_keys
        drop constraint if exists api_keys_secret_id_fkey,
        drop constraint if exists api_keys_grant_id_fkey,
        drop constraint if exists api_keys_client_id_fkey,
        drop column if exists secret_id,
        alter column client_id type text using client_id::text,
        alter column grant_id type text using grant_id::text`);
    this.addSql('drop table if exists oauth2_grants');
    this.addSql('drop table if exists oauth2_client_secrets');
    this.addSql('drop table if exists oauth2_clients');
  }
}
