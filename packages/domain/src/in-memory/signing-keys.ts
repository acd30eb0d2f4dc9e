import type { SigningKey } from '../model/signing-key.js';
import type { SigningKeyRepository } from '../ports/signing-key-repository.js';
import type { InMemoryDatabase } from './database.js';

/**
 * `SigningKeyRepository` in memory, with the same uniqueness as PostgreSQL's: one key per
 * algorithm and generation, and one per `kid`.
 */
export class InMemorySigningKeyRepository implements SigningKeyRepository {
  readonly #keys: Map<string, SigningKey>;

  constructor(db: InMemoryDatabase) {
    this.#keys = db.signingKeys;
  }

  list(): Promise<SigningKey[]> {
    return Promise.resolve([...this.#keys.values()]);
  }

  insert(key: SigningKey): Promise<boolean> {
    const taken =
      this.#keys.has(key.kid) ||
      [...this.#keys.values()].some((other) => other.alg === key.alg && other.generation === key.generation);
    if (!taken) this.#keys.set(key.kid, key);
    return Promise.resolve(!taken);
  }

  delete(kids: readonly string[]): Promise<number> {
    let count = 0;
    for (const kid of kids) if (this.#keys.delete(kid)) count += 1;
    return Promise.resolve(count);
  }
}
