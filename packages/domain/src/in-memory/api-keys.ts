import type { ApiKey } from '../model/api-key.js';
import type { ClientSecretId } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import type { ApiKeyId, UserId } from '../model/ids.js';
import type { ApiKeyRepository, SessionSelection } from '../ports/api-key-repository.js';
import type { InMemoryDatabase, Journal } from './database.js';

/** Why `key` cannot be stored, as PostgreSQL's constraints would refuse it; `undefined` if it can. */
export const apiKeyRowProblem = (db: InMemoryDatabase, key: ApiKey): string | undefined => {
  if (db.apiKeys.has(key.digest)) return 'duplicate api key digest';
  // Same as the foreign keys in PostgreSQL.
  if (key.userId !== undefined && !db.users.has(key.userId.toLowerCase()))
    return 'api key for an unknown user';
  // As the check constraint in PostgreSQL: only a client's access token goes without a user.
  if (
    key.userId === undefined &&
    (key.kind !== 'access' || key.clientId === undefined || key.grantId !== undefined)
  )
    return 'api key without a user that is not a client credentials token';
  if (key.clientId !== undefined && !db.clients.has(key.clientId)) return 'api key for an unknown client';
  if (key.grantId !== undefined && !db.grants.has(key.grantId)) return 'api key for an unknown grant';
  if (key.secretId !== undefined && db.keyOfId(db.clientSecrets, key.secretId) === undefined)
    return 'api key for an unknown client secret';
  return undefined;
};

/** Keyed by digest, as the unique index in PostgreSQL. */
export class InMemoryApiKeyRepository implements ApiKeyRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(key: ApiKey): Promise<void> {
    const problem = apiKeyRowProblem(this.db, key);
    if (problem !== undefined) return Promise.reject(new Error(problem));
    this.db.put(this.journal, this.db.apiKeys, key.digest, key);
    return Promise.resolve();
  }

  findByDigest(digest: CredentialDigest): Promise<ApiKey | undefined> {
    return Promise.resolve(this.db.apiKeys.get(digest));
  }

  delete(id: ApiKeyId): Promise<boolean> {
    const key = this.byId(id);
    if (key === undefined) return Promise.resolve(false);
    this.removeNow([key]);
    return Promise.resolve(true);
  }

  revoke(id: ApiKeyId, at: Date): Promise<boolean> {
    const key = this.byId(id);
    if (key === undefined || key.revokedAt !== undefined) return Promise.resolve(false);
    this.db.put(this.journal, this.db.apiKeys, key.digest, { ...key, revokedAt: at });
    return Promise.resolve(true);
  }

  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    let count = 0;
    for (const key of [...this.db.apiKeys.values()]) {
      if (key.secretId === secretId && key.revokedAt === undefined) {
        this.db.put(this.journal, this.db.apiKeys, key.digest, { ...key, revokedAt: at });
        count += 1;
      }
    }
    return Promise.resolve(count);
  }

  recordSessionUse(id: ApiKeyId, at: Date): Promise<void> {
    const key = this.byId(id);
    if (key?.kind === 'session')
      this.db.put(this.journal, this.db.apiKeys, key.digest, { ...key, lastUsedAt: at });
    return Promise.resolve();
  }

  listSessions(userId: UserId, now: Date): Promise<ApiKey[]> {
    const sessions = [...this.db.apiKeys.values()]
      .filter((k) => k.kind === 'session' && k.userId === userId && k.expiresAt.getTime() > now.getTime())
      .sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    return Promise.resolve(sessions);
  }

  deleteSessions(userId: UserId, which: SessionSelection): Promise<number> {
    const chosen = [...this.db.apiKeys.values()].filter(
      (k) =>
        k.kind === 'session' &&
        k.userId === userId &&
        ('only' in which ? k.id === which.only : k.id !== which.except),
    );
    this.removeNow(chosen);
    return Promise.resolve(chosen.length);
  }

  deleteExpired(before: Date): Promise<number> {
    const expired = [...this.db.apiKeys.values()].filter((key) => key.expiresAt.getTime() < before.getTime());
    this.removeNow(expired);
    return Promise.resolve(expired.length);
  }

  /**
   * Removes the keys and, as `on delete cascade` does in PostgreSQL, the consent requests of their
   * sessions: one pass over those requests whatever the number of keys.
   */
  private removeNow(keys: readonly ApiKey[]): void {
    if (keys.length === 0) return;
    for (const key of keys) this.db.remove(this.journal, this.db.apiKeys, key.digest);
    const sessions = new Set<string>(keys.map((key) => key.id));
    for (const [digest, pending] of [...this.db.pendingAuthorizations]) {
      if (sessions.has(pending.sessionId))
        this.db.remove(this.journal, this.db.pendingAuthorizations, digest);
    }
  }

  private byId(id: ApiKeyId): ApiKey | undefined {
    const digest = this.db.keyOfId(this.db.apiKeys, id);
    return digest === undefined ? undefined : this.db.apiKeys.get(digest);
  }
}
