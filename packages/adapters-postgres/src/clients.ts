import type {
  AbandonedClientCriteria,
  ClientId,
  ClientQuery,
  ClientRepository,
  ClientSecret,
  ClientSecretId,
  ClientSecretRepository,
  CredentialDigest,
  OAuthClient,
  Page,
  SecretWithClient,
  UserId,
} from '@latchkey/domain';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ClientSchema, ClientSecretSchema, type ClientRow, type ClientSecretRow } from './entities.js';
import { toClient, toClientRow, toClientSecret, toClientSecretRow } from './mappers.js';
import { findOne } from './find-one.js';
import { query } from './sql.js';
import { guarded } from './storage-errors.js';
import { FIND_SECRET_WITH_CLIENT, toSecretWithClient } from './token-path.js';
import { isUuid } from './uuid.js';

/**
 * Name, then id, byte-wise: the in-memory adapter compares with JavaScript's `<`. The column is
 * already collated "C" (see the migration); saying so here keeps the order if it ever is not.
 * Built per query: MikroORM consumes a `raw` fragment the first time it renders it.
 */
const listOrder = () => [
  { [raw((alias) => `${alias}.name collate "C"`)]: 'asc' as const },
  { id: 'asc' as const },
];

/**
 * OAuth2 clients in `oauth2_clients` (docs/http-api.md#apps, #registration). Each method is one statement; deleting a
 * client relies on the foreign keys to remove its secrets, grants and tokens with it.
 */
export class PostgresClientRepository implements ClientRepository {
  constructor(private readonly em: EntityManager) {}

  insert(client: OAuthClient): Promise<void> {
    return guarded(async () => {
      await this.em.insert(ClientSchema, toClientRow(client));
    });
  }

  /**
   * Every column but the id and `first_token_at` is replaced; absent optional fields are cleared
   * (written as null). `first_token_at` is `recordFirstToken`'s alone, so that an update made
   * from a read older than the first token request does not clear it.
   */
  update(client: OAuthClient): Promise<boolean> {
    if (!isUuid(client.id)) return Promise.resolve(false);
    const { id, firstTokenAt: _recordedApart, ...columns } = toClientRow(client);
    return guarded(async () => (await this.em.nativeUpdate(ClientSchema, { id }, columns)) > 0);
  }

  recordFirstToken(id: ClientId, at: Date): Promise<void> {
    if (!isUuid(id)) return Promise.resolve();
    return guarded(async () => {
      await this.em.nativeUpdate(ClientSchema, { id, firstTokenAt: null }, { firstTokenAt: at });
    });
  }

  /** One statement: the cascades remove its secrets, grants and tokens (docs/http-api.md#apps). */
  delete(id: ClientId): Promise<boolean> {
    if (!isUuid(id)) return Promise.resolve(false);
    return guarded(async () => (await this.em.nativeDelete(ClientSchema, { id })) > 0);
  }

  findById(id: ClientId): Promise<OAuthClient | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return guarded(async () => {
      const row = await findOne(this.em, ClientSchema, 'id', id);
      return row ? toClient(row) : undefined;
    });
  }

  list(query: ClientQuery): Promise<OAuthClient[]> {
    return guarded(async () => {
      const rows = await this.em
        .createQueryBuilder(ClientSchema)
        .select('*')
        .where(
          query.dynamicallyRegistered === undefined
            ? {}
            : { dynamicallyRegistered: query.dynamicallyRegistered },
        )
        .orderBy(listOrder())
        .limit(query.limit)
        .offset(query.offset)
        .execute<ClientRow[]>('all');
      return rows.map(toClient);
    });
  }

  /**
   * A semi-join rather than a join, so that a client with several live grants appears once.
   * "Live" as `isGrantLive`: not revoked and expiring strictly after `now`.
   */
  /** One statement; the cascades remove the clients' secrets, grants, codes and tokens. */
  deleteAbandoned(criteria: AbandonedClientCriteria): Promise<OAuthClient[]> {
    return guarded(async () => {
      const rows = await this.em.execute<Record<string, unknown>[]>(
        `delete from oauth2_clients c
          where c.dynamically_registered
            and (
              (c.first_token_at is null and c.created_at < ?)
              or (
                c.first_token_at is not null
                and not exists (
                  select 1 from oauth2_grants g
                   where g.client_id = c.id and g.revoked_at is null and g.expires_at > ?)
                and coalesce(
                      (select max(coalesce(g.revoked_at, g.expires_at)) from oauth2_grants g where g.client_id = c.id),
                      c.first_token_at) < ?
              )
            )
          returning c.*`,
        [criteria.registeredBefore, criteria.now, criteria.idleSince],
      );
      return rows.map((row) => toClient(this.em.map(ClientSchema, row)));
    });
  }

  listGrantedTo(userId: UserId, now: Date, page: Page): Promise<OAuthClient[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return guarded(async () => {
      const rows = await this.em
        .createQueryBuilder(ClientSchema, 'c')
        .select('*')
        .where(
          `exists (select 1 from oauth2_grants g
            where g.client_id = c.id and g.user_id = ? and g.revoked_at is null and g.expires_at > ?)`,
          [userId, now],
        )
        .orderBy(listOrder())
        .limit(page.limit)
        .offset(page.offset)
        .execute<ClientRow[]>('all');
      return rows.map(toClient);
    });
  }
}

/**
 * Client secrets in `oauth2_client_secrets`, stored and looked up by SHA-256 digest through the
 * unique index `oauth2_client_secrets_digest_key` (docs/http-api.md#credentials-at-rest).
 */
export class PostgresClientSecretRepository implements ClientSecretRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts only while the client exists, holding a key-share lock on it, so that a concurrent
   * deletion of the client makes this `client_missing` rather than a foreign-key error. A digest
   * already stored is refused by the database.
   */
  insert(secret: ClientSecret): Promise<'inserted' | 'client_missing'> {
    if (!isUuid(secret.clientId)) return Promise.resolve('client_missing');
    const row = toClientSecretRow(secret);
    return guarded(async () => {
      const rows = await this.em.execute<{ id: string }[]>(
        `insert into oauth2_client_secrets (id, client_id, digest, display_suffix, created_at, last_used_at)
         select ?, ?, ?, ?, ?, ?
         where exists (select 1 from oauth2_clients where id = ? for key share)
         returning id`,
        [
          row.id,
          row.clientId,
          row.digest,
          row.displaySuffix,
          row.createdAt,
          row.lastUsedAt ?? null,
          row.clientId,
        ],
      );
      return rows.length === 1 ? 'inserted' : 'client_missing';
    });
  }

  listForClient(clientId: ClientId): Promise<ClientSecret[]> {
    if (!isUuid(clientId)) return Promise.resolve([]);
    return guarded(async () => {
      const rows = await this.em
        .createQueryBuilder(ClientSecretSchema)
        .select('*')
        .where({ clientId })
        .orderBy([{ createdAt: 'asc' }, { id: 'asc' }])
        .execute<ClientSecretRow[]>('all');
      return rows.map(toClientSecret);
    });
  }

  /** One statement, through `pg` directly: it is on every confidential token request. */
  findWithClient(digest: CredentialDigest): Promise<SecretWithClient | undefined> {
    return guarded(async () => {
      const [raw] = await query<Record<string, unknown>>(this.em, FIND_SECRET_WITH_CLIENT, [digest]);
      return raw === undefined ? undefined : toSecretWithClient(raw);
    });
  }

  findByDigest(digest: CredentialDigest): Promise<ClientSecret | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, ClientSecretSchema, 'digest', digest);
      return row ? toClientSecret(row) : undefined;
    });
  }

  /**
   * Scoped to the client in the statement itself, so another client's secret id deletes nothing.
   * Tokens obtained with the secret live on: `api_keys.secret_id` is set null by its foreign key.
   */
  delete(clientId: ClientId, id: ClientSecretId): Promise<boolean> {
    if (!isUuid(clientId) || !isUuid(id)) return Promise.resolve(false);
    return guarded(async () => (await this.em.nativeDelete(ClientSecretSchema, { id, clientId })) > 0);
  }

  /**
   * One conditional update: a no-op unless the stored time is absent or at least a minute old,
   * the same rule as in memory (`at - last >= 60 s`). It runs outside the token transaction
   * (docs/http-api.md#apps), so a concurrent caller waits only for this autocommit, then re-checks the
   * condition against the new row and does nothing.
   */
  recordUse(id: ClientSecretId, at: Date): Promise<void> {
    if (!isUuid(id)) return Promise.resolve();
    return guarded(async () => {
      await this.em.execute(
        `update oauth2_client_secrets set last_used_at = ?
          where id = ? and (last_used_at is null or last_used_at <= ?::timestamptz - interval '1 minute')`,
        [at, id, at],
      );
    });
  }
}
