import { createLogger, ScryptPasswordHasher } from '@latchkey/app';
import type { Email } from '@latchkey/domain';
import { expect } from 'chai';
import { aUser, rejectionOf } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, postJson, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

/** A check constraint the tests add to refuse one email domain, so that a user insert fails. */
const REFUSING_CONSTRAINT = 'test_users_refused_email_check';
const REFUSED_DOMAIN = 'refused.example';

/** Every `length`-character piece of `secret`. */
const fragments = (secret: string, length: number): string[] =>
  Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));

/** Fails with the first piece of `secret` found in `text`. */
const expectNoFragmentOf = (text: string, secret: string): void => {
  expect(text).to.not.include(secret);
  const found = fragments(secret, 12).find((piece) => text.includes(piece));
  expect(found, 'a piece of the secret').to.equal(undefined);
};

/** Log lines as parsed JSON objects. */
const parsed = (lines: readonly string[]): Record<string, unknown>[] =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a failing user write on PostgreSQL, in the log (docs/security.md#what-is-logged)', () => {
  let pg: PostgresHarness;

  before(async () => {
    pg = await withPostgres();
    await pg.storage.orm.em
      .getConnection()
      .execute(
        `alter table users add constraint ${REFUSING_CONSTRAINT} check (email not like '%@${REFUSED_DOMAIN}')`,
      );
  });
  beforeEach(() => pg.truncate());
  after(() => pg.cleanup());

  context('when the repository is handed the scrypt hash of a real password', () => {
    const password = 'refused write password';
    let hash: string;
    let lines: string[];
    let log: ReturnType<typeof createLogger>;

    before(async () => {
      hash = await (await ScryptPasswordHasher.create(10)).hash(password);
    });
    beforeEach(() => {
      lines = [];
      log = createLogger('info', {
        write: (line: string) => {
          lines.push(line);
        },
      });
    });

    const failures: [string, () => Promise<unknown>][] = [
      [
        'an email holding U+0000',
        () => pg.storage.users.insert(aUser(1, { email: 'a\u0000@example.com' as Email }), hash),
      ],
      [
        'a check violation',
        () => pg.storage.users.insert(aUser(2, { email: `b@${REFUSED_DOMAIN}` as Email }), hash),
      ],
      [
        'a check violation of the first user',
        () => pg.storage.users.insertFirst(aUser(3, { email: `c@${REFUSED_DOMAIN}` as Email }), hash),
      ],
    ];

    for (const [what, insert] of failures) {
      it(`logs ${what} without the hash, any piece of it, or the statement`, async () => {
        const rejection = await rejectionOf(insert());
        log.error({ err: rejection }, 'request failed');
        expect(lines).to.have.length(1);
        const text = lines.join('\n');
        expectNoFragmentOf(text, hash);
        expect(text).to.not.include(password);
        expect(text).to.not.match(/insert into|password_hash/i);
        const [line] = parsed(lines);
        const err = line?.err as { type: string; facts: Record<string, unknown> };
        expect(err.type).to.match(/^Storage(Unavailable)?Error$/);
        expect(err.facts.sqlState).to.match(/^[0-9A-Z]{5}$/);
        expect(err.facts.errorClass).to.be.a('string');
      });
    }

    it('names the SQLSTATE, the table and the constraint of a check violation', async () => {
      const rejection = await rejectionOf(
        pg.storage.users.insert(aUser(4, { email: `d@${REFUSED_DOMAIN}` as Email }), hash),
      );
      expect((rejection as { facts: unknown }).facts).to.deep.include({
        sqlState: '23514',
        condition: 'check_violation',
        table: 'users',
        constraint: REFUSING_CONSTRAINT,
      });
    });
  });

  context('when a user created through the API cannot be stored', () => {
    let server: TestServer;
    let token: string;

    beforeEach(async () => {
      // The harness owns the database; the server must not close it when it stops.
      server = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
      token = await setUpOwner(server.url);
    });
    afterEach(() => server.stop());

    it('answers 500 with the request id only, and logs neither the password nor its hash', async () => {
      const password = 'api refused password';
      const response = await postJson(
        `${server.url}/api/v2/users`,
        { email: `new@${REFUSED_DOMAIN}`, username: 'refused', password },
        bearer(token),
      );
      expect(response.status).to.equal(500);
      expect(Object.keys(response.body as object)).to.deep.equal(['message', 'detail']);

      const failure = parsed(server.logs).find((line) => line.msg === 'request failed');
      expect(failure, 'the failure is logged').to.not.equal(undefined);
      expect((failure?.err as { facts: unknown }).facts).to.deep.include({
        sqlState: '23514',
        constraint: REFUSING_CONSTRAINT,
      });
      const text = server.logs.join('\n');
      expect(text).to.not.include(password);
      // Every scrypt-kdf hash starts with the base64 of its "scrypt" header.
      expect(text).to.not.include('c2NyeXB0');
      expect(text).to.not.match(/insert into|password_hash/i);
    });
  });
});
