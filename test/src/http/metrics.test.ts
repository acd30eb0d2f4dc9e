import { expect } from 'chai';
import {
  createClient,
  describeOnEachStorage,
  exchange,
  expectOAuthError,
  expectTokens,
  me,
  obtainCode,
  refresh,
  userIdOf,
  withSecret,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { parseExposition, sumOf, valueOf, type Exposition } from '../support/prometheus.js';
import { freePort, postJson, request, startTestServer } from '../support/server.js';

const REQUESTS = 'latchkey_http_request_duration_seconds';

/** Scrapes `/metrics` at `metricsUrl` and parses it strictly. */
const scrape = async (metricsUrl: string): Promise<Exposition> => {
  const response = await fetch(`${metricsUrl}/metrics`);
  expect(response.status).to.equal(200);
  expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
};

/** How much the one sample of `name` with `labels` moved from `before` to `after`. */
const moved =
  (before: Exposition, after: Exposition) =>
  (name: string, labels: Record<string, string> = {}): number =>
    valueOf(after, name, labels) - valueOf(before, name, labels);

/** How much all samples of `name` together moved from `before` to `after`. */
const movedInAll =
  (before: Exposition, after: Exposition) =>
  (name: string): number =>
    sumOf(after, name) - sumOf(before, name);

/** Requests counted for one route template, method and status (the latency histogram's count). */
const requestsOf = (route: string, method: string, status: number) => ({
  name: `${REQUESTS}_count`,
  labels: { route, method, status: String(status) },
});

const metricsEnv = async (env: Record<string, string> = {}) => ({
  LATCHKEY_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
  ...env,
});

const metricsUrlOf = (h: OAuthHarness): string => {
  const url = h.server.running.metricsUrl;
  if (url === undefined) throw new Error('the server serves no metrics');
  return url;
};

describeOnEachStorage('Prometheus metrics on LATCHKEY_METRICS_ADDRESS (docs/metrics.md)', (storage) => {
  let h: OAuthHarness;
  let metricsUrl: string;

  beforeEach(async () => {
    h = await storage.start(await metricsEnv({ LATCHKEY_RATE_LIMIT_REGISTER: '2' }));
    metricsUrl = metricsUrlOf(h);
  });
  afterEach(() => h.server.stop());

  it('serves /metrics on its own listener and not on the public one', async () => {
    expect(metricsUrl).to.not.equal(h.url);
    expect((await request(`${h.url}/metrics`)).status).to.equal(404);
    expect((await fetch(`${metricsUrl}/`)).status).to.equal(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).to.equal(405);
    const exposition = await scrape(metricsUrl);
    expect(exposition.types.get(REQUESTS)).to.equal('histogram');
    expect(exposition.types.get('latchkey_oauth_tokens_issued_total')).to.equal('counter');
  });

  it('counts each request, token, refusal, replay, rate limit and registration exactly once', async () => {
    const client = await createClient(h);
    const code = await obtainCode(h, client);
    const before = await scrape(metricsUrl);

    const tokens = expectTokens(await exchange(h.url, client, code));
    expect((await me(h.url, tokens.access_token)).status).to.equal(200);
    // The code again: a replay, which revokes the grant.
    expectOAuthError(await exchange(h.url, client, code), 400, 'invalid_grant');
    expectOAuthError(
      await refresh(h.url, withSecret(client, 'wrong'), tokens.refresh_token),
      401,
      'invalid_client',
    );
    for (const expected of [201, 201, 429])
      expect(
        (await postJson(`${h.url}/oauth2/register`, { redirect_uris: ['https://a.example.com/cb'] })).status,
      ).to.equal(expected);
    expect((await request(`${h.url}/no/such/path`)).status).to.equal(404);

    const after = await scrape(metricsUrl);
    const delta = moved(before, after);
    const total = movedInAll(before, after);
    const requests = (route: string, method: string, status: number): number => {
      const { name, labels } = requestsOf(route, method, status);
      return delta(name, labels);
    };
    expect({
      exchanges: requests('/oauth2/tokens', 'POST', 200),
      replays: requests('/oauth2/tokens', 'POST', 400),
      badClients: requests('/oauth2/tokens', 'POST', 401),
      reads: requests('/api/v2/users/me', 'GET', 200),
      registrations: requests('/oauth2/register', 'POST', 201),
      limited: requests('/oauth2/register', 'POST', 429),
      unmatched: requests('unmatched', 'GET', 404),
      all: total(`${REQUESTS}_count`),
    }).to.deep.equal({
      exchanges: 1,
      replays: 1,
      badClients: 1,
      reads: 1,
      registrations: 2,
      limited: 1,
      unmatched: 1,
      all: 8,
    });
    expect({
      code: delta('latchkey_oauth_tokens_issued_total', { grant_type: 'authorization_code' }),
      refresh: delta('latchkey_oauth_tokens_issued_total', { grant_type: 'refresh_token' }),
      invalidGrant: delta('latchkey_oauth_errors_total', { error: 'invalid_grant' }),
      invalidClient: delta('latchkey_oauth_errors_total', { error: 'invalid_client' }),
      unavailable: delta('latchkey_oauth_errors_total', { error: 'temporarily_unavailable' }),
      allErrors: total('latchkey_oauth_errors_total'),
      codeReplays: delta('latchkey_oauth_replays_total', { credential: 'authorization_code' }),
      refreshReuse: delta('latchkey_oauth_replays_total', { credential: 'refresh_token' }),
      registrationLimit: delta('latchkey_rate_limited_total', { limiter: 'registration' }),
      allLimits: total('latchkey_rate_limited_total'),
      registered: delta('latchkey_client_registrations_total'),
    }).to.deep.equal({
      code: 1,
      refresh: 0,
      invalidGrant: 1,
      invalidClient: 1,
      unavailable: 1,
      allErrors: 3,
      codeReplays: 1,
      refreshReuse: 0,
      registrationLimit: 1,
      allLimits: 1,
      registered: 2,
    });
  });

  it('keeps each histogram consistent: the +Inf bucket holds every observation', async () => {
    expect((await request(`${h.url}/healthz`)).status).to.equal(200);
    const exposition = await scrape(metricsUrl);
    const counts = exposition.samples.filter((s) => s.name === `${REQUESTS}_count`);
    expect(counts).to.not.deep.equal([]);
    for (const count of counts) {
      expect(valueOf(exposition, `${REQUESTS}_bucket`, { ...count.labels, le: '+Inf' })).to.equal(
        count.value,
      );
    }
  });

  it('puts no client id, user id, token or raw path in any label', async () => {
    const client = await createClient(h);
    const code = await obtainCode(h, client);
    const tokens = expectTokens(await exchange(h.url, client, code));
    expect((await me(h.url, tokens.access_token)).status).to.equal(200);
    const registered = await postJson(`${h.url}/oauth2/register`, {
      redirect_uris: ['https://a.example.com/cb'],
    });
    const registeredId = (registered.body as { client_id: string }).client_id;
    expect((await request(`${h.url}/oauth2/clients/${registeredId}`)).status).to.equal(401);
    expect((await request(`${h.url}/no/${tokens.access_token}`)).status).to.equal(404);
    const userId = await userIdOf(h.url, h.session);

    const values = (await scrape(metricsUrl)).samples.flatMap((s) => Object.values(s.labels));
    const secrets = [
      client.id,
      registeredId,
      userId,
      tokens.access_token,
      tokens.refresh_token,
      h.session,
      code.code,
    ];
    for (const secret of secrets) expect(values.filter((v) => v.includes(secret))).to.deep.equal([]);
    expect(values.filter((v) => v.startsWith('/no/'))).to.deep.equal([]);
    expect(values).to.include('/oauth2/clients/:client_id');
  });

  if (storage.name === 'PostgreSQL') {
    it('measures the SQL statements and the pool of the database', async () => {
      const client = await createClient(h);
      const code = await obtainCode(h, client);
      const before = await scrape(metricsUrl);
      expectTokens(await exchange(h.url, client, code));
      const after = await scrape(metricsUrl);
      const delta = moved(before, after);
      const statement = (name: string) =>
        delta('latchkey_db_statement_duration_seconds_count', { statement: name, result: 'ok' });
      // The three storage calls of a code exchange (docs/http-api.md#token).
      expect({
        secret: statement('latchkey_find_secret_with_client'),
        code: statement('latchkey_find_code_with_grant'),
        redeem: statement('latchkey_redeem_code'),
      }).to.deep.equal({ secret: 1, code: 1, redeem: 1 });
      // Between requests the pool keeps its connection open and hands none out.
      expect(after.types.get('latchkey_db_pool_connections')).to.equal('gauge');
      expect(valueOf(after, 'latchkey_db_pool_connections', { state: 'in_use' })).to.equal(0);
      expect(valueOf(after, 'latchkey_db_pool_connections', { state: 'idle' })).to.be.at.least(1);
      expect(after.types.get('latchkey_db_pool_waiting')).to.equal('gauge');
      expect(valueOf(after, 'latchkey_db_pool_waiting')).to.equal(0);
    });
  } else {
    it('has no database series on the in-memory storage', async () => {
      const exposition = await scrape(metricsUrl);
      expect(exposition.samples.filter((s) => s.name.startsWith('latchkey_db_'))).to.deep.equal([]);
    });
  }

  it("serves Node's process metrics", async () => {
    const exposition = await scrape(metricsUrl);
    expect(exposition.types.get('process_cpu_user_seconds_total')).to.equal('counter');
    expect(valueOf(exposition, 'nodejs_heap_size_total_bytes')).to.be.greaterThan(0);
  });
});

describe('the metrics listener (docs/metrics.md)', () => {
  it('is off unless LATCHKEY_METRICS_ADDRESS is set', async () => {
    const server = await startTestServer();
    try {
      expect(server.running.metricsUrl).to.equal(undefined);
      expect((await request(`${server.url}/metrics`)).status).to.equal(404);
    } finally {
      await server.stop();
    }
  });

  it('keeps the counts of two servers in one process apart, and stops with its server', async () => {
    const first = await startTestServer(await metricsEnv());
    const second = await startTestServer(await metricsEnv());
    const firstMetrics = first.running.metricsUrl ?? '';
    try {
      for (let i = 0; i < 3; i++) expect((await request(`${first.url}/healthz`)).status).to.equal(200);
      expect((await request(`${second.url}/healthz`)).status).to.equal(200);
      const count = async (url: string) =>
        valueOf(await scrape(url), `${REQUESTS}_count`, { route: '/healthz', method: 'GET', status: '200' });
      expect(await count(firstMetrics)).to.equal(3);
      expect(await count(second.running.metricsUrl ?? '')).to.equal(1);
    } finally {
      await first.stop();
      await second.stop();
    }
    const refused = await fetch(`${firstMetrics}/metrics`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).to.equal('refused');
  });

  it('refuses to start when its address is taken, naming the variable', async () => {
    const port = await freePort();
    const holder = await startTestServer({ LATCHKEY_METRICS_ADDRESS: `127.0.0.1:${port}` });
    try {
      const failed = await startTestServer({ LATCHKEY_METRICS_ADDRESS: `127.0.0.1:${port}` }).then(
        async (server) => {
          await server.stop();
          return undefined;
        },
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(failed)
        .to.be.a('string')
        .and.satisfy((m: string) => m.startsWith('LATCHKEY_METRICS_ADDRESS'));
    } finally {
      await holder.stop();
    }
  });
});
