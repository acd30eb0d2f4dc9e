import type { ApiKey } from '@latchkey/domain';
import { expect } from 'chai';
import { anApiKey, aUser } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

const MIGRATION = 'Migration20261127000002OAuth2Clients';
/** Depends on this one's tables, so it goes down first and comes back up after it. */
const LATER = ['Migration20261127000003AuthorizationCodeFlow', 'Migration20261127000004ClientFirstToken'];

/** Reverts this migration, and the later ones first. */
const revert = async (pg: PostgresHarness): Promise<void> => {
  for (const name of [...LATER].reverse()) await pg.storage.orm.migrator.down({ migrations: [name] });
  await pg.storage.orm.migrator.down({ migrations: [MIGRATION] });
};

const user = aUser(1);
const session = anApiKey(1, user.id);
const legacy = anApiKey(2, user.id, { kind: 'access' });

/** An api_keys row in the shape the first migration created, where client_id was free text. */
const insertLegacyKey = (pg: PostgresHarness, key: ApiKey, clientId: string | null): Promise<unknown> =>
  pg.storage.orm.em.getConnection().execute(
    `insert into api_keys (id, kind, digest, user_id, scopes, client_id, grant_id, created_at, expires_at)
        values (?, ?, ?, ?, '{all}', ?, ?, ?, ?)`,
    [key.id, key.kind, key.digest, key.userId, clientId, clientId, key.createdAt, key.expiresAt],
  );

describe('the OAuth2 clients migration', () => {
  let pg: PostgresHarness;

  before(async () => {
    pg = await withPostgres();
  });
  after(() => pg.cleanup());

  context('when upgrading a database that already has keys', () => {
    before(async () => {
      await revert(pg);
      await pg.storage.users.insert(user, 'h');
      await insertLegacyKey(pg, session, null);
      await insertLegacyKey(pg, legacy, 'client-1');
    });

    it('applies, keeps session keys, and drops keys naming a client that cannot exist', async () => {
      expect(await pg.migrate()).to.deep.equal([MIGRATION, ...LATER]);
      expect(await pg.storage.apiKeys.findByDigest(session.digest)).to.deep.equal(session);
      expect(await pg.storage.apiKeys.findByDigest(legacy.digest)).to.equal(undefined);
    });
  });

  context('when reverted', () => {
    it('goes down and up again', async () => {
      await revert(pg);
      expect(await pg.migrate()).to.deep.equal([MIGRATION, ...LATER]);
    });
  });
});
