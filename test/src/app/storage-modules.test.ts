import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildContainer,
  createLogger,
  decodeConfig,
  deleteExpired,
  memoryStorageModule,
  postgresStorageModule,
  STORAGE_MODULES,
  TOKENS,
  type Storage,
} from '@latchkey/app';
import { createInMemoryStorage } from '@latchkey/domain/in-memory';
import type { PostgresStorage } from '@latchkey/adapters-postgres';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aUser } from '../contract/fixtures.js';
import { copyInitialisedDataDir, onServerDatabase, TEST_DATABASE_URL_VARIABLE } from '../support/postgres.js';

const configOf = (env: Record<string, string>) => {
  const decoded = decodeConfig(env);
  if (E.isLeft(decoded)) throw new Error(decoded.left.join('; '));
  return decoded.right;
};

const logger = createLogger('silent');

const storageOf = (env: Record<string, string>, storage?: Storage): Promise<Storage> =>
  buildContainer(configOf(env), logger, storage === undefined ? {} : { storage }).getAsync<Storage>(
    TOKENS.Storage,
  );

/*
 * The composition root binds the storage through one container module per adapter set, chosen
 * by `LATCHKEY_STORAGE`; a test may hand in a storage of its own instead (`Overrides.storage`).
 */
describe('the storage modules of the composition root', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  it('has one module per LATCHKEY_STORAGE value', () => {
    expect(STORAGE_MODULES).to.deep.equal({ memory: memoryStorageModule, postgres: postgresStorageModule });
    expect(memoryStorageModule).to.not.equal(postgresStorageModule);
  });

  it('opens the in-memory adapters for LATCHKEY_STORAGE=memory, a new one per container', async () => {
    const first = await storageOf({ LATCHKEY_STORAGE: 'memory' });
    const second = await storageOf({ LATCHKEY_STORAGE: 'memory' });
    expect(await first.users.insert(aUser(1), 'h')).to.equal('inserted');
    expect(await first.users.any()).to.equal(true);
    expect(await second.users.any()).to.equal(false);
    expect(first).to.not.have.property('orm');
    // In memory, the rate limits are counted in the process (docs/security.md#rate-limits).
    expect(first.rateLimits).to.equal(undefined);
    await Promise.all([first.close(), second.close()]);
  });

  it('opens and migrates PostgreSQL for LATCHKEY_STORAGE=postgres', async () => {
    const serverUrl = process.env[TEST_DATABASE_URL_VARIABLE];
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-storage-module-'));
    const database =
      serverUrl === undefined || serverUrl === ''
        ? undefined
        : await onServerDatabase(serverUrl, { poolMax: 1 });
    try {
      const dataDir = join(dir, 'pgdata');
      if (database === undefined) await copyInitialisedDataDir(dataDir);
      const storage = await storageOf({
        LATCHKEY_STORAGE: 'postgres',
        LATCHKEY_DATA_DIR: dataDir,
        ...(database === undefined
          ? {}
          : {
              LATCHKEY_DATABASE_URL: database.url,
              LATCHKEY_SIGNING_KEY_SECRET: 'storage modules signing key secret 0123456789',
            }),
      });
      try {
        expect(storage).to.have.property('orm');
        expect(await storage.users.any()).to.equal(false);
        expect(await storage.users.insert(aUser(1), 'h')).to.equal('inserted');
        expect(await storage.users.findById(aUser(1).id)).to.deep.equal(aUser(1));
        // Shared rate limits on a server only: the embedded database is one process by construction.
        expect(storage.rateLimits !== undefined).to.equal(database !== undefined);
        if (storage.rateLimits !== undefined) {
          // The maintenance purge forgets the ended windows with the expired rows.
          const now = new Date();
          await storage.rateLimits.add('ended', 1, 1000, new Date(now.getTime() - 2000));
          await storage.rateLimits.add('running', 1, 60_000, now);
          expect(await deleteExpired(storage, now)).to.equal(1);
          expect(await storage.rateLimits.peek('running', now)).to.deep.include({ spent: 1 });
        }
      } finally {
        await storage.close();
      }
    } finally {
      await database?.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  // docs/deployment.md#memory: the setting reaches the embedded database's PostgreSQL.
  for (const [setting, expected] of [
    [undefined, '16MB'],
    ['40', '40MB'],
  ] as const) {
    it(`starts the embedded database with shared_buffers ${expected} (LATCHKEY_EMBEDDED_SHARED_BUFFERS ${setting ?? 'unset'})`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'latchkey-storage-module-'));
      try {
        const dataDir = join(dir, 'pgdata');
        await copyInitialisedDataDir(dataDir);
        const storage = await storageOf({
          LATCHKEY_STORAGE: 'postgres',
          LATCHKEY_DATA_DIR: dataDir,
          ...(setting === undefined ? {} : { LATCHKEY_EMBEDDED_SHARED_BUFFERS: setting }),
        });
        try {
          expect(storage).to.have.property('orm');
          const { orm } = storage as PostgresStorage;
          const rows = await orm.em
            .getConnection()
            .execute<{ shared_buffers: string }[]>('show shared_buffers');
          expect(rows).to.deep.equal([{ shared_buffers: expected }]);
        } finally {
          await storage.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('binds the storage a test hands in instead, whatever LATCHKEY_STORAGE says', async () => {
    const given: Storage = { ...createInMemoryStorage(), close: () => Promise.resolve() };
    expect(await storageOf({ LATCHKEY_STORAGE: 'postgres' }, given)).to.equal(given);
    expect(await storageOf({ LATCHKEY_STORAGE: 'memory' }, given)).to.equal(given);
  });
});
