import type {
  AuthorizationCode,
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
import type { Dictionary } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  AuthorizationCodeSchema,
  GrantSchema,
  PendingAuthorizationSchema,
  RefreshTokenSchema,
  type PendingAuthorizationRow,
} from './entities.js';
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
import { findOne } from './find-one.js';
import { query } from './sql.js';
import { withinTransaction } from './within-transaction.js';
import {
  EXCHANGE_REFRESH_TOKEN,
  FIND_CODE_WITH_GRANT,
  FIND_REFRESH_TOKEN_WITH_GRANT,
  REDEEM_CODE,
  redemptionOf,
  refreshExchangeOf,
  tokenValues,
  toCodeWithGrant,
  toRefreshTokenWithGrant,
} from './token-path.js';
import { guarded } from './storage-errors.js';
import { isUuid } from './uuid.js';

/**
 * Revokes the grants that `condition` selects and are not yet revoked, then everything descended
 * from them, on `tx`; returns the ids of the grants it revoked, and touches nothing else when
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
  tx: EntityManager,
  condition: string,
  params: readonly unknown[],
  at: Date,
): Promise<GrantId[]> => {
  const revoked = await tx.execute<{ id: string }[]>(
    `update oauth2_grants set revoked_at = ? where ${condition} and revoked_at is null returning id`,
    [at, ...params],
  );
  const ids = revoked.map((row) => row.id as GrantId);
  if (ids.length === 0) return ids;
  // An array parameter is rendered as a comma-separated list of literals.
  await tx.execute('update oauth2_codes set consumed_at = ? where grant_id in (?) and consumed_at is null', [
    at,
    ids,
  ]);
  await tx.execute(
    'update oauth2_refresh_tokens set revoked_at = ? where grant_id in (?) and revoked_at is null',
    [at, ids],
  );
  await tx.execute('update api_keys set revoked_at = ? where grant_id in (?) and revoked_at is null', [
    at,
    ids,
  ]);
  return ids;
};

/**
 * Grants in `oauth2_grants` (docs/http-api.md#token). Their codes, refresh tokens and access tokens
 * reference them with `on delete cascade`, so deleting a grant (or its client, or its user)
 * deletes those too; revoking one revokes them in the same transaction.
 */
export class PostgresGrantRepository implements GrantRepository {
  constructor(private readonly em: EntityManager) {}

  /** A grant for an unknown client or user is refused by the foreign keys, as in memory. */
  insert(grant: Grant): Promise<void> {
    return guarded(async () => {
      await this.em.insert(GrantSchema, toGrantRow(grant));
    });
  }

  findById(id: GrantId): Promise<Grant | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return guarded(async () => {
      const row = await findOne(this.em, GrantSchema, 'id', id);
      return row ? toGrant(row) : undefined;
    });
  }

  /**
   * Joins the caller's transaction, or runs its own, so that a grant is never left revoked with
   * live tokens (RFC 9700 §4.14.2: replay revokes everything of the grant).
   */
  revoke(id: GrantId, at: Date): Promise<boolean> {
    if (!isUuid(id)) return Promise.resolve(false);
    return guarded(() =>
      withinTransaction(this.em, async (tx) => (await revokeGrantsWhere(tx, 'id = ?', [id], at)).length > 0),
    );
  }

  /** As `revoke`, for every unrevoked grant of the pair (`oauth2_grants_user_id_client_id_idx`). */
  revokeForUserAndClient(userId: UserId, clientId: ClientId, at: Date): Promise<GrantId[]> {
    if (!isUuid(userId) || !isUuid(clientId)) return Promise.resolve([]);
    return guarded(() =>
      withinTransaction(this.em, (tx) =>
        revokeGrantsWhere(tx, 'user_id = ? and client_id = ?', [userId, clientId], at),
      ),
    );
  }

  hasApproved(userId: UserId, clientId: ClientId): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(clientId)) return Promise.resolve(false);
    return guarded(async () => {
      const [found] = await this.em.execute<{ approved: boolean }[]>(
        'select exists (select 1 from oauth2_grants where user_id = ? and client_id = ?) as approved',
        [userId, clientId],
      );
      return found?.approved === true;
    });
  }

  /** One statement; the foreign keys delete the grants' codes and tokens with them. */
  deleteExpired(before: Date): Promise<number> {
    return guarded(() => this.em.nativeDelete(GrantSchema, { expiresAt: { $lt: before } }));
  }
}

/**
 * Consent requests in `oauth2_pending_authorizations`, keyed by the digest of their `request_id`
 * (docs/http-api.md#authorize step 5, #credentials-at-rest). Each references the session that saw the consent page with
 * `on delete cascade`: signing out discards it.
 */
export class PostgresPendingAuthorizationRepository implements PendingAuthorizationRepository {
  constructor(private readonly em: EntityManager) {}

  /** A digest already stored, or an unknown session, user or client, is refused by the database. */
  insert(pending: PendingAuthorization): Promise<void> {
    return guarded(async () => {
      await this.em.insert(PendingAuthorizationSchema, toPendingAuthorizationRow(pending));
    });
  }

  findByDigest(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, PendingAuthorizationSchema, 'digest', digest);
      return row ? toPendingAuthorization(row) : undefined;
    });
  }

  /**
   * One statement, `delete … returning`: of concurrent takers exactly one gets the request, the
   * others wait on its row and then find it gone.
   */
  take(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    return guarded(async () => {
      const [raw] = await this.em.execute<Dictionary[]>(
        'delete from oauth2_pending_authorizations where digest = ? returning *',
        [digest],
      );
      if (raw === undefined) return undefined;
      const meta = this.em
        .getMetadata()
        .get<PendingAuthorizationRow>(PendingAuthorizationSchema.meta.className);
      const row = this.em.getDriver().mapResult<PendingAuthorizationRow>(raw, meta);
      return row ? toPendingAuthorization(row as PendingAuthorizationRow) : undefined;
    });
  }

  /** One statement; ties on `created_at` are broken by digest, as in the in-memory adapter. */
  deleteOldest(sessionId: PendingAuthorization['sessionId'], keep: number): Promise<number> {
    return guarded(async () => {
      const deleted = await this.em.execute<Dictionary[]>(
        `delete from oauth2_pending_authorizations where digest in (
           select digest from oauth2_pending_authorizations where session_id = ?
           order by created_at desc, digest desc offset ?)
         returning digest`,
        [sessionId, Math.max(0, keep)],
      );
      return deleted.length;
    });
  }

  deleteExpired(before: Date): Promise<number> {
    return guarded(() => this.em.nativeDelete(PendingAuthorizationSchema, { expiresAt: { $lt: before } }));
  }
}

/**
 * Authorization codes in `oauth2_codes`, looked up by digest through `oauth2_codes_digest_key`
 * (docs/http-api.md#credentials-at-rest).
 */
export class PostgresAuthorizationCodeRepository implements AuthorizationCodeRepository {
  constructor(private readonly em: EntityManager) {}

  /** A digest already stored, or an unknown grant, client or user, is refused by the database. */
  insert(code: AuthorizationCode): Promise<void> {
    return guarded(async () => {
      await this.em.insert(AuthorizationCodeSchema, toAuthorizationCodeRow(code));
    });
  }

  findByDigest(digest: CredentialDigest): Promise<AuthorizationCode | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, AuthorizationCodeSchema, 'digest', digest);
      return row ? toAuthorizationCode(row) : undefined;
    });
  }

  findWithGrant(digest: CredentialDigest): Promise<CodeWithGrant | undefined> {
    return guarded(async () => {
      const [raw] = await query<Record<string, unknown>>(this.em, FIND_CODE_WITH_GRANT, [digest]);
      return raw === undefined ? undefined : toCodeWithGrant(raw);
    });
  }

  /** One statement: consume and both inserts (see `REDEEM_CODE`). */
  redeem(id: string, at: Date, tokens: TokenRows): Promise<Redemption> {
    if (!isUuid(id)) return Promise.resolve('consumed');
    return guarded(async () => {
      const [row] = await query<{ changed: number; live: boolean | null }>(this.em, REDEEM_CODE, [
        id,
        at,
        ...tokenValues(tokens),
      ]);
      return redemptionOf(row);
    });
  }

  deleteExpired(before: Date): Promise<number> {
    return guarded(() => this.em.nativeDelete(AuthorizationCodeSchema, { expiresAt: { $lt: before } }));
  }
}

/**
 * Refresh tokens in `oauth2_refresh_tokens`, looked up by digest through
 * `oauth2_refresh_tokens_digest_key` (docs/http-api.md#credentials-at-rest). Rotation and the grace replay are each one
 * conditional update, so that of concurrent callers exactly one wins either (docs/http-api.md#authorize,
 * "Concurrency").
 */
export class PostgresRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly em: EntityManager) {}

  /** A digest already stored, or an unknown grant, client, user or secret, is refused by the database. */
  insert(token: RefreshToken): Promise<void> {
    return guarded(async () => {
      await this.em.insert(RefreshTokenSchema, toRefreshTokenRow(token));
    });
  }

  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, RefreshTokenSchema, 'digest', digest);
      return row ? toRefreshToken(row) : undefined;
    });
  }

  findWithGrant(digest: CredentialDigest): Promise<RefreshTokenWithGrant | undefined> {
    return guarded(async () => {
      const [raw] = await query<Record<string, unknown>>(this.em, FIND_REFRESH_TOKEN_WITH_GRANT, [digest]);
      return raw === undefined ? undefined : toRefreshTokenWithGrant(raw);
    });
  }

  /** One statement: rotation or the grace replay, and both inserts (see `EXCHANGE_REFRESH_TOKEN`). */
  exchange(id: string, at: Date, graceSince: Date | undefined, tokens: TokenRows): Promise<RefreshExchange> {
    if (!isUuid(id)) return Promise.resolve('reused');
    return guarded(async () => {
      const [row] = await query<{ changed: number; rotated: boolean | null; live: boolean | null }>(
        this.em,
        EXCHANGE_REFRESH_TOKEN,
        [id, at, ...tokenValues(tokens), graceSince ?? null],
      );
      return refreshExchangeOf(row);
    });
  }

  /** One update over the tokens linked to the secret (`oauth2_refresh_tokens_secret_id_idx`). */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    if (!isUuid(secretId)) return Promise.resolve(0);
    return guarded(() =>
      this.em.nativeUpdate(RefreshTokenSchema, { secretId, revokedAt: null }, { revokedAt: at }),
    );
  }

  deleteExpired(before: Date): Promise<number> {
    return guarded(() => this.em.nativeDelete(RefreshTokenSchema, { expiresAt: { $lt: before } }));
  }
}
