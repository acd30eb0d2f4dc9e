import { expect } from 'chai';
import { aClient, aGrant, aUser } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

const MIGRATION = 'Migration20261127000003AuthorizationCodeFlow';
const TABLES = ['oauth2_pending_authorizations', 'oauth2_codes', 'oauth2_refresh_tokens'];

const user = aUser(1);
const client = aClient(1);
const grant = aGrant(1, client.id, user.id);

/** Which of `TABLES` exist. */
const existing = async (pg: PostgresHarness): Promise<string[]> => {
  const rows = await pg.storage.orm.em.getConnection().execute<{ name: string }[]>(
    `select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_name in (?) order by table_name`,
    [TABLES],
  );
  return rows.map((row) => row.name);
};

describe('the authorization code flow migration', () => {
  let pg: PostgresHarness;

  before(async () => {
    pg = await withPostgres();
    await pg.storage.users.insert(user, 'h');
    await pg.storage.clients.insert(client);
    await pg.storage.grants.insert(grant);
  });
  after(() => pg.cleanup());

  context('when reverted', () => {
    it('drops its tables and keeps the grants, then goes up again', async () => {
      await pg.storage.orm.migrator.down({ migrations: [MIGRATION] });
      expect(await existing(pg)).to.deep.equal([]);
      expect(await pg.storage.grants.findById(grant.id)).to.deep.equal(grant);
      expect(await pg.migrate()).to.deep.equal([MIGRATION]);
      expect(await existing(pg)).to.deep.equal([...TABLES].sort());
    });
  });
});
