import { expect } from 'chai';
import { onServer, onServerDatabase, requiredServerUrl } from '../support/postgres.js';
import { bearer, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

/**
 * A database that refuses new connections is an outage (503), not an internal error (500): the
 * pool meets SQLSTATE 55000 when the database stops accepting connections and 3D000 when it was
 * renamed away, on each new connection (docs/http-api.md#conventions: 503 database unavailable).
 */
describe('a PostgreSQL database that refuses new connections', function () {
  this.timeout(60_000);
  let serverUrl: string;
  let database: Awaited<ReturnType<typeof onServerDatabase>> | undefined;
  let name: string;
  let server: TestServer;
  let serverStarted = false;
  let session: string;

  beforeEach(async function () {
    serverUrl = requiredServerUrl(() => this.skip());
    database = await onServerDatabase(serverUrl);
    name = new URL(database.url).pathname.slice(1);
    server = await startTestServer({
      LATCHKEY_STORAGE: 'postgres',
      LATCHKEY_DATABASE_URL: database.url,
      LATCHKEY_SIGNING_KEY_SECRET: 'refused-connections signing key secret 0123456789',
    });
    serverStarted = true;
    session = await setUpOwner(server.url);
  });

  afterEach(async () => {
    // Nothing was started when the case was skipped (no PostgreSQL server named).
    if (database === undefined) return;
    await onServer(serverUrl, `alter database ${name} with allow_connections true`).catch(() => undefined);
    await onServer(serverUrl, `alter database ${name}_away rename to ${name}`).catch(() => undefined);
    if (serverStarted) await server.stop();
    serverStarted = false;
    await database.dispose();
    database = undefined;
  });

  const dropConnections = (database: string) =>
    onServer(
      serverUrl,
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`,
    );

  const me = () => request(`${server.url}/api/v2/users/me`, { headers: bearer(session) });

  const eventually = async (status: number): Promise<void> => {
    for (let i = 0; i < 50; i += 1) {
      if ((await me()).status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await me()).status).to.equal(status);
  };

  it('answers 503 while the database does not allow connections, and 200 once it does again', async () => {
    await onServer(serverUrl, `alter database ${name} with allow_connections false`);
    await dropConnections(name);
    const refused = await me();
    expect(refused.status, refused.text).to.equal(503);
    expect((await request(`${server.url}/readyz`)).status).to.equal(503);
    await onServer(serverUrl, `alter database ${name} with allow_connections true`);
    await eventually(200);
  });

  it('answers 503 while the database is renamed away, and logs the outage once', async () => {
    await onServer(serverUrl, `alter database ${name} with allow_connections false`);
    await dropConnections(name);
    await onServer(serverUrl, `alter database ${name} rename to ${name}_away`);
    await onServer(serverUrl, `alter database ${name}_away with allow_connections true`);
    for (let i = 0; i < 5; i += 1) expect((await me()).status).to.equal(503);
    const errors = server.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors, errors.join('\n')).to.have.length(1);
    await onServer(serverUrl, `alter database ${name}_away rename to ${name}`);
    await eventually(200);
  });
});
