import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientId, ClientSecretId } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import type { Grant, GrantId } from '../model/grant.js';
import type { UserId } from '../model/ids.js';
import type {
  AuthorizationCodeRepository,
  GrantRepository,
  PendingAuthorizationRepository,
  RefreshTokenRepository,
} from '../ports/authorization-repositories.js';
import type { InMemoryDatabase, Journal } from './database.js';

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

  deleteExpired(before: Date): Promise<number> {
    let count = 0;
    for (const grant of [...this.db.grants.values()]) {
      if (grant.expiresAt.getTime() < before.getTime()) {
        this.db.remove(this.journal, this.db.grants, grant.id);
        for (const [digest, code] of [...this.db.codes]) {
          if (code.grantId === grant.id) this.db.remove(this.journal, this.db.codes, digest);
        }
        for (const [digest, token] of [...this.db.refreshTokens]) {
          if (token.grantId === grant.id) this.db.remove(this.journal, this.db.refreshTokens, digest);
        }
        for (const [digest, key] of [...this.db.apiKeys]) {
          if (key.grantId === grant.id) this.db.remove(this.journal, this.db.apiKeys, digest);
        }
        count += 1;
      }
    }
    return Promise.resolve(count);
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

  consume(id: string, at: Date): Promise<boolean> {
    const digest = this.db.keyOfId(this.db.codes, id);
    const code = digest === undefined ? undefined : this.db.codes.get(digest);
    if (digest === undefined || code === undefined || code.consumedAt !== undefined)
      return Promise.resolve(false);
    this.db.put(this.journal, this.db.codes, digest, { ...code, consumedAt: at });
    return Promise.resolve(true);
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
    if (this.db.refreshTokens.has(token.digest))
      return Promise.reject(new Error('duplicate refresh token digest'));
    // Same as the foreign keys in PostgreSQL.
    if (!this.db.grants.has(token.grantId))
      return Promise.reject(new Error('refresh token for an unknown grant'));
    if (!this.db.users.has(token.userId) || !this.db.clients.has(token.clientId))
      return Promise.reject(new Error('refresh token for an unknown user or client'));
    if (
      token.secretId !== undefined &&
      ![...this.db.clientSecrets.values()].some((s) => s.id === token.secretId)
    )
      return Promise.reject(new Error('refresh token for an unknown client secret'));
    this.db.put(this.journal, this.db.refreshTokens, token.digest, token);
    return Promise.resolve();
  }

  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined> {
    return Promise.resolve(this.db.refreshTokens.get(digest));
  }

  rotate(id: string, at: Date): Promise<boolean> {
    const found = this.byId(id);
    if (found === undefined || found[1].rotatedAt !== undefined || found[1].revokedAt !== undefined) {
      return Promise.resolve(false);
    }
    this.db.put(this.journal, this.db.refreshTokens, found[0], { ...found[1], rotatedAt: at });
    return Promise.resolve(true);
  }

  useGrace(id: string, rotatedSince: Date): Promise<boolean> {
    const found = this.byId(id);
    if (found === undefined) return Promise.resolve(false);
    const [digest, token] = found;
    if (
      token.graceUsed ||
      token.revokedAt !== undefined ||
      token.rotatedAt === undefined ||
      token.rotatedAt.getTime() < rotatedSince.getTime()
    ) {
      return Promise.resolve(false);
    }
    this.db.put(this.journal, this.db.refreshTokens, digest, { ...token, graceUsed: true });
    return Promise.resolve(true);
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
