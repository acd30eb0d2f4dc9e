import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientId, ClientSecretId } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import { isGrantLive, type AuthorizationSummary, type Grant, type GrantId } from '../model/grant.js';
import type { UserId } from '../model/ids.js';
import type {
  AuthorizationCodeRepository,
  CodeWithGrant,
  GrantRepository,
  PendingAuthorizationRepository,
  Redemption,
  RefreshExchange,
  RefreshTokenRepository,
  RefreshTokenWithGrant,
  TokenRows,
} from '../ports/authorization-repositories.js';
import { apiKeyRowProblem } from './api-keys.js';
import type { InMemoryDatabase, Journal } from './database.js';

/** Why `token` cannot be stored, as PostgreSQL's constraints would refuse it; `undefined` if it can. */
const refreshTokenRowProblem = (db: InMemoryDatabase, token: RefreshToken): string | undefined => {
  if (db.refreshTokens.has(token.digest)) return 'duplicate refresh token digest';
  // Same as the foreign keys in PostgreSQL.
  if (!db.grants.has(token.grantId)) return 'refresh token for an unknown grant';
  if (!db.users.has(token.userId) || !db.clients.has(token.clientId))
    return 'refresh token for an unknown user or client';
  if (token.secretId !== undefined && db.keyOfId(db.clientSecrets, token.secretId) === undefined)
    return 'refresh token for an unknown client secret';
  return undefined;
};

/**
 * Stores the tokens of one token request after checking both, so that a refused row leaves
 * nothing behind (the PostgreSQL adapter inserts both in the statement that authorises them).
 * Throws what the insert would have rejected with.
 */
const storeTokens = (db: InMemoryDatabase, journal: Journal, tokens: TokenRows): void => {
  const { accessToken, refreshToken } = tokens;
  const problem =
    apiKeyRowProblem(db, accessToken) ??
    (refreshToken === undefined ? undefined : refreshTokenRowProblem(db, refreshToken));
  if (problem !== undefined) throw new Error(problem);
  db.put(journal, db.apiKeys, accessToken.digest, accessToken);
  if (refreshToken !== undefined) db.put(journal, db.refreshTokens, refreshToken.digest, refreshToken);
};

/** Grants; revoking one revokes its codes and tokens, as the PostgreSQL adapter does in one transaction. */
export class InMemoryGrantRepository implements GrantRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(grant: Grant): Promise<void> {
    if (this.db.grants.has(grant.id)) return Promise.reject(new Error('duplicate grant id'));
    if (!this.db.clients.has(grant.clientId)) return Promise.reject(new Error('grant for an unknown client'));
    if (!this.db.users.has(grant.userId)) return Promise.reject(new Error('grant for an unknown user'));
    this.db.put(this.journal, this.db.grants, grant.id, grant);
    return Promise.resolve();
  }

  findById(id: GrantId): Promise<Grant | undefined> {
    return Promise.resolve(this.db.grants.get(id));
  }

  revoke(id: GrantId, at: Date): Promise<boolean> {
    const grant = this.db.grants.get(id);
    if (grant === undefined || grant.revokedAt !== undefined) return Promise.resolve(false);
    this.revokeNow(grant, at);
    return Promise.resolve(true);
  }

  revokeForUserAndClient(userId: UserId, clientId: ClientId, at: Date): Promise<GrantId[]> {
    const revoked: GrantId[] = [];
    for (const grant of [...this.db.grants.values()]) {
      if (grant.userId === userId && grant.clientId === clientId && grant.revokedAt === undefined) {
        this.revokeNow(grant, at);
        revoked.push(grant.id);
      }
    }
    return Promise.resolve(revoked);
  }

  hasApproved(userId: UserId, clientId: ClientId): Promise<boolean> {
    return Promise.resolve(
      [...this.db.grants.values()].some((g) => g.userId === userId && g.clientId === clientId),
    );
  }

  summariesFor(userId: UserId, now: Date): Promise<AuthorizationSummary[]> {
    const grants = [...this.db.grants.values()].filter((g) => g.userId === userId);
    const live = new Set(grants.filter((g) => isGrantLive(g, now)).map((g) => g.clientId));
    const summaries: AuthorizationSummary[] = [];
    for (const clientId of live) {
      const ofClient = grants.filter((g) => g.clientId === clientId);
      const scopes = new Set(ofClient.filter((g) => isGrantLive(g, now)).flatMap((g) => g.scopes));
      const first = Math.min(...ofClient.map((g) => g.createdAt.getTime()));
      const issued = [...this.db.apiKeys.values()]
        .filter((k) => k.kind === 'access' && k.userId === userId && k.clientId === clientId)
        .map((k) => k.createdAt.getTime());
      summaries.push({
        clientId,
        scopes: [...scopes].sort(),
        firstAuthorizedAt: new Date(first),
        ...(issued.length === 0 ? {} : { lastUsedAt: new Date(Math.max(...issued)) }),
      });
    }
    return Promise.resolve(summaries);
  }

  /** One pass over each table whatever the number of expired grants (a pass per grant is quadratic). */
  deleteExpired(before: Date): Promise<number> {
    const expired = new Set<string>();
    for (const grant of this.db.grants.values())
      if (grant.expiresAt.getTime() < before.getTime()) expired.add(grant.id);
    if (expired.size === 0) return Promise.resolve(0);
    const derived = (row: { grantId?: string }) => row.grantId !== undefined && expired.has(row.grantId);
    for (const [digest, code] of [...this.db.codes])
      if (derived(code)) this.db.remove(this.journal, this.db.codes, digest);
    for (const [digest, token] of [...this.db.refreshTokens])
      if (derived(token)) this.db.remove(this.journal, this.db.refreshTokens, digest);
    for (const [digest, key] of [...this.db.apiKeys])
      if (derived(key)) this.db.remove(this.journal, this.db.apiKeys, digest);
    for (const id of expired) this.db.remove(this.journal, this.db.grants, id);
    return Promise.resolve(expired.size);
  }

  private revokeNow(grant: Grant, at: Date): void {
    this.db.put(this.journal, this.db.grants, grant.id, { ...grant, revokedAt: at });
    for (const [digest, code] of [...this.db.codes]) {
      if (code.grantId === grant.id && code.consumedAt === undefined) {
        this.db.put(this.journal, this.db.codes, digest, { ...code, consumedAt: at });
      }
    }
    for (const [digest, token] of [...this.db.refreshTokens]) {
      if (token.grantId === grant.id && token.revokedAt === undefined) {
        this.db.put(this.journal, this.db.refreshTokens, digest, { ...token, revokedAt: at });
      }
    }
    for (const [digest, key] of [...this.db.apiKeys]) {
      if (key.grantId === grant.id && key.revokedAt === undefined) {
        this.db.put(this.journal, this.db.apiKeys, digest, { ...key, revokedAt: at });
      }
    }
  }
}

export class InMemoryPendingAuthorizationRepository implements PendingAuthorizationRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(pending: PendingAuthorization): Promise<void> {
    if (this.db.pendingAuthorizations.has(pending.digest))
      return Promise.reject(new Error('duplicate pending authorization digest'));
    // Same as the foreign keys in PostgreSQL.
    if (this.db.keyOfId(this.db.apiKeys, pending.sessionId) === undefined)
      return Promise.reject(new Error('pending authorization of an unknown session'));
    if (!this.db.users.has(pending.userId) || !this.db.clients.has(pending.clientId))
      return Promise.reject(new Error('pending authorization for an unknown user or client'));
    this.db.put(this.journal, this.db.pendingAuthorizations, pending.digest, pending);
    return Promise.resolve();
  }

  findByDigest(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    return Promise.resolve(this.db.pendingAuthorizations.get(digest));
  }

  take(digest: CredentialDigest): Promise<PendingAuthorization | undefined> {
    const pending = this.db.pendingAuthorizations.get(digest);
    if (pending !== undefined) this.db.remove(this.journal, this.db.pendingAuthorizations, digest);
    return Promise.resolve(pending);
  }

  deleteOldest(sessionId: PendingAuthorization['sessionId'], keep: number): Promise<number> {
    const newestFirst = [...this.db.pendingAuthorizations.values()]
      .filter((pending) => pending.sessionId === sessionId)
      .sort(
        (a, b) =>
          b.createdAt.getTime() - a.createdAt.getTime() ||
          (a.digest < b.digest ? 1 : a.digest > b.digest ? -1 : 0),
      );
    const dropped = newestFirst.slice(Math.max(0, keep));
    for (const pending of dropped)
      this.db.remove(this.journal, this.db.pendingAuthorizations, pending.digest);
    return Promise.resolve(dropped.length);
  }

  deleteExpired(before: Date): Promise<number> {
    let count = 0;
    for (const [digest, pending] of [...this.db.pendingAuthorizations]) {
      if (pending.expiresAt.getTime() < before.getTime()) {
        this.db.remove(this.journal, this.db.pendingAuthorizations, digest);
        count += 1;
      }
    }
    return Promise.resolve(count);
  }
}

export class InMemoryAuthorizationCodeRepository implements AuthorizationCodeRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(code: AuthorizationCode): Promise<void> {
    if (this.db.codes.has(code.digest)) return Promise.reject(new Error('duplicate code digest'));
    // Same as the foreign keys in PostgreSQL.
    if (!this.db.grants.has(code.grantId)) return Promise.reject(new Error('code for an unknown grant'));
    if (!this.db.users.has(code.userId) || !this.db.clients.has(code.clientId))
      return Promise.reject(new Error('code for an unknown user or client'));
    this.db.put(this.journal, this.db.codes, code.digest, code);
    return Promise.resolve();
  }

  findByDigest(digest: CredentialDigest): Promise<AuthorizationCode | undefined> {
    return Promise.resolve(this.db.codes.get(digest));
  }

  findWithGrant(digest: CredentialDigest): Promise<CodeWithGrant | undefined> {
    const code = this.db.codes.get(digest);
    const grant = code === undefined ? undefined : this.db.grants.get(code.grantId);
    return Promise.resolve(code === undefined || grant === undefined ? undefined : { code, grant });
  }

  /** Checks and writes without yielding, so that no other call interleaves. */
  redeem(id: string, at: Date, tokens: TokenRows): Promise<Redemption> {
    const digest = this.db.keyOfId(this.db.codes, id);
    const code = digest === undefined ? undefined : this.db.codes.get(digest);
    if (digest === undefined || code === undefined) return Promise.resolve('consumed');
    const grant = this.db.grants.get(code.grantId);
    if (grant === undefined || !isGrantLive(grant, at)) return Promise.resolve('grant_ended');
    if (code.consumedAt !== undefined) return Promise.resolve('consumed');
    try {
      storeTokens(this.db, this.journal, tokens);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.db.put(this.journal, this.db.codes, digest, { ...code, consumedAt: at });
    return Promise.resolve('redeemed');
  }

  deleteExpired(before: Date): Promise<number> {
    let count = 0;
    for (const [digest, code] of [...this.db.codes]) {
      if (code.expiresAt.getTime() < before.getTime()) {
        this.db.remove(this.journal, this.db.codes, digest);
        count += 1;
      }
    }
    return Promise.resolve(count);
  }
}

export class InMemoryRefreshTokenRepository implements RefreshTokenRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(token: RefreshToken): Promise<void> {
    const problem = refreshTokenRowProblem(this.db, token);
    if (problem !== undefined) return Promise.reject(new Error(problem));
    this.db.put(this.journal, this.db.refreshTokens, token.digest, token);
    return Promise.resolve();
  }

  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined> {
    return Promise.resolve(this.db.refreshTokens.get(digest));
  }

  findWithGrant(digest: CredentialDigest): Promise<RefreshTokenWithGrant | undefined> {
    const token = this.db.refreshTokens.get(digest);
    const grant = token === undefined ? undefined : this.db.grants.get(token.grantId);
    return Promise.resolve(token === undefined || grant === undefined ? undefined : { token, grant });
  }

  /** Checks and writes without yielding, so that no other call interleaves. */
  exchange(id: string, at: Date, graceSince: Date | undefined, tokens: TokenRows): Promise<RefreshExchange> {
    const found = this.byId(id);
    if (found === undefined) return Promise.resolve('reused');
    const [digest, token] = found;
    const grant = this.db.grants.get(token.grantId);
    if (grant === undefined || !isGrantLive(grant, at)) return Promise.resolve('grant_ended');
    if (token.revokedAt !== undefined) return Promise.resolve('reused');
    let next: RefreshToken;
    if (token.rotatedAt === undefined) next = { ...token, rotatedAt: at };
    else if (
      graceSince !== undefined &&
      !token.graceUsed &&
      token.rotatedAt.getTime() >= graceSince.getTime()
    )
      next = { ...token, graceUsed: true };
    else return Promise.resolve('reused');
    try {
      storeTokens(this.db, this.journal, tokens);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.db.put(this.journal, this.db.refreshTokens, digest, next);
    return Promise.resolve(token.rotatedAt === undefined ? 'rotated' : 'grace');
  }

  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    let count = 0;
    for (const [digest, token] of [...this.db.refreshTokens]) {
      if (token.secretId === secretId && token.revokedAt === undefined) {
        this.db.put(this.journal, this.db.refreshTokens, digest, { ...token, revokedAt: at });
        count += 1;
      }
    }
    return Promise.resolve(count);
  }

  deleteExpired(before: Date): Promise<number> {
    let count = 0;
    for (const [digest, token] of [...this.db.refreshTokens]) {
      if (token.expiresAt.getTime() < before.getTime()) {
        this.db.remove(this.journal, this.db.refreshTokens, digest);
        count += 1;
      }
    }
    return Promise.resolve(count);
  }

  private byId(id: string): [string, RefreshToken] | undefined {
    const digest = this.db.keyOfId(this.db.refreshTokens, id);
    const token = digest === undefined ? undefined : this.db.refreshTokens.get(digest);
    return digest === undefined || token === undefined ? undefined : [digest, token];
  }
}
