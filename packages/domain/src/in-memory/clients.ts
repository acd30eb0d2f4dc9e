import type { AuditEntry } from '../model/audit.js';
import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import { isGrantLive } from '../model/grant.js';
import type { UserId } from '../model/ids.js';
import type {
  AbandonedClientCriteria,
  ClientQuery,
  ClientLastIssued,
  ClientRepository,
  ClientSecretRepository,
  SecretWithClient,
} from '../ports/client-repository.js';
import type { Page } from '../ports/user-repository.js';
import { InMemoryAuditLog } from './audit-log.js';
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

  /** Checked before anything is written, so that a refusal leaves nothing behind. */
  async insertRegistered(
    client: OAuthClient,
    secret: ClientSecret | undefined,
    audit: AuditEntry,
  ): Promise<void> {
    if (this.db.clients.has(client.id)) throw new Error('duplicate client id');
    if (secret !== undefined && (secret.clientId !== client.id || this.db.clientSecrets.has(secret.digest)))
      throw new Error('a secret of another client, or a duplicate secret digest');
    await this.insert(client);
    if (secret !== undefined) this.db.put(this.journal, this.db.clientSecrets, secret.digest, secret);
    await new InMemoryAuditLog(this.db, this.journal).append(audit);
  }

  update(client: OAuthClient): Promise<boolean> {
    const stored = this.db.clients.get(client.id);
    if (stored === undefined) return Promise.resolve(false);
    const { firstTokenAt: _ignored, ...rest } = client;
    const firstTokenAt = stored.firstTokenAt;
    this.db.put(this.journal, this.db.clients, client.id, {
      ...rest,
      ...(firstTokenAt === undefined ? {} : { firstTokenAt }),
    });
    return Promise.resolve(true);
  }

  recordFirstToken(id: ClientId, at: Date): Promise<void> {
    const stored = this.db.clients.get(id.toLowerCase());
    if (stored !== undefined && stored.firstTokenAt === undefined)
      this.db.put(this.journal, this.db.clients, stored.id, { ...stored, firstTokenAt: at });
    return Promise.resolve();
  }

  delete(id: ClientId): Promise<boolean> {
    if (!this.db.clients.has(id)) return Promise.resolve(false);
    this.deleteAll(new Set([id]));
    return Promise.resolve(true);
  }

  /**
   * Deletes the clients and everything derived from them, as the cascades do in PostgreSQL, with
   * one pass over each table whatever the number of clients.
   */
  private deleteAll(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    const owned = (row: { clientId?: string }) => row.clientId !== undefined && ids.has(row.clientId);
    this.removeWhere(this.db.clientSecrets, owned);
    this.removeWhere(this.db.grants, owned);
    this.removeWhere(this.db.codes, owned);
    this.removeWhere(this.db.refreshTokens, owned);
    this.removeWhere(this.db.pendingAuthorizations, owned);
    this.removeWhere(this.db.apiKeys, owned);
    for (const id of ids) this.db.remove(this.journal, this.db.clients, id);
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

  /**
   * One pass over the grants, then one over each table for all the abandoned clients together:
   * a scan of the grants per client is quadratic, and the store may hold hundreds of thousands of
   * rows (the benchmark's server stopped answering for minutes under that scan).
   */
  deleteAbandoned(criteria: AbandonedClientCriteria): Promise<OAuthClient[]> {
    const grantsOf = new Map<string, { live: boolean; lastEnded: number }>();
    for (const grant of this.db.grants.values()) {
      const facts = grantsOf.get(grant.clientId) ?? { live: false, lastEnded: -Infinity };
      if (isGrantLive(grant, criteria.now)) facts.live = true;
      else facts.lastEnded = Math.max(facts.lastEnded, (grant.revokedAt ?? grant.expiresAt).getTime());
      grantsOf.set(grant.clientId, facts);
    }
    const abandoned = [...this.db.clients.values()].filter((client) => {
      if (!client.dynamicallyRegistered) return false;
      if (client.firstTokenAt === undefined)
        return client.createdAt.getTime() < criteria.registeredBefore.getTime();
      const facts = grantsOf.get(client.id);
      if (facts === undefined) return client.firstTokenAt.getTime() < criteria.idleSince.getTime();
      return !facts.live && facts.lastEnded < criteria.idleSince.getTime();
    });
    this.deleteAll(new Set(abandoned.map((client) => client.id)));
    return Promise.resolve(abandoned);
  }

  saveMetadataDocumentClient(client: OAuthClient): Promise<OAuthClient> {
    const url = client.metadataDocumentUrl;
    if (url === undefined) return Promise.reject(new Error('not a metadata document client'));
    const stored = [...this.db.clients.values()].find((c) => c.metadataDocumentUrl === url);
    if (stored === undefined) {
      if (this.db.clients.has(client.id)) return Promise.reject(new Error('duplicate client id'));
      this.db.put(this.journal, this.db.clients, client.id, client);
      return Promise.resolve(client);
    }
    const { firstTokenAt: _ignored, ...rest } = client;
    const updated: OAuthClient = {
      ...rest,
      id: stored.id,
      createdAt: stored.createdAt,
      ...(stored.firstTokenAt === undefined ? {} : { firstTokenAt: stored.firstTokenAt }),
    };
    this.db.put(this.journal, this.db.clients, stored.id, updated);
    return Promise.resolve(updated);
  }

  findByMetadataDocumentUrl(url: string): Promise<OAuthClient | undefined> {
    return Promise.resolve([...this.db.clients.values()].find((c) => c.metadataDocumentUrl === url));
  }

  lastIssued(ids: readonly ClientId[]): Promise<ClientLastIssued[]> {
    const wanted = new Set<string>(ids);
    const latest = new Map<ClientId, number>();
    for (const key of this.db.apiKeys.values()) {
      if (key.kind !== 'access' || key.clientId === undefined || !wanted.has(key.clientId)) continue;
      latest.set(key.clientId, Math.max(latest.get(key.clientId) ?? 0, key.createdAt.getTime()));
    }
    return Promise.resolve([...latest].map(([clientId, at]) => ({ clientId, at: new Date(at) })));
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
