import { Migration } from '@mikro-orm/migrations';

/**
 * Users, API keys and the audit log (docs/http-api.md#users-and-sessions, #audit-log, #credentials-at-rest).
 *
 * Constraint and index names are part of the adapter's contract: `users.ts` tells a duplicate
 * email from a duplicate username by the name of the violated constraint.
 */
export class Migration20261127000001Init extends Migration {
  override up(): void {
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null,
        username text not null,
        name text not null default '',
        role text not null constraint users_role_check check (role in ('owner', 'member')),
        password_hash text not null,
        created_at timestamptz not null
      )`);
    // Created before the username constraint on purpose: PostgreSQL checks unique indexes in
    // creation order, so a user whose email and username are both taken is reported as a
    // duplicate email, as the in-memory adapter does.
    this.addSql('create unique index users_email_lower_key on users (lower(email))');
    this.addSql('alter table users add constraint users_username_key unique (username)');
    // `UserRepository.list` pages in this order.
    this.addSql('create index users_created_at_id_idx on users (created_at, id)');

    this.addSql(`
      create table api_keys (
        id uuid primary key,
        kind text not null constraint api_keys_kind_check check (kind in ('session', 'access')),
        digest text not null constraint api_keys_digest_key unique,
        user_id uuid not null constraint api_keys_user_id_fkey references users (id) on delete cascade,
        scopes text[] not null default '{}',
        audience text,
        client_id text,
        grant_id text,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz
      )`);
    // The cleanup job deletes by expiry; the cascade from users looks keys up by owner.
    this.addSql('create index api_keys_expires_at_idx on api_keys (expires_at)');
    this.addSql('create index api_keys_user_id_idx on api_keys (user_id)');

    // No foreign key on actor_id: the trail of a deleted user must survive them (docs/http-api.md#audit-log).
    this.addSql(`
      create table audit_logs (
        id uuid primary key,
        time timestamptz not null,
        action text not null,
        resource_type text not null,
        resource_id text not null,
        actor_id uuid,
        ip text not null,
        user_agent text not null,
        status integer not null,
        diff jsonb not null default '{}'
      )`);
    this.addSql('create index audit_logs_time_id_idx on audit_logs (time desc, id desc)');
    this.addSql('create index audit_logs_resource_type_idx on audit_logs (resource_type)');
    this.addSql('create index audit_logs_action_idx on audit_logs (action)');
  }

  override down(): void {
    this.addSql('drop table if exists audit_logs');
    this.addSql('drop table if exists api_keys');
    this.addSql('drop table if exists users');
  }
}
