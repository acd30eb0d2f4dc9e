import type { ApiKey } from '../model/api-key.js';
import type { AuditEntry } from '../model/audit.js';
import type { StoredUser } from '../ports/user-repository.js';

/**
 * The state behind the in-memory adapters, with an undo log so that a transaction that ends in
 * `Left` leaves nothing behind, as PostgreSQL would.
 */
export class InMemoryDatabase {
  readonly users = new Map<string, StoredUser>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly auditEntries: AuditEntry[] = [];
  private undoLog: (() => void)[] | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Registers how to undo a write just made; a no-op outside a transaction. */
  recordUndo(undo: () => void): void {
    this.undoLog?.push(undo);
  }

  /** Sets `key` in `map`, remembering the previous value for rollback. */
  put<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    this.recordUndo(() => (had ? map.set(key, previous as V) : map.delete(key)));
  }

  /** Deletes `key` from `map`, remembering the value for rollback. */
  remove<K, V>(map: Map<K, V>, key: K): boolean {
    if (!map.has(key)) return false;
    const previous = map.get(key) as V;
    map.delete(key);
    this.recordUndo(() => map.set(key, previous));
    return true;
  }

  /**
   * Runs `work` alone (transactions are serialised, like SERIALIZABLE), rolling back its writes
   * when `shouldCommit` says no or the work throws.
   */
  async transaction<A>(work: () => Promise<A>, shouldCommit: (result: A) => boolean): Promise<A> {
    const run = async (): Promise<A> => {
      const log: (() => void)[] = [];
      this.undoLog = log;
      try {
        const result = await work();
        if (!shouldCommit(result)) this.rollback(log);
        return result;
      } catch (error) {
        this.rollback(log);
        throw error;
      } finally {
        this.undoLog = undefined;
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
