import { expect } from 'chai';
import {
  bearer,
  cookieFrom,
  OWNER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type JsonResponse,
  type TestServer,
} from '../support/server.js';

/** The headers of docs/http-api.md#conventions for pages, also on JSON answers and errors (one fixed set). */
const expectSecurityHeaders = (headers: Headers): void => {
  expect(headers.get('x-frame-options')).to.equal('DENY');
  expect(headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
  expect(headers.get('content-security-policy')).to.not.include('form-action');
  expect(headers.get('referrer-policy')).to.equal('no-referrer');
  expect(headers.get('x-content-type-options')).to.equal('nosniff');
};

describe('security headers (docs/http-api.md#conventions)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('are on a JSON answer', async () => {
    const response = await request(`${server.url}/healthz`);
    expect(response.status).to.equal(200);
    expectSecurityHeaders(response.headers);
  });

  it('are on an unknown route', async () => {
    const response = await request(`${server.url}/no-such-route`);
    expect(response.status).to.equal(404);
    expectSecurityHeaders(response.headers);
  });

  it('are on an OAuth error, next to no-store', async () => {
    const response = await request(`${server.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'token=x',
    });
    expect(response.status).to.equal(401);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(response.headers.get('pragma')).to.equal('no-cache');
    expectSecurityHeaders(response.headers);
  });

  it('are on an HTML page, with the document-only ones', async () => {
    const response = await request(`${server.url}/login`);
    expect(response.status).to.equal(200);
    expectSecurityHeaders(response.headers);
    expect(response.headers.get('cross-origin-opener-policy')).to.equal('same-origin');
    expect(response.headers.get('x-permitted-cross-domain-policies')).to.equal('none');
  });

  it('leave the document-only ones off JSON answers', async () => {
    const response = await request(`${server.url}/healthz`);
    expect(response.headers.get('cross-origin-opener-policy')).to.equal(null);
    expect(response.headers.get('x-dns-prefetch-control')).to.equal(null);
  });
});

describe('paths are case-sensitive (RFC 3986 §6.2.2.1, docs/http-api.md#conventions)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  for (const path of ['/OAuth2/tokens', '/Oauth2/register', '/oauth2/Tokens', '/API/v2/users/login']) {
    it(`answers 404 to POST ${path}, issuing nothing`, async () => {
      const response = await request(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://client.example/cb'], email: 'a@b.c', password: 'x' }),
      });
      expect(response.status).to.equal(404);
      expect(response.text).to.not.match(/client_secret|session_token|access_token/);
    });
  }
});

describe('answers that carry a credential are not cacheable (RFC 6749 §5.1, docs/http-api.md#conventions)', () => {
  let server: TestServer;
  let owner: string;
  before(async () => {
    server = await startTestServer();
    owner = await setUpOwner(server.url);
  });
  after(() => server.stop());

  const expectNoStore = (response: JsonResponse): void => {
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(response.headers.get('pragma')).to.equal('no-cache');
  };

  it('POST /api/v2/users/login (a session token)', async () => {
    const response = await postJson(`${server.url}/api/v2/users/login`, {
      email: OWNER.email,
      password: OWNER.password,
    });
    expect(response.status).to.equal(201);
    expectNoStore(response);
  });

  it('POST /api/v2/users/login when refused', async () => {
    const response = await postJson(`${server.url}/api/v2/users/login`, {
      email: OWNER.email,
      password: 'not the password',
    });
    expect(response.status).to.equal(401);
    expectNoStore(response);
  });

  it('POST …/apps/{app}/secrets (a client secret)', async () => {
    const app = await postJson(
      `${server.url}/api/v2/oauth2-provider/apps`,
      { name: 'cache-test', callback_url: 'https://client.example/cb' },
      bearer(owner),
    );
    expect(app.status).to.equal(201);
    const id = (app.body as { id: string }).id;
    const secret = await postJson(
      `${server.url}/api/v2/oauth2-provider/apps/${id}/secrets`,
      {},
      bearer(owner),
    );
    expect(secret.status).to.equal(201);
    expect(secret.body).to.have.property('client_secret_full');
    expectNoStore(secret);
  });

  it('POST /login (sets the session cookie)', async () => {
    const page = await request(`${server.url}/login`);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const cookie = cookieFrom(page.headers, 'latchkey_csrf') ?? '';
    const response = await request(`${server.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: new URLSearchParams({
        csrf_token: csrf,
        email: OWNER.email,
        password: OWNER.password,
      }).toString(),
    });
    expect(response.status).to.equal(303);
    expect(cookieFrom(response.headers, 'latchkey_session')).to.not.equal(undefined);
    expectNoStore(response);
  });
});

describe('unknown routes (docs/http-api.md#conventions)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('give a browser an HTML 404 page with the page headers', async () => {
    const response = await request(`${server.url}/no-such-page`, {
      headers: { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(response.status).to.equal(404);
    expect(response.headers.get('content-type')).to.include('text/html');
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expectSecurityHeaders(response.headers);
  });

  for (const accept of [undefined, '*/*', 'application/json']) {
    it(`give an API client (Accept: ${accept ?? 'none'}) the JSON 404`, async () => {
      const response = await request(`${server.url}/no-such-page`, {
        headers: accept === undefined ? {} : { Accept: accept },
      });
      expect(response.status).to.equal(404);
      expect(response.body).to.deep.equal({ message: 'Route not found.' });
    });
  }
});
