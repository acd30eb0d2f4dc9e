import { brotliCompressSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { request, startTestServer, type TestServer } from '../support/server.js';

/**
 * A body whose `Content-Encoding` does not match what it is, or that ends early, is a request the
 * server cannot read: a 400 in the endpoint's own format (docs/http-api.md#request-bodies-and-input-text),
 * never a 500. A body that really is compressed is read as usual.
 */
describe('request bodies with a Content-Encoding (docs/http-api.md#request-bodies-and-input-text)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const JSON_BODY = '{"email":"someone@example.com","password":"not the password"}';
  const FORM_BODY = 'grant_type=authorization_code&code=lk_code_x&client_id=x';

  const bodies: readonly (readonly [string, string, (text: string) => Buffer])[] = [
    ['gzip that is not gzip', 'gzip', (text) => Buffer.from(text)],
    ['deflate that is not deflate', 'deflate', (text) => Buffer.from(text)],
    ['br that is not brotli', 'br', (text) => Buffer.from(text)],
    ['gzip cut short', 'gzip', (text) => gzipSync(text).subarray(0, 12)],
  ];

  const endpoints = [
    { path: '/api/v2/users/login', type: 'application/json', text: JSON_BODY, format: 'api' },
    { path: '/oauth2/register', type: 'application/json', text: '{"redirect_uris":[]}', format: 'oauth' },
    { path: '/oauth2/tokens', type: 'application/x-www-form-urlencoded', text: FORM_BODY, format: 'oauth' },
    { path: '/oauth2/revoke', type: 'application/x-www-form-urlencoded', text: 'token=x', format: 'oauth' },
  ] as const;

  for (const endpoint of endpoints) {
    for (const [what, encoding, encode] of bodies) {
      it(`answers 400 at ${endpoint.path} for ${what}`, async () => {
        const response = await request(`${server.url}${endpoint.path}`, {
          method: 'POST',
          headers: { 'Content-Type': endpoint.type, 'Content-Encoding': encoding },
          body: encode(endpoint.text),
        });
        expect(response.status, response.text).to.equal(400);
        const body = response.body as Record<string, unknown>;
        if (endpoint.format === 'api') expect(body).to.have.property('message').that.is.a('string');
        else expect(body.error).to.be.oneOf(['invalid_request', 'invalid_client_metadata']);
      });
    }
  }

  it('answers a browser at the sign-in form with an HTML 400 for a body that is not what it says', async () => {
    const response = await request(`${server.url}/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Encoding': 'gzip',
        Accept: 'text/html',
        Origin: server.url,
      },
      body: Buffer.from('email=a%40b.c&password=x'),
    });
    expect(response.status, response.text).to.equal(400);
    expect(response.headers.get('content-type')).to.match(/^text\/html/);
  });

  it('reads a body that really is compressed', async () => {
    for (const [encoding, encoded] of [
      ['gzip', gzipSync(JSON_BODY)],
      ['br', brotliCompressSync(JSON_BODY)],
    ] as const) {
      const response = await request(`${server.url}/api/v2/users/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body: encoded,
      });
      // Read and checked: the credentials are wrong, so 401, not a 400 for the body.
      expect(response.status, `${encoding}: ${response.text}`).to.equal(401);
    }
  });
});
