import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

describe('readiness while the database goes away and comes back (docs/http-api.md#routes, #conventions)', () => {
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
