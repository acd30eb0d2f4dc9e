import { createPostgresStorage, migrate, type PostgresStorage } from '@latchkey/adapters-postgres';
import { expect } from 'chai';
import pg from 'pg';
import {
  createClient,
  exchange,
  expectOAuthError,
  expectTokens,
  introspect,
  obtainCode,
  obtainTokens,
  refresh,
  registerClient,
  revoke,
  startOAuthServer,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { onServerDatabase, requiredServerUrl } from '../support/postgres.js';
import type { JsonResponse } from '../support/server.js';

const okCount = (responses: readonly JsonResponse[]): number =>
  responses.filter((r) => r.status === 200).length;

/*
 * Latchkey behind PgBouncer in transaction pooling mode (docs/deployment.md#pgbouncer): the
 * server's pool has more connections than PgBouncer has server connections, so consecutive
 * statements of one of Latchkey's connections reach different PostgreSQL sessions, which is what
 * breaks named prepared statements and session locks unless LATCHKEY_DATABASE_POOLER=transaction.
 */
describe('behind PgBouncer in transaction pooling mode (docs/deployment.md#pgbouncer)', function () {
  this.timeout(120_000);
  let bouncer: PgBouncer | undefined;
  let database: { url: string; dispose(): Promise<void> } | undefined;
  let h: OAuthHarness | undefined;
  let viaBouncer: string;

  before(async function () {
    const serverUrl = requiredServerUrl(() => this.skip());
    bouncer = await startPgBouncer(serverUrl, () => this.skip(), { serverConnections: 3 });
    database = await onServerDatabase(serverUrl);
    viaBouncer = bouncer.urlOf(database.url);
  });
  after(async () => {
    await h?.server.stop();
    await database?.dispose();
    await bouncer?.stop();
  });

  const harness = (): OAuthHarness => {
    if (h === undefined) throw new Error('the server did not start');
    return h;
  };

  it('migrates a fresh database from three instances at once, leaving no lock behind', async () => {
    const instances: PostgresStorage[] = [];
    try {
      for (let i = 0; i < 3; i += 1)
        instances.push(
          await createPostgresStorage({ clientUrl: viaBouncer, poolMax: 4, pooler: 'transaction' }),
        );
      const applied = await Promise.all(
        instances.map((instance) => migrate(instance.orm, { pooler: 'transaction' })),
      );
      // One instance applied every migration; the others found none pending.
      const counts = applied.map((names) => names.length).sort((a, b) => a - b);
      expect(counts.slice(0, 2)).to.deep.equal([0, 0]);
      expect(counts[2]).to.be.greaterThan(0);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
    const direct = new pg.Client({ connectionString: database?.url });
    await direct.connect();
    try {
      const locks = await direct.query(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
      );
      expect(locks.rows[0]).to.deep.equal({ n: 0 });
    } finally {
      await direct.end();
    }
  });

  it('serves the authorization code flow: exchange, refresh rotation, introspection, revocation', async () => {
    h = await startOAuthServer({
      LATCHKEY_STORAGE: 'postgres',
      LATCHKEY_DATABASE_URL: viaBouncer,
      LATCHKEY_SIGNING_KEY_SECRET: 'pgbouncer signing key secret 0123456789abcdef',
      LATCHKEY_DATABASE_POOLER: 'transaction',
      LATCHKEY_DATABASE_POOL_SIZE: '10',
    });
    const { url } = harness();
    const client = await createClient(harness());
    // Several grants at once, so that the pool's connections interleave on PgBouncer's three.
    const sets = await Promise.all(Array.from({ length: 6 }, () => obtainTokens(harness(), client)));
    for (const tokens of sets) {
      const active = await introspect(url, client, tokens.access_token);
      expect(active.body).to.include({ active: true, client_id: client.id });
    }
    const [first] = sets;
    if (first?.refresh_token === undefined) throw new Error('no refresh token');
    const rotated = expectTokens(await refresh(url, client, first.refresh_token));
    expect(rotated.refresh_token).to.be.a('string').and.not.equal(first.refresh_token);
    expect((await revoke(url, client, rotated.refresh_token)).status).to.equal(200);
    expect((await introspect(url, client, rotated.access_token)).body).to.deep.equal({ active: false });
    expectOAuthError(await refresh(url, client, rotated.refresh_token), 400, 'invalid_grant');
  });

  it('redeems one code fired ten times at once exactly once', async () => {
    const client = await createClient(harness());
    const code = await obtainCode(harness(), client);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => exchange(harness().url, client, code)),
    );
    expect(okCount(responses), responses.map((r) => r.status).join()).to.equal(1);
  });

  it('rotates one refresh token fired ten times at once at most twice (the grace window)', async () => {
    const client = await createClient(harness());
    const tokens = await obtainTokens(harness(), client);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(harness().url, client, tokens.refresh_token)),
    );
    expect(okCount(responses), responses.map((r) => r.status).join()).to.be.within(1, 2);
  });

  it('registers clients dynamically, which then complete the flow', async () => {
    const registered = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        registerClient(harness(), {
          client_name: `bounced-${i}`,
          redirect_uris: [`https://bounced${i}.example.com/cb`],
          token_endpoint_auth_method: 'none',
        }),
      ),
    );
    for (const client of registered) {
      const tokens = await obtainTokens(harness(), client);
      expect(tokens.access_token).to.be.a('string');
    }
  });
});
