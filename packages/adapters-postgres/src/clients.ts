import type {
  AbandonedClientCriteria,
  AuditEntry,
  ClientId,
  ClientLastIssued,
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
import { AuditLogSchema, ClientSchema, ClientSecretSchema } from './entities.js';
import type { Sql, Statement } from './gateway.js';
import { liveGrant } from './live-grant.js';
import { toAuditLogRow, toClient, toClientRow, toClientSecret, toClientSecretRow } from './mappers.js';
import { SECRET_WITH_CLIENT } from './token-path.js';
import { isUuid } from './uuid.js';

/**
 * Name, then id, byte-wise: the in-memory adapter compares with JavaScript's `<`. The column is
 * already collated "C" (see the migration); saying so here keeps the order if it ever is not.
 */
const LIST_ORDER = 'order by c.name collate "C" asc, c.id asc';

const LIST: Statement = { text: `select c.* from oauth2_clients c ${LIST_ORDER} limit $1 offset $2` };
const LIST_BY_REGISTRATION: Statement = {
  text: `select c.* from oauth2_clients c where c.dynamically_registered = $3 ${LIST_ORDER} limit $1 offset $2`,
};
const LIST_GRANTED_TO: Statement = {
  text: `
    select c.* from oauth2_clients c
     where exists (select 1 from oauth2_grants g
                    where g.client_id = c.id and g.user_id = $3 and ${liveGrant('g', '$4::timestamptz')})
     ${LIST_ORDER} limit $1 offset $2`,
};

/** `$1` the client ids: the newest stored access token of each, as epoch milliseconds. */
const LAST_ISSUED: Statement = {
  text: `
    select client_id::text as client_id, (extract(epoch from max(created_at)) * 1000)::float8 as at_ms
      from api_keys where kind = 'access' and client_id = any($1::uuid[])
     group by client_id`,
};

/** Every column but the id and `first_token_at`, which is `recordFirstToken`'s alone. */
const NOT_UPDATED = ['id', 'firstTokenAt'] as const;

/** `$1` the id, then the columns of `values(ClientSchema, row, NOT_UPDATED)`. */
const UPDATE: Statement = {
  text: (t) => `update oauth2_clients set ${t.assignments(ClientSchema, 2, NOT_UPDATED)} where id = $1`,
};
const RECORD_FIRST_TOKEN: Statement = {
  bookkeeping: true,
  text: 'update oauth2_clients set first_token_at = $2 where id = $1 and first_token_at is null',
};
const DELETE: Statement = { text: 'delete from oauth2_clients where id = $1' };

/**
 * The client's columns from `$1`, then the secret's (all null when there is none: then no row is
 * inserted), then the audit entry's. One statement is atomic on its own and needs no BEGIN and
 * COMMIT; the secret's foreign key to the client inserted beside it is checked at its end.
 */
const INSERT_REGISTERED: Statement = {
  name: 'latchkey_insert_registered_client',
  text: (t) => {
    const secret = 1 + t.width(ClientSchema);
    const audit = secret + t.width(ClientSecretSchema);
    return `
    with client as (
      insert into oauth2_clients (${t.columns(ClientSchema)}) values (${t.parameters(ClientSchema, 1)})
    ),
    secret as (
      insert into oauth2_client_secrets (${t.columns(ClientSecretSchema)})
      select ${t.parameters(ClientSecretSchema, secret)}
       where ${t.parameter(ClientSecretSchema, secret, 'id')} is not null
    )
    insert into audit_logs (${t.columns(AuditLogSchema)}) values (${t.parameters(AuditLogSchema, audit)})`;
  },
};

/** What a newer metadata document replaces in the stored row: its fields, not its id or history. */
const FROM_DOCUMENT = [
  'name',
  'callbackUrl',
  'redirectUris',
  'icon',
  'clientType',
  'dynamicallyRegistered',
  'grantTypes',
  'responseTypes',
  'tokenEndpointAuthMethod',
  'scope',
  'introspectAny',
  'metadata',
  'updatedAt',
] as const;

/** `$1`… every column: inserts a metadata document client, or refreshes the row of its URL. */
const SAVE_METADATA_DOCUMENT_CLIENT: Statement = {
  text: (t) => `
    insert into oauth2_clients (${t.columns(ClientSchema)}) values (${t.parameters(ClientSchema, 1)})
    on conflict (${t.columnName(ClientSchema, 'metadataDocumentUrl')}) do update set
      ${FROM_DOCUMENT.map((p) => `${t.columnName(ClientSchema, p)} = excluded.${t.columnName(ClientSchema, p)}`).join(', ')}
    returning *`,
};

/**
 * `$1` registered before, `$2` now, `$3` idle since. A semi-join rather than a join, so that a
 * client with several live grants appears once.
 */
const DELETE_ABANDONED: Statement = {
  text: `
    delete from oauth2_clients c
     where c.dynamically_registered
       and (
         (c.first_token_at is null and c.created_at < $1)
         or (
           c.first_token_at is not null
           and not exists (
             select 1 from oauth2_grants g where g.client_id = c.id and ${liveGrant('g', '$2::timestamptz')})
           and coalesce(
                 (select max(coalesce(g.revoked_at, g.expires_at)) from oauth2_grants g where g.client_id = c.id),
                 c.first_token_at) < $3
         )
       )
    returning c.*`,
};

/**
 * OAuth2 clients in `oauth2_clients` (docs/http-api.md#apps, #registration). Each method is one statement; deleting a
 * client relies on the foreign keys to remove its secrets, grants and tokens with it.
 */
export class PostgresClientRepository implements ClientRepository {
  constructor(private readonly sql: Sql) {}

  insert(client: OAuthClient): Promise<void> {
    return this.sql.insert(ClientSchema, toClientRow(client));
  }

  async insertRegistered(
    client: OAuthClient,
    secret: ClientSecret | undefined,
    audit: AuditEntry,
  ): Promise<void> {
    const { tables } = this.sql;
    await this.sql.count(INSERT_REGISTERED, [
      ...tables.values(ClientSchema, toClientRow(client)),
      ...(secret === undefined
        ? Array<null>(tables.width(ClientSecretSchema)).fill(null)
        : tables.values(ClientSecretSchema, toClientSecretRow(secret))),
      ...tables.values(AuditLogSchema, toAuditLogRow(audit)),
    ]);
  }

  /**
   * Every column but the id and `first_token_at` is replaced; absent optional fields are cleared
   * (written as null). `first_token_at` is `recordFirstToken`'s alone, so that an update made
   * from a read older than the first token request does not clear it.
   */
  async update(client: OAuthClient): Promise<boolean> {
    if (!isUuid(client.id)) return false;
    const row = toClientRow(client);
    return (
      (await this.sql.count(UPDATE, [row.id, ...this.sql.tables.values(ClientSchema, row, NOT_UPDATED)])) > 0
    );
  }

  async recordFirstToken(id: ClientId, at: Date): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.count(RECORD_FIRST_TOKEN, [id, at]);
  }

  /** One statement: the cascades remove its secrets, grants and tokens (docs/http-api.md#apps). */
  async delete(id: ClientId): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.count(DELETE, [id])) > 0;
  }

  findById(id: ClientId): Promise<OAuthClient | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return this.sql.remembered(`oauth2_clients.id:${id}`, () =>
      this.sql.lookup(ClientSchema, 'id', id, toClient),
    );
  }

  list(query: ClientQuery): Promise<OAuthClient[]> {
    const page = [query.limit, query.offset];
    return query.dynamicallyRegistered === undefined
      ? this.sql.entities(ClientSchema, LIST, page, toClient)
      : this.sql.entities(
          ClientSchema,
          LIST_BY_REGISTRATION,
          [...page, query.dynamicallyRegistered],
          toClient,
        );
  }

  /** One statement; the cascades remove the clients' secrets, grants, codes and tokens. */
  deleteAbandoned(criteria: AbandonedClientCriteria): Promise<OAuthClient[]> {
    return this.sql.entities(
      ClientSchema,
      DELETE_ABANDONED,
      [criteria.registeredBefore, criteria.now, criteria.idleSince],
      toClient,
    );
  }

  /** One statement: an insert that becomes an update of the row with the same URL. */
  async saveMetadataDocumentClient(client: OAuthClient): Promise<OAuthClient> {
    if (client.metadataDocumentUrl === undefined) throw new Error('not a metadata document client');
    const values = this.sql.tables.values(ClientSchema, toClientRow(client));
    const [stored] = await this.sql.entities(ClientSchema, SAVE_METADATA_DOCUMENT_CLIENT, values, toClient);
    if (stored === undefined) throw new Error('the metadata document client was not stored');
    return stored;
  }

  findByMetadataDocumentUrl(url: string): Promise<OAuthClient | undefined> {
    return this.sql.lookup(ClientSchema, 'metadataDocumentUrl', url, toClient);
  }

  lastIssued(ids: readonly ClientId[]): Promise<ClientLastIssued[]> {
    const uuids = ids.filter(isUuid);
    if (uuids.length === 0) return Promise.resolve([]);
    return this.sql.all(LAST_ISSUED, [uuids], (raw) => ({
      clientId: String(raw.client_id) as ClientId,
      at: new Date(Number(raw.at_ms)),
    }));
  }

  listGrantedTo(userId: UserId, now: Date, page: Page): Promise<OAuthClient[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.sql.entities(ClientSchema, LIST_GRANTED_TO, [page.limit, page.offset, userId, now], toClient);
  }
}

/**
 * `$1`… the secret's columns, then `$n` its client: inserts only while the client exists, holding
 * a key-share lock on it.
 */
const INSERT_SECRET: Statement = {
  name: 'latchkey_insert_client_secret',
  text: (t) => `
    insert into oauth2_client_secrets (${t.columns(ClientSecretSchema)})
    select ${t.parameters(ClientSecretSchema, 1)}
     where exists (select 1 from oauth2_clients where id = ${t.parameter(ClientSecretSchema, 1, 'clientId')} for key share)
    on conflict (id) do nothing
    returning id`,
};
const SECRET_ID_TAKEN: Statement = {
  text: 'select 1 from oauth2_client_secrets where id = $1',
};
const LIST_SECRETS: Statement = {
  text: 'select * from oauth2_client_secrets where client_id = $1 order by created_at asc, id asc',
};
const DELETE_SECRET: Statement = {
  text: 'delete from oauth2_client_secrets where id = $1 and client_id = $2',
};
/** `$1` now, `$2` the secret. */
const RECORD_USE: Statement = {
  bookkeeping: true,
  text: `
    update oauth2_client_secrets set last_used_at = $1
     where id = $2 and (last_used_at is null or last_used_at <= $1::timestamptz - interval '1 minute')`,
};

/**
 * Client secrets in `oauth2_client_secrets`, stored and looked up by SHA-256 digest through the
 * unique index `oauth2_client_secrets_digest_key` (docs/http-api.md#credentials-at-rest).
 */
export class PostgresClientSecretRepository implements ClientSecretRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts only while the client exists, holding a key-share lock on it, so that a concurrent
   * deletion of the client makes this `client_missing` rather than a foreign-key error. An id
   * already stored inserts nothing (`on conflict (id) do nothing`: a concurrent insert of the same
   * id waits for the first to commit, then finds it) and is `id_taken`. A digest already stored is
   * refused by the database.
   */
  async insert(secret: ClientSecret): Promise<'inserted' | 'client_missing' | 'id_taken'> {
    if (!isUuid(secret.clientId) || !isUuid(secret.id)) return 'client_missing';
    const values = this.sql.tables.values(ClientSecretSchema, toClientSecretRow(secret));
    if ((await this.sql.count(INSERT_SECRET, values)) === 1) return 'inserted';
    return (await this.sql.count(SECRET_ID_TAKEN, [secret.id])) > 0 ? 'id_taken' : 'client_missing';
  }

  listForClient(clientId: ClientId): Promise<ClientSecret[]> {
    if (!isUuid(clientId)) return Promise.resolve([]);
    return this.sql.entities(ClientSecretSchema, LIST_SECRETS, [clientId], toClientSecret);
  }

  /** One prepared statement: it is on every confidential token request. */
  findWithClient(digest: CredentialDigest): Promise<SecretWithClient | undefined> {
    return this.sql.remembered(`oauth2_client_secrets.digest:${digest}`, () =>
      this.sql.first(SECRET_WITH_CLIENT.statement, [digest], SECRET_WITH_CLIENT.map(this.sql.tables)),
    );
  }

  findByDigest(digest: CredentialDigest): Promise<ClientSecret | undefined> {
    return this.sql.lookup(ClientSecretSchema, 'digest', digest, toClientSecret);
  }

  /**
   * Scoped to the client in the statement itself, so another client's secret id deletes nothing.
   * Tokens obtained with the secret live on: `api_keys.secret_id` is set null by its foreign key.
   */
  async delete(clientId: ClientId, id: ClientSecretId): Promise<boolean> {
    if (!isUuid(clientId) || !isUuid(id)) return false;
    return (await this.sql.count(DELETE_SECRET, [id, clientId])) > 0;
  }

  /**
   * One conditional update: a no-op unless the stored time is absent or at least a minute old,
   * the same rule as in memory (`at - last >= 60 s`). It runs outside the token transaction
   * (docs/http-api.md#apps), so a concurrent caller waits only for this autocommit, then re-checks the
   * condition against the new row and does nothing.
   */
  async recordUse(id: ClientSecretId, at: Date): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.count(RECORD_USE, [at, id]);
  }
}
