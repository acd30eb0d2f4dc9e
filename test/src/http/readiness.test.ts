import { StorageUnavailableError } from '@latchkey/domain';
import { createInMemoryStorage } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

describe('readiness while the database goes away and comes back (docs/http-api.md#routes, #conventions)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let pg: PostgresHarness;
  let server: TestServer;
  let token: string;

  before(async () => {
    pg = await withPostgres({ embedded: true });
    // The harness owns the database; the server must not close it when it stops.
    server = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
    token = await setUpOwner(server.url);
  });
  after(async () => {
    await server.stop();
    await pg.cleanup();
  });

  it('is ready while the database answers', async () => {
    expect((await request(`${server.url}/readyz`)).status).to.equal(200);
  });

  context('while the database is down', () => {
    before(() => pg.embedded?.pause());

    it('answers /readyz with 503', async () => {
      const response = await request(`${server.url}/readyz`);
      expect(response.status).to.equal(503);
      expect(response.body).to.have.property('message');
    });

    it('answers API requests with 503 and no internals, and stays alive', async () => {
      const response = await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) });
      expect(response.status).to.equal(503);
      expect(Object.keys(response.body as object)).to.deep.equal(['message']);
      expect((await request(`${server.url}/healthz`)).status).to.equal(200);
    });
  });

  context('when the database is back', () => {
    before(() => pg.embedded?.resume());

    it('recovers without a restart', async () => {
      expect((await request(`${server.url}/readyz`)).status).to.equal(200);
      const me = await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) });
      expect(me.status).to.equal(200);
    });
  });
});

describe('a browser session that cannot be checked (docs/http-api.md#conventions)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let server: TestServer;
  let session: string;
  const down = { value: false };
  beforeEach(async () => {
    const memory = createInMemoryStorage();
    const apiKeys = Object.create(memory.apiKeys) as typeof memory.apiKeys;
    apiKeys.findByDigest = (digest) =>
      down.value ? Promise.reject(new StorageUnavailableError()) : memory.apiKeys.findByDigest(digest);
    server = await startTestServer({}, { storage: { ...memory, apiKeys, close: () => Promise.resolve() } });
    session = await setUpOwner(server.url);
    down.value = true;
  });
  afterEach(async () => {
    down.value = false;
    await server.stop();
  });

  for (const path of ['/login', '/', '/oauth2/authorize?client_id=00000000-0000-4000-8000-000000000000']) {
    it(`answers 503 on ${path}, not a signed-out page, while the database is away`, async () => {
      const response = await request(`${server.url}${path}`, {
        headers: { Cookie: `latchkey_session=${session}` },
      });
      expect(response.status, response.text).to.equal(503);
      expect(response.headers.get('location')).to.equal(null);
    });
  }
});
