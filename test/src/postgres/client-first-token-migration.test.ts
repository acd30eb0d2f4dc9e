import { expect } from 'chai';
import { aClient, aGrant, anApiKey, at, aUser } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

const MIGRATION = 'Migration20261127000004ClientFirstToken';

const user = aUser(1);
/** Consented to at 50 s. */
const consented = aClient(1, { dynamicallyRegistered: true });
const consentedGrant = aGrant(1, consented.id, user.id, { createdAt: at(50) });
/** An access token at 30 s, before its (later) grant at 50 s. */
const tokened = aClient(2, { dynamicallyRegistered: true });
const tokenedGrant = aGrant(2, tokened.id, user.id, { createdAt: at(50) });
const tokenedKey = anApiKey(2, user.id, { kind: 'access', clientId: tokened.id, createdAt: at(30) });
/** Nothing: registered and never used. */
const unused = aClient(3, { dynamicallyRegistered: true });

describe('the first-token migration', () => {
  let pg: PostgresHarness;

  before(async () => {
    pg = await withPostgres();
    await pg.storage.users.insert(user, 'h');
    for (const client of [consented, tokened, unused]) await pg.storage.clients.insert(client);
    await pg.storage.grants.insert(consentedGrant);
    await pg.storage.grants.insert(tokenedGrant);
    await pg.storage.apiKeys.insert(tokenedKey);
    await pg.storage.orm.migrator.down({ migrations: [MIGRATION] });
  });
  after(() => pg.cleanup());

  it('fills in existing clients from their tokens and grants, the earliest of them, and no others', async () => {
    expect(await pg.migrate()).to.deep.equal([MIGRATION]);
    expect((await pg.storage.clients.findById(consented.id))?.firstTokenAt).to.deep.equal(at(50));
    expect((await pg.storage.clients.findById(tokened.id))?.firstTokenAt).to.deep.equal(at(30));
    expect(await pg.storage.clients.findById(unused.id)).to.deep.equal(unused);
  });
});
