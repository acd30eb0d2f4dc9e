import type {
  AuthorizationCode,
  AuthorizationSummary,
  AuthorizationCodeRepository,
  ClientId,
  CodeWithGrant,
  ClientSecretId,
  CredentialDigest,
  Grant,
  GrantId,
  GrantRepository,
  PendingAuthorization,
  PendingAuthorizationRepository,
  Redemption,
  RefreshExchange,
  RefreshToken,
  RefreshTokenRepository,
  RefreshTokenWithGrant,
  TokenRows,
  UserId,
} from '@latchkey/domain';
import {
  AuthorizationCodeSchema,
  GrantSchema,
  PendingAuthorizationSchema,
  RefreshTokenSchema,
} from './entities.js';
import type { Sql, Statement } from './gateway.js';
import {
  toAuthorizationCode,
  toAuthorizationCodeRow,
  toGrant,
  toGrantRow,
  toPendingAuthorization,
  toPendingAuthorizationRow,
  toRefreshToken,
  toRefreshTokenRow,
} from './mappers.js';
import {
  EXCHANGE_REFRESH_TOKEN,
  CODE_WITH_GRANT,
  REFRESH_TOKEN_WITH_GRANT,
  REDEEM_CODE,
  redemptionOf,
  refreshExchangeOf,
  tokenValues,
} from './token-path.js';
import { isUuid } from './uuid.js';
import { liveGrant } from './live-grant.js';

const REVOKE_GRANT: Statement = {
  text: 'update oauth2_grants set revoked_at = $1 where id = $2 and revoked_at is null returning id',
};
const REVOKE_GRANTS_OF_PAIR: Statement = {
  text: 'update oauth2_grants set revoked_at = $1 where user_id = $2 and client_id = $3 and revoked_at is null returning id',
};
/** `$1` now, `$2` the revoked grants' ids. */
const REVOKE_DESCENDANTS: readonly Statement[] = [
  {
    text: 'update oauth2_codes set consumed_at = $1 where grant_id = any($2::uuid[]) and consumed_at is null',
  },
  {
    text: 'update oauth2_refresh_tokens set revoked_at = $1 where grant_id = any($2::uuid[]) and revoked_at is null',
  },
  { text: 'update api_keys set revoked_at = $1 where grant_id = any($2::uuid[]) and revoked_at is null' },
];
const HAS_APPROVED: Statement = {
  text: 'select exists (select 1 from oauth2_grants where user_id = $1 and client_id = $2) as approved',
};
/**
 * `$1` the user, `$2` now: per client with a live grant, the live grants' scopes, the oldest
 * grant's creation and the newest access token's, times as epoch milliseconds.
 */
const SUMMARIES: Statement = {
  text: `
    select g.client_id::text as client_id,
           (extract(epoch from min(g.created_at)) * 1000)::float8 as first_ms,
           (select (extract(epoch from max(k.created_at)) * 1000)::float8 from api_keys k
             where k.user_id = $1 and k.client_id = g.client_id and k.kind = 'access') as last_ms,
           (select string_agg(distinct s, ' ') from oauth2_grants l cross join unnest(l.scopes) s
             where l.user_id = $1 and l.client_id = g.client_id and ${liveGrant('l', '$2::timestamptz')}) as scopes
      from oauth2_grants g
     where g.user_id = $1
       and exists (select 1 from oauth2_grants l
                    where l.user_id = $1 and l.client_id = g.client_id and ${liveGrant('l', '$2::timestamptz')})
     group by g.client_id`,
};
const DELETE_EXPIRED_GRANTS: Statement = { text: 'delete from oauth2_grants where expires_at < $1' };

/**
 * Revokes the grants that `grants` (`$1` now, then `values`) selects and are not yet revoked, then
 * everything descended from them, on `tx`; returns the ids of the grants it revoked, and touches nothing else when
 * there are none.
 *
 * Several statements, in this order on purpose. The grant goes first: a concurrent second
 * revocation waits on its row and then finds it revoked, so it reports `false` and does nothing.
 * The codes go next: under READ COMMITTED an exchange that has consumed a code of the grant but
 * not yet committed holds that row, so this statement waits for it; the two statements after it
 * then take fresh snapshots that include the access and refresh tokens the exchange issued.
 * Inserting a token only key-share-locks the grant row, which this update of a non-key column
 * does not conflict with, so the two cannot deadlock.
 */
const revokeGrantsWhere = async (
  tx: Sql,
  grants: Statement,
  values: unknown[],
  at: Date,
): Promise<GrantId[]> => {
  const ids = await tx.all(grants, [at, ...values], (raw) => raw.id as GrantId);
  if (ids.length === 0) return ids;
  for (const descendants of REVOKE_DESCENDANTS) await tx.count(descendants, [at, ids]);
  return ids;
};

/**
 * Grants in `oauth2_grants` (docs/http-api.md#token). Their codes, refresh tokens and access tokens
 * reference them with `on delete cascade`, so deleting a grant (or its client, or its user)
 * deletes those too; revoking one revokes them in the same transaction.
 */
export class PostgresGrantRepository implements GrantRepository {
  constructor(private readonly sql: Sql) {}

  /** A grant for an unknown client or user is refused by the foreign keys, as in memory. */
  insert(grant: Grant): Promise<void> {
    return this.sql.insert(GrantSchema, toGrantRow(grant));
  }

  findById(id: GrantId): Promise<Grant | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return this.sql.lookup(GrantSchema, 'id', id, toGrant);
  }

  /**
   * Joins the caller's transaction, or runs its own, so that a grant is never left revoked with
   * live tokens (RFC 9700 §4.14.2: replay revokes everything of the grant).
   */
  revoke(id: GrantId, at: Date): Promise<boolean> {
    if (!isUuid(id)) return Promise.resolve(false);
    return this.sql.transaction(
      async (tx) => (await revokeGrantsWhere(tx, REVOKE_GRANT, [id], at)).length > 0,
    );
  }

  /** As `revoke`, for every unrevoked grant of the pair (`oauth2_grants_user_id_client_id_idx`). */
  revokeForUserAndClient(userId: UserId, clientId: ClientId, at: Date): Promise<GrantId[]> {
    if (!isUuid(userId) || !isUuid(clientId)) return Promise.resolve([]);
    return this.sql.transaction((tx) => revokeGrantsWhere(tx, REVOKE_GRANTS_OF_PAIR, [userId, clientId], at));
  }

  async hasApproved(userId: UserId, clientId: ClientId): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(clientId)) return false;
    return (await this.sql.first(HAS_APPROVED, [userId, clientId], (raw) => raw.approved === true)) === true;
  }

  /** One statement over the user's grants and access tokens (docs/http-api.md#web-console). */
  summariesFor(userId: UserId, now: Date): Promise<AuthorizationSummary[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.sql.all(SUMMARIES, [userId, now], (raw): AuthorizationSummary => {
      const scopes = typeof raw.scopes === 'string' && raw.scopes !== '' ? raw.scopes.split(' ') : [];
      return {
        clientId: String(raw.client_id) as ClientId,
        scopes: scopes.sort(),
        firstAuthorizedAt: new Date(Number(raw.first_ms)),
        ...(raw.last_ms === null || raw.last_ms === undefined
          ? {}
          : { lastUsedAt: new Date(Number(raw.last_ms)) }),
      };
    });
  }

  /** One statement; the foreign keys delete the grants' codes and tokens with them. */
  deleteExpired(before: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED_GRANTS, [before]);
  }
}

const TAKE_PENDING: Statement = {
  text: 'delete from oauth2_pending_authorizations where digest = $1 returning *',
};
/** `$1` the session, `$2` how many to keep. */
/**
 * `skip locked`: consent pages a session opens at once each trim its oldest requests, and two
 * trims that locked overlapping rows in different orders deadlocked (SQLSTATE 40P01, a 500). A
 * row another trim holds is being deleted by it already, so skipping it loses nothing.
 */
const DELETE_OLDEST_PENDING: Statement = {
  text: `
    delete from oauth2_pending_authorizations where digest in (
      select digest from oauth2_pending_authorizations where session_id = $1
       order by created_at desc, digest desc offset $2
         for update skip locked)`,
};
const DELETE_EXPIRED_PENDING: Statement = {
  text: 'delete from oauth2_pending_authorizations where expires_at < $1',
};

/**
 * Consent requests in `oauth2_pending_authorizations`, keyed by the digest of their `request_id`
 * (docs/http-api.md#authorize step 5, #credentials-at-rest). Each references the session that saw the consent page with
 * `on delete cascade`: signing out discards it.
 */
export class PostgresPendingAuthorizationRepository implements PendingAuthorizationRepository {
  constructor(private readonly sql: Sql) {}

  /** A digest already stored, or an unknown session, user or client, is refused by the database. */
  insert(pending: PendingAuthorization): Promise<void> {
    return this.sql.insert(PendingAuthorizationSchema, toPendingAuthorizationRow(pending));
  }

  findByDigest(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    return this.sql.lookup(PendingAuthorizationSchema, 'digest', digest, toPendingAuthorization);
  }

  /**
   * One statement, `delete … returning`: of concurrent takers exactly one gets the request, the
   * others wait on its row and then find it gone.
   */
  async take(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    const [taken] = await this.sql.entities(
      PendingAuthorizationSchema,
      TAKE_PENDING,
      [digest],
      toPendingAuthorization,
    );
    return taken;
  }

  /** One statement; ties on `created_at` are broken by digest, as in the in-memory adapter. */
  deleteOldest(sessionId: PendingAuthorization['sessionId'], keep: number): Promise<number> {
    return this.sql.count(DELETE_OLDEST_PENDING, [sessionId, Math.max(0, keep)]);
  }

  deleteExpired(before: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED_PENDING, [before]);
  }
}

const DELETE_EXPIRED_CODES: Statement = { text: 'delete from oauth2_codes where expires_at < $1' };

/**
 * Authorization codes in `oauth2_codes`, looked up by digest through `oauth2_codes_digest_key`
 * (docs/http-api.md#credentials-at-rest).
 */
export class PostgresAuthorizationCodeRepository implements AuthorizationCodeRepository {
  constructor(private readonly sql: Sql) {}

  /** A digest already stored, or an unknown grant, client or user, is refused by the database. */
  insert(code: AuthorizationCode): Promise<void> {
    return this.sql.insert(AuthorizationCodeSchema, toAuthorizationCodeRow(code));
  }

  findByDigest(digest: CredentialDigest): Promise<AuthorizationCode | undefined> {
    return this.sql.lookup(AuthorizationCodeSchema, 'digest', digest, toAuthorizationCode);
  }

  findWithGrant(digest: CredentialDigest): Promise<CodeWithGrant | undefined> {
    return this.sql.first(CODE_WITH_GRANT.statement, [digest], CODE_WITH_GRANT.map(this.sql.tables));
  }

  /** One statement: consume and both inserts (see `REDEEM_CODE`). */
  async redeem(id: string, at: Date, tokens: TokenRows): Promise<Redemption> {
    if (!isUuid(id)) return 'consumed';
    const values = [id, at, ...tokenValues(this.sql.tables, tokens)];
    return (await this.sql.first(REDEEM_CODE, values, redemptionOf)) ?? redemptionOf(undefined);
  }

  deleteExpired(before: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED_CODES, [before]);
  }
}

const REVOKE_OBTAINED_WITH_SECRET: Statement = {
  text: 'update oauth2_refresh_tokens set revoked_at = $2 where secret_id = $1 and revoked_at is null',
};
const DELETE_EXPIRED_REFRESH_TOKENS: Statement = {
  text: 'delete from oauth2_refresh_tokens where expires_at < $1',
};

/**
 * Refresh tokens in `oauth2_refresh_tokens`, looked up by digest through
 * `oauth2_refresh_tokens_digest_key` (docs/http-api.md#credentials-at-rest). Rotation and the grace replay are each one
 * conditional update, so that of concurrent callers exactly one wins either (docs/http-api.md#authorize,
 * "Concurrency").
 */
export class PostgresRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly sql: Sql) {}

  /** A digest already stored, or an unknown grant, client, user or secret, is refused by the database. */
  insert(token: RefreshToken): Promise<void> {
    return this.sql.insert(RefreshTokenSchema, toRefreshTokenRow(token));
  }

  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined> {
    return this.sql.lookup(RefreshTokenSchema, 'digest', digest, toRefreshToken);
  }

  findWithGrant(digest: CredentialDigest): Promise<RefreshTokenWithGrant | undefined> {
    return this.sql.first(
      REFRESH_TOKEN_WITH_GRANT.statement,
      [digest],
      REFRESH_TOKEN_WITH_GRANT.map(this.sql.tables),
    );
  }

  /** One statement: rotation or the grace replay, and both inserts (see `EXCHANGE_REFRESH_TOKEN`). */
  async exchange(
    id: string,
    at: Date,
    graceSince: Date | undefined,
    tokens: TokenRows,
  ): Promise<RefreshExchange> {
    if (!isUuid(id)) return 'reused';
    const values = [id, at, graceSince ?? null, ...tokenValues(this.sql.tables, tokens)];
    return (
      (await this.sql.first(EXCHANGE_REFRESH_TOKEN, values, refreshExchangeOf)) ??
      refreshExchangeOf(undefined)
    );
  }

  /** One update over the tokens linked to the secret (`oauth2_refresh_tokens_secret_id_idx`). */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    if (!isUuid(secretId)) return Promise.resolve(0);
    return this.sql.count(REVOKE_OBTAINED_WITH_SECRET, [secretId, at]);
  }

  deleteExpired(before: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED_REFRESH_TOKENS, [before]);
  }
}
