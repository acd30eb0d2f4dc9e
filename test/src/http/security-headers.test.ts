import { expect } from 'chai';
import { request, startTestServer, type TestServer } from '../support/server.js';

/** The headers of CONTRACT §2 for pages, also on JSON answers and errors (one fixed set). */
const expectSecurityHeaders = (headers: Headers): void => {
  expect(headers.get('x-frame-options')).to.equal('DENY');
  expect(headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
  expect(headers.get('content-security-policy')).to.not.include('form-action');
  expect(headers.get('referrer-policy')).to.equal('no-referrer');
  expect(headers.get('x-content-type-options')).to.equal('nosniff');
};

describe('security headers (CONTRACT §2)', () => {
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
