import { isStorageUnavailable, StorageError, type Email } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aUser, rejectionOf } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

/**
 * Values the edge refuses (docs/http-api.md#request-bodies-and-input-text) but that a port could still be handed: PostgreSQL refuses
 * them, and that is a failed statement (a 500), not an outage (a 503).
 */
describe('values PostgreSQL cannot store, handed to the PostgreSQL storage', () => {
  let pg: PostgresHarness;

  before(async () => {
    pg = await withPostgres();
  });
  beforeEach(() => pg.truncate());
  after(() => pg.cleanup());

  const expectStatementFailure = (rejection: unknown, sqlState: RegExp): void => {
    expect(rejection).to.be.instanceOf(StorageError);
    expect(isStorageUnavailable(rejection)).to.equal(false);
    expect((rejection as StorageError).facts.sqlState).to.match(sqlState);
  };

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    // Every value goes to PostgreSQL as a parameter, and no text type takes U+0000: 22021,
    // character_not_in_repertoire ("invalid byte sequence for encoding UTF8: 0x00").
    [
      'U+0000 in a text column',
      () => pg.storage.users.insert(aUser(1, { email: 'a\u0000@example.com' as Email }), 'h'),
      /^22021$/,
    ],
    ['U+0000 in a lookup parameter', () => pg.storage.users.findByEmail('a\u0000@example.com'), /^22021$/],
    [
      'U+0000 in a JSON column',
      () => pg.storage.clients.insert(aClient(1, { metadata: { softwareId: 'x\u0000' } })),
      /^22/,
    ],
    [
      'an unpaired surrogate in a JSON column',
      () => pg.storage.clients.insert(aClient(2, { metadata: { clientName: 'x\ud800' } })),
      /^22/,
    ],
  ];

  for (const [what, call, sqlState] of cases) {
    it(`rejects ${what} as a failed statement, and serves the next call`, async () => {
      expectStatementFailure(await rejectionOf(call()), sqlState);
      expect(await pg.storage.users.insert(aUser(9), 'h')).to.equal('inserted');
      expect(await pg.storage.health.ping()).to.equal(true);
    });
  }
});
