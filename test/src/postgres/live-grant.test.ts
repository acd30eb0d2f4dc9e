import { liveGrant } from '@latchkey/adapters-postgres';
import {
  isGrantLive,
  type ApiKeyId,
  type CredentialDigest,
  type Grant,
  type TokenRows,
} from '@latchkey/domain';
import { expect } from 'chai';
import {
  aClient,
  aCode,
  aGrant,
  anAccessToken,
  aRefreshToken,
  aUser,
  at,
  uuid,
} from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

const NOW = at(1000);
const BEFORE = new Date(NOW.getTime() - 1);
const AFTER = new Date(NOW.getTime() + 1);

/** Every grant of the table: each expiry at and around `NOW`, each with every kind of revocation. */
const expiries: readonly [string, Date][] = [
  ['expired a millisecond ago', BEFORE],
  ['expiring now', NOW],
  ['expiring in a millisecond', AFTER],
];
const revocations: readonly [string, Date | undefined][] = [
  ['never revoked', undefined],
  ['revoked a millisecond ago', BEFORE],
  ['revoked now', NOW],
  ['revoked in a millisecond', AFTER],
];
const user = aUser(1);
const cases = expiries.flatMap(([expiry, expiresAt], i) =>
  revocations.map(([revocation, revokedAt], j) => {
    const n = 1 + i * revocations.length + j;
    const client = aClient(n);
    const grant = aGrant(n, client.id, user.id, {
      expiresAt,
      ...(revokedAt === undefined ? {} : { revokedAt }),
    });
    return { what: `${expiry}, ${revocation}`, n, client, grant };
  }),
);

/** New tokens for a redemption or rotation of `grant`. */
const tokensFor = (n: number, grant: Grant): TokenRows => ({
  accessToken: anAccessToken(100 + n, grant, { id: uuid(0x9100 + n) as ApiKeyId }),
  refreshToken: aRefreshToken(100 + n, grant, {
    digest: `f${n.toString(16).padStart(63, '0')}` as CredentialDigest,
  }),
});

/*
 * "The grant is live" is written twice: the domain's `isGrantLive` (the in-memory adapter and the
 * use cases) and `liveGrant`, its SQL twin in the PostgreSQL statements that decide it in the
 * database. Both must give the same answer for the same grant at the same instant, edges included.
 */
describe('the live-grant rule in SQL and in the domain', () => {
  let harness: PostgresHarness;

  before(async () => {
    harness = await withPostgres();
    const { storage } = harness;
    await storage.users.insert(user, 'h');
    for (const { client, grant, n } of cases) {
      await storage.clients.insert(client);
      await storage.grants.insert(grant);
      await storage.codes.insert(aCode(n, grant, { expiresAt: at(100_000) }));
      await storage.refreshTokens.insert(aRefreshToken(n, grant));
    }
  });
  after(() => harness.cleanup());

  it('is neither always true nor always false over the table', () => {
    const answers = new Set(cases.map(({ grant }) => isGrantLive(grant, NOW)));
    expect([...answers].sort()).to.deep.equal([false, true]);
  });

  it('gives the same answer as isGrantLive for every grant, read back from the database', async () => {
    const rows = await harness.storage.sql.all(
      { text: `select g.id, ${liveGrant('g', '$1::timestamptz')} as live from oauth2_grants g` },
      [NOW],
      (raw) => ({ id: raw.id as string, live: raw.live as boolean }),
    );
    for (const { what, grant } of cases) {
      const stored = await harness.storage.grants.findById(grant.id);
      expect(stored, what).to.deep.equal(grant);
      const row = rows.find((r) => r.id === grant.id);
      expect(row?.live, what).to.equal(isGrantLive(grant, NOW));
    }
  });

  it('lists a client granted to the user exactly when its grant is live', async () => {
    const listed = await harness.storage.clients.listGrantedTo(user.id, NOW, { limit: 100, offset: 0 });
    const ids = new Set(listed.map((c) => c.id));
    for (const { what, client, grant } of cases)
      expect(ids.has(client.id), what).to.equal(isGrantLive(grant, NOW));
  });

  it('redeems a code, and rotates a refresh token, exactly when the grant is live', async () => {
    for (const { what, grant, n } of cases) {
      const live = isGrantLive(grant, NOW);
      expect(await harness.storage.codes.redeem(aCode(n, grant).id, NOW, tokensFor(n, grant)), what).to.equal(
        live ? 'redeemed' : 'grant_ended',
      );
      const rotated = { ...tokensFor(50 + n, grant) };
      expect(
        await harness.storage.refreshTokens.exchange(aRefreshToken(n, grant).id, NOW, undefined, rotated),
        what,
      ).to.equal(live ? 'rotated' : 'grant_ended');
    }
  });
});
