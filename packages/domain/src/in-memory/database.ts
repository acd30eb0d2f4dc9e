import type { ApiKey } from '../model/api-key.js';
import type { AuditEntry } from '../model/audit.js';
import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientSecret, OAuthClient } from '../model/client.js';
import type { Grant } from '../model/grant.js';
import type { SigningKey } from '../model/signing-key.js';
import type { StoredUser } from '../ports/user-repository.js';

/** How to undo the writes of one transaction, newest last; `undefined` outside a transaction. */
export type Journal = (() => void)[] | undefined;

/**
 * The state behind the in-memory adapters. Writes made through a transaction's repositories are
 * journaled so that a transaction that ends in `Left` leaves nothing behind, as PostgreSQL would;
 * writes made outside it are not touched by its rollback.
 */
export class InMemoryDatabase {
  readonly users = new Map<string, StoredUser>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly auditEntries: AuditEntry[] = [];
  readonly clients = new Map<string, OAuthClient>();
  /** By digest. */
  readonly clientSecrets = new Map<string, ClientSecret>();
  readonly grants = new Map<string, Grant>();
  /** By digest, like the rest below. */
  readonly pendingAuthorizations = new Map<string, PendingAuthorization>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  /** By kid; outside transactions (docs/openid-connect.md#signing-keys). */
  readonly signingKeys = new Map<string, SigningKey>();
  private queue: Promise<unknown> = Promise.resolve();
  /** id → key indexes of the tables whose rows are looked up by id but keyed by digest. */
  readonly #idIndexes = new Map<Map<string, unknown>, Map<string, string>>([
    [this.apiKeys, new Map()],
    [this.codes, new Map()],
    [this.refreshTokens, new Map()],
    [this.clientSecrets, new Map()],
  ]);

  /** The key (digest) of the row with this id, in a table indexed by id. */
  keyOfId(map: Map<string, unknown>, id: string): string | undefined {
    return this.#idIndexes.get(map)?.get(id);
  }

  /** Sets `key` in `map`, journaling the previous value for rollback. */
  put<V>(journal: Journal, map: Map<string, V>, key: string, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    const index = this.#idIndexes.get(map);
    const id = (value as { id?: unknown }).id;
    if (index !== undefined && typeof id === 'string') index.set(id, key);
    journal?.push(() => {
      if (had) map.set(key, previous as V);
      else {
        map.delete(key);
        if (index !== undefined && typeof id === 'string') index.delete(id);
      }
    });
  }

  /** Deletes `key` from `map`, journaling the value for rollback. */
  remove<V>(journal: Journal, map: Map<string, V>, key: string): boolean {
    if (!map.has(key)) return false;
    const previous = map.get(key) as V;
    map.delete(key);
    const index = this.#idIndexes.get(map);
    const id = (previous as { id?: unknown }).id;
    if (index !== undefined && typeof id === 'string') index.delete(id);
    journal?.push(() => {
      map.set(key, previous);
      if (index !== undefined && typeof id === 'string') index.set(id, key);
    });
    return true;
  }

  /**
   * Runs `work` alone (transactions are serialised, like SERIALIZABLE), with a fresh journal,
   * rolling back its writes when `shouldCommit` says no or the work throws.
   */
  async transaction<A>(
    work: (journal: (() => void)[]) => Promise<A>,
    shouldCommit: (result: A) => boolean,
  ): Promise<A> {
    const run = async (): Promise<A> => {
      const log: (() => void)[] = [];
      try {
        const result = await work(log);
        if (!shouldCommit(result)) this.rollback(log);
        return result;
      } catch (error) {
        this.rollback(log);
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private rollback(log: (() => void)[]): void {
    for (const undo of log.reverse()) undo();
  }
}
