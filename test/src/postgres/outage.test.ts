import { isStorageUnavailable } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { aClient, aClientSecret, anApiKey, aUser, rejectionOf } from '../contract/fixtures.js';
import { withPostgres, type EmbeddedDatabase, type PostgresHarness } from '../support/postgres.js';

describe('the PostgreSQL storage when the database goes away', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let pg: PostgresHarness;
  let database: EmbeddedDatabase;

  before(async () => {
    pg = await withPostgres({ embedded: true });
    if (pg.embedded === undefined) throw new Error('the outage tests need the embedded database');
    database = pg.embedded;
  });
  beforeEach(() => pg.truncate());
  after(() => pg.cleanup());

  context('while the database is paused', () => {
    beforeEach(async () => {
      // An idle pooled connection, so that the pause also kills a connection the pool holds.
      expect(await pg.storage.health.ping()).to.equal(true);
      await database.pause();
    });
    afterEach(() => database.resume());

    it('answers false to a ping', async () => {
      expect(await pg.storage.health.ping()).to.equal(false);
    });

    it('rejects repository calls with StorageUnavailableError', async () => {
      const { users, apiKeys, audit, clients, clientSecrets } = pg.storage;
      const client = aClient(1);
      const secret = aClientSecret(1, client.id);
      const page = { limit: 10, offset: 0 };
      const calls = [
        () => users.any(),
        () => users.findById(aUser(1).id),
        () => users.insert(aUser(1), 'h'),
        () => users.insertFirst(aUser(1), 'h'),
        () => apiKeys.findByDigest(anApiKey(1, aUser(1).id).digest),
        () => apiKeys.deleteExpired(new Date()),
        () => audit.list({ limit: 10, offset: 0 }),
        () => apiKeys.revokeObtainedWithSecret(secret.id, new Date()),
        () => clients.insert(client),
        () => clients.update(client),
        () => clients.delete(client.id),
        () => clients.findById(client.id),
        () => clients.list(page),
        () => clients.listGrantedTo(aUser(1).id, new Date(), page),
        () => clientSecrets.insert(secret),
        () => clientSecrets.listForClient(client.id),
        () => clientSecrets.findByDigest(secret.digest),
        () => clientSecrets.delete(client.id, secret.id),
        () => clientSecrets.recordUse(secret.id, new Date()),
      ];
      for (const call of calls) expect(isStorageUnavailable(await rejectionOf(call()))).to.equal(true);
    });

    it('rejects a transaction with StorageUnavailableError', async () => {
      const rejection = await rejectionOf(pg.storage.transactor.run(() => TE.right(undefined)));
      expect(isStorageUnavailable(rejection)).to.equal(true);
    });
  });

  context('when the database comes back', () => {
    it('serves the same storage again without recreating it', async () => {
      expect(await pg.storage.users.insert(aUser(1), 'h')).to.equal('inserted');
      await database.pause();
      expect(await pg.storage.health.ping()).to.equal(false);
      await database.resume();
      expect(await pg.storage.health.ping()).to.equal(true);
      expect(await pg.storage.users.findById(aUser(1).id)).to.deep.equal(aUser(1));
      expect(await pg.storage.users.insert(aUser(2), 'h')).to.equal('inserted');
    });
  });

  context('when the database goes away in the middle of a transaction', () => {
    it('fails the transaction as unavailable and keeps none of its writes', async () => {
      let rejection: unknown;
      try {
        rejection = await rejectionOf(
          pg.storage.transactor.run((tx) => async () => {
            await tx.users.insert(aUser(1), 'h');
            await database.pause();
            await tx.users.insert(aUser(2), 'h');
            return E.right(undefined);
          }),
        );
      } finally {
        await database.resume();
      }
      expect(isStorageUnavailable(rejection)).to.equal(true);
      expect(await pg.storage.users.findById(aUser(1).id)).to.equal(undefined);
    });
  });
});
