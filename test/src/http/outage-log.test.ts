import type { Storage } from '@latchkey/app';
import { createInMemoryStorage } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly status?: number;
  readonly refused?: number;
  readonly err?: { readonly stack?: string };
}

const ERROR = 50;
const OUTAGE = /^database unavailable/;
const RECOVERY = 'database available again';
const PER_REQUEST_ERRORS = ['request failed', 'oauth request failed'];

const linesOf = (server: TestServer, from = 0): LogLine[] =>
  server.logs.slice(from).map((line) => JSON.parse(line) as LogLine);

const tokenRequest = (url: string) =>
  request(`${url}/oauth2/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=refresh_token&refresh_token=lk_rt_unknown&client_id=0190a8b4-0000-7000-8000-000000000000',
  });

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the log during a database outage (docs/deployment.md#logs)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let pg: PostgresHarness;
  let token: string;
  let server: TestServer;

  before(async () => {
    pg = await withPostgres({ embedded: true });
    const setup = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
    try {
      token = await setUpOwner(setup.url);
    } finally {
      await setup.stop();
    }
  });
  beforeEach(async () => {
    // The harness owns the database; the server must not close it when it stops.
    server = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
  });
  afterEach(async () => {
    await pg.embedded?.resume();
    await server.stop();
  });
  after(() => pg.cleanup());

  /** Readiness probes among the requests of `refuseMany`. */
  const PROBES = 10;

  /** Refused requests of every kind: API, OAuth and readiness. Returns how many were answered 503. */
  const refuseMany = async (): Promise<number> => {
    const statuses: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      statuses.push((await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) })).status);
      statuses.push((await tokenRequest(server.url)).status);
      statuses.push((await request(`${server.url}/readyz`)).status);
    }
    expect(new Set(statuses)).to.deep.equal(new Set([503]));
    return statuses.length;
  };

  it('logs the outage once, with its cause, and its end once, with the count of refused requests', async () => {
    expect((await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) })).status).to.equal(200);
    await pg.embedded?.pause();
    const refused = await refuseMany();

    const during = linesOf(server);
    const outage = during.filter((l) => OUTAGE.test(l.msg));
    expect(outage).to.have.length(1);
    expect(outage[0]?.level).to.equal(ERROR);
    expect(outage[0]?.err?.stack).to.be.a('string');
    expect(during.filter((l) => PER_REQUEST_ERRORS.includes(l.msg))).to.deep.equal([]);
    // Each request still has its own access line, but the readiness probes', which are at debug.
    expect(during.filter((l) => l.msg === 'request' && l.status === 503)).to.have.length(refused - PROBES);

    await pg.embedded?.resume();
    expect((await request(`${server.url}/readyz`)).status).to.equal(200);
    expect((await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) })).status).to.equal(200);
    const after = linesOf(server);
    const recovery = after.filter((l) => l.msg === RECOVERY);
    expect(recovery).to.have.length(1);
    expect(recovery[0]?.refused).to.equal(refused);
    expect(after.filter((l) => OUTAGE.test(l.msg))).to.have.length(1);
  });

  it('notices the end of an outage from ordinary requests, and logs the next outage again', async () => {
    await pg.embedded?.pause();
    const refused = await refuseMany();
    await pg.embedded?.resume();
    // No readiness probe: the requests themselves make the server check, at most once a second.
    const deadline = Date.now() + 5000;
    while (!linesOf(server).some((l) => l.msg === RECOVERY) && Date.now() < deadline) {
      expect((await request(`${server.url}/api/v2/users/me`, { headers: bearer(token) })).status).to.equal(
        200,
      );
      await tick(100);
    }
    const recovery = linesOf(server).filter((l) => l.msg === RECOVERY);
    expect(recovery).to.have.length(1);
    expect(recovery[0]?.refused).to.equal(refused);

    const seen = server.logs.length;
    await pg.embedded?.pause();
    expect((await tokenRequest(server.url)).status).to.equal(503);
    expect(linesOf(server, seen).filter((l) => OUTAGE.test(l.msg))).to.have.length(1);
  });
});

describe('the log for internal errors (docs/deployment.md#logs)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  it('still logs every 500 with its cause', async () => {
    const memory = createInMemoryStorage();
    const storage: Storage = {
      ...memory,
      apiKeys: {
        ...memory.apiKeys,
        findByDigest: () => Promise.reject(new Error('a bug in the storage adapter')),
      },
      close: () => Promise.resolve(),
    };
    const server = await startTestServer({}, { storage });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await request(`${server.url}/api/v2/users/me`, {
          headers: bearer(`lk_sess_${'A'.repeat(43)}`),
        });
        expect(response.status).to.equal(500);
      }
      const lines = linesOf(server);
      const failed = lines.filter((l) => l.msg === 'request failed');
      expect(failed).to.have.length(3);
      expect(failed.every((l) => l.level === ERROR && typeof l.err?.stack === 'string')).to.equal(true);
      expect(lines.filter((l) => OUTAGE.test(l.msg))).to.deep.equal([]);
    } finally {
      await server.stop();
    }
  });
});
