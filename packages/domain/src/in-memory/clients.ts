import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import { isGrantLive } from '../model/grant.js';
import type { UserId } from '../model/ids.js';
import type {
  AbandonedClientCriteria,
  ClientQuery,
  ClientRepository,
  ClientSecretRepository,
  SecretWithClient,
} from '../ports/client-repository.js';
import type { Page } from '../ports/user-repository.js';
import type { InMemoryDatabase, Journal } from './database.js';

const byNameThenId = (a: OAuthClient, b: OAuthClient): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Deleting a client cascades to its secrets, grants and tokens, as the foreign keys do in PostgreSQL. */
export class InMemoryClientRepository implements ClientRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(client: OAuthClient): Promise<void> {
    if (this.db.clients.has(client.id)) return Promise.reject(new Error('duplicate client id'));
    // Same as the foreign key in PostgreSQL.
    if (client.createdBy !== undefined && !this.db.users.has(client.createdBy.toLowerCase()))
      return Promise.reject(new Error('client created by an unknown user'));
    this.db.put(this.journal, this.db.clients, client.id, client);
    return Promise.resolve();
  }

  update(client: OAuthClient): Promise<boolean> {
    if (!this.db.clients.has(client.id)) return Promise.resolve(false);
    this.db.put(this.journal, this.db.clients, client.id, client);
    return Promise.resolve(true);
  }

  delete(id: ClientId): Promise<boolean> {
    if (!this.db.clients.has(id)) return Promise.resolve(false);
    for (const secret of [...this.db.clientSecrets.values()]) {
      if (secret.clientId === id) this.db.remove(this.journal, this.db.clientSecrets, secret.digest);
    }
    for (const grant of [...this.db.grants.values()]) {
      if (grant.clientId === id) this.db.remove(this.journal, this.db.grants, grant.id);
    }
    this.removeWhere(this.db.codes, (code) => code.clientId === id);
    this.removeWhere(this.db.refreshTokens, (token) => token.clientId === id);
    this.removeWhere(this.db.pendingAuthorizations, (pending) => pending.clientId === id);
    for (const key of [...this.db.apiKeys.values()]) {
      if (key.clientId === id) this.db.remove(this.journal, this.db.apiKeys, key.digest);
    }
    this.db.remove(this.journal, this.db.clients, id);
    return Promise.resolve(true);
  }

  private removeWhere<V>(map: Map<string, V>, matches: (value: V) => boolean): void {
    for (const [key, value] of [...map]) if (matches(value)) this.db.remove(this.journal, map, key);
  }

  findById(id: ClientId): Promise<OAuthClient | undefined> {
    return Promise.resolve(this.db.clients.get(id.toLowerCase() as ClientId));
  }

  list(query: ClientQuery): Promise<OAuthClient[]> {
    const clients = [...this.db.clients.values()]
      .filter(
        (c) =>
          query.dynamicallyRegistered === undefined ||
          c.dynamicallyRegistered === query.dynamicallyRegistered,
      )
      .sort(byNameThenId);
    return Promise.resolve(clients.slice(query.offset, query.offset + query.limit));
  }

  async deleteAbandoned(criteria: AbandonedClientCriteria): Promise<OAuthClient[]> {
    const abandoned = [...this.db.clients.values()].filter((client) => {
      if (!client.dynamicallyRegistered) return false;
      const grants = [...this.db.grants.values()].filter((g) => g.clientId === client.id);
      if (grants.length === 0) return client.createdAt.getTime() < criteria.registeredBefore.getTime();
      if (grants.some((g) => isGrantLive(g, criteria.now))) return false;
      const lastLive = Math.max(...grants.map((g) => (g.revokedAt ?? g.expiresAt).getTime()));
      return lastLive < criteria.idleSince.getTime();
    });
    for (const client of abandoned) await this.delete(client.id);
    return abandoned;
  }

  listGrantedTo(userId: UserId, now: Date, page: Page): Promise<OAuthClient[]> {
    const granted = new Set(
      [...this.db.grants.values()]
        .filter((g) => g.userId === userId && isGrantLive(g, now))
        .map((g) => g.clientId),
    );
    const clients = [...this.db.clients.values()].filter((c) => granted.has(c.id)).sort(byNameThenId);
    return Promise.resolve(clients.slice(page.offset, page.offset + page.limit));
  }
}

/** Secrets keyed by digest, as the unique index in PostgreSQL. */
export class InMemoryClientSecretRepository implements ClientSecretRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(secret: ClientSecret): Promise<'inserted' | 'client_missing'> {
    if (!this.db.clients.has(secret.clientId)) return Promise.resolve('client_missing');
    if (this.db.clientSecrets.has(secret.digest)) return Promise.reject(new Error('duplicate secret digest'));
    this.db.put(this.journal, this.db.clientSecrets, secret.digest, secret);
    return Promise.resolve('inserted');
  }

  listForClient(clientId: ClientId): Promise<ClientSecret[]> {
    return Promise.resolve(
      [...this.db.clientSecrets.values()]
        .filter((s) => s.clientId === clientId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)),
    );
  }

  findByDigest(digest: CredentialDigest): Promise<ClientSecret | undefined> {
    return Promise.resolve(this.db.clientSecrets.get(digest));
  }

  findWithClient(digest: CredentialDigest): Promise<SecretWithClient | undefined> {
    const secret = this.db.clientSecrets.get(digest);
    const client = secret === undefined ? undefined : this.db.clients.get(secret.clientId);
    return Promise.resolve(secret === undefined || client === undefined ? undefined : { secret, client });
  }

  delete(clientId: ClientId, id: ClientSecretId): Promise<boolean> {
    const secret = this.byId(id);
    if (secret?.clientId !== clientId) return Promise.resolve(false);
    this.db.remove(this.journal, this.db.clientSecrets, secret.digest);
    // ON DELETE SET NULL: tokens obtained with it live on, unlinked.
    for (const key of [...this.db.apiKeys.values()]) {
      if (key.secretId === id) {
        const { secretId: _unlinked, ...rest } = key;
        this.db.put(this.journal, this.db.apiKeys, key.digest, rest);
      }
    }
    for (const [digest, token] of [...this.db.refreshTokens]) {
      if (token.secretId === id) {
        const { secretId: _unlinked, ...rest } = token;
        this.db.put(this.journal, this.db.refreshTokens, digest, rest);
      }
    }
    return Promise.resolve(true);
  }

  recordUse(id: ClientSecretId, at: Date): Promise<void> {
    const secret = this.byId(id);
    if (secret === undefined) return Promise.resolve();
    const last = secret.lastUsedAt?.getTime();
    if (last === undefined || at.getTime() - last >= 60_000) {
      this.db.put(this.journal, this.db.clientSecrets, secret.digest, { ...secret, lastUsedAt: at });
    }
    return Promise.resolve();
  }

  private byId(id: ClientSecretId): ClientSecret | undefined {
    const digest = this.db.keyOfId(this.db.clientSecrets, id);
    return digest === undefined ? undefined : this.db.clientSecrets.get(digest);
  }
}
