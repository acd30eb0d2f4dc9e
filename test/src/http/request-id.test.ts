import { expect } from 'chai';
import { request, startTestServer, type TestServer } from '../support/server.js';

interface RequestLine {
  readonly msg: string;
  readonly requestId: string;
  readonly path: string;
  readonly route?: string;
  readonly status: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids and request log lines (issue 12, item 17; issue 15)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  /** The request line of the last request made, once it is written. */
  const lastRequestLine = (): RequestLine => {
    const lines = server.logs
      .map((line) => JSON.parse(line) as RequestLine)
      .filter((l) => l.msg === 'request');
    return lines.at(-1) as RequestLine;
  };

  const withRequestId = async (value: string) => {
    const response = await request(`${server.url}/.well-known/oauth-authorization-server`, {
      headers: { 'X-Request-Id': value },
    });
    expect(response.status).to.equal(200);
    return { header: response.headers.get('x-request-id'), logged: lastRequestLine().requestId };
  };

  for (const kept of ['3f2a9c1e-1b7d-4c2e-9f0a-5d6b7c8e9f01', 'edge:7.lb-2', 'A', 'x'.repeat(128)]) {
    it(`keeps the well-formed incoming id ${kept.length > 40 ? `of ${kept.length} characters` : kept}`, async () => {
      expect(await withRequestId(kept)).to.deep.equal({ header: kept, logged: kept });
    });
  }

  for (const [what, value] of [
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'two words'],
    ['markup', '<script>'],
    ['a comma-joined list', 'a, b'],
    ['a quote', 'a"b'],
  ] as const) {
    it(`replaces an incoming id with ${what} by a fresh UUID`, async () => {
      const { header, logged } = await withRequestId(value);
      expect(header).to.match(UUID);
      expect(logged).to.equal(header);
    });
  }

  it('makes a fresh UUID for each request that brings none', async () => {
    const first = await request(`${server.url}/healthz`);
    const second = await request(`${server.url}/healthz`);
    expect(first.headers.get('x-request-id')).to.match(UUID);
    expect(second.headers.get('x-request-id')).to.match(UUID);
    expect(first.headers.get('x-request-id')).to.not.equal(second.headers.get('x-request-id'));
  });

  it('logs the route template beside the path, and none for a path no route serves', async () => {
    const id = '0190a8b4-0000-7000-8000-000000000001';
    const response = await request(`${server.url}/oauth2/clients/${id}`);
    expect(response.status).to.equal(401);
    expect(lastRequestLine()).to.include({
      path: `/oauth2/clients/${id}`,
      route: '/oauth2/clients/:client_id',
      status: 401,
    });

    expect((await request(`${server.url}/no/such/path`)).status).to.equal(404);
    const unmatched = lastRequestLine();
    expect(unmatched).to.include({ path: '/no/such/path', status: 404 });
    expect(unmatched).to.not.have.property('route');
  });
});
