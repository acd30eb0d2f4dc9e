import type { HealthCheck, Repositories, SigningKeyRepository, Transactor } from '@latchkey/domain';
import { createInMemoryStorage, type InMemoryDatabase } from '@latchkey/domain/in-memory';
import { withPostgres } from '../support/postgres.js';

/** The ports a storage adapter provides, as the contract suites see them. */
export interface Storage extends Repositories {
  readonly transactor: Transactor;
  readonly health: HealthCheck;
  readonly signingKeys: SigningKeyRepository;
}

interface OpenedStorage {
  readonly storage: Storage;
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface StorageTarget {
  readonly name: string;
  open(): Promise<OpenedStorage>;
}

/** Clears every table of the in-memory database, including any added after this was written. */
const emptied = (db: InMemoryDatabase): Promise<void> => {
  for (const table of Object.values(db) as unknown[]) {
    if (table instanceof Map) table.clear();
    else if (Array.isArray(table)) table.length = 0;
  }
  return Promise.resolve();
};

const inMemory: StorageTarget = {
  name: 'in-memory',
  open: () => {
    const storage = createInMemoryStorage();
    return Promise.resolve({
      storage,
      reset: () => emptied(storage.db),
      close: () => Promise.resolve(),
    });
  },
};

const postgres: StorageTarget = {
  name: 'PostgreSQL',
  open: async () => {
    const pg = await withPostgres();
    return { storage: pg.storage, reset: () => pg.truncate(), close: () => pg.cleanup() };
  },
};

/** Every adapter set the port contracts hold for. */
export const STORAGE_TARGETS: readonly StorageTarget[] = [inMemory, postgres];

/**
 * Declares the same cases once per adapter set, each set opened once for the suite and emptied
 * before every case. `define` receives accessors because the storage only exists once the
 * `before` hook has run.
 */
export const forEachStorage = (define: (storage: () => Storage) => void): void => {
  for (const target of STORAGE_TARGETS) {
    context(`with the ${target.name} adapters`, function () {
      let opened: OpenedStorage | undefined;
      const storage = (): Storage => {
        if (opened === undefined) throw new Error(`the ${target.name} storage is not open`);
        return opened.storage;
      };
      before(async () => {
        opened = await target.open();
      });
      beforeEach(async () => {
        await opened?.reset();
      });
      after(async () => {
        await opened?.close();
      });
      define(storage);
    });
  }
};
