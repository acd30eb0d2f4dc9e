import type { ApiKey } from '../model/api-key.js';
import type { AuditEntry } from '../model/audit.js';
import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientSecret, OAuthClient } from '../model/client.js';
import type { Grant } from '../model/grant.js';
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
  private queue: Promise<unknown> = Promise.resolve();

  /** Sets `key` in `map`, journaling the previous value for rollback. */
  put<K, V>(journal: Journal, map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    journal?.push(() => (had ? map.set(key, previous as V) : map.delete(key)));
  }

  /** Deletes `key` from `map`, journaling the value for rollback. */
  remove<K, V>(journal: Journal, map: Map<K, V>, key: K): boolean {
    if (!map.has(key)) return false;
    const previous = map.get(key) as V;
    map.delete(key);
    journal?.push(() => map.set(key, previous));
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
