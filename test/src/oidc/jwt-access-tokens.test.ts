import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  createClient,
  describeOnEachStorage,
  exchange,
  introspect,
  obtainCode,
  refresh,
  revoke,
  type OAuthClient,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { freePort, request } from '../support/server.js';

const API = 'https://api.example.com';
const OTHER_API = 'https://other.example.com';

interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
}

describeOnEachStorage('JWT access tokens (RFC 9068, docs/openid-connect.md#jwt-access-tokens)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;

  beforeEach(async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    h = await storage.start({
      LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: issuer,
      LATCHKEY_ALLOWED_RESOURCES: `${API} ${OTHER_API}`,
      // The API and Latchkey itself get JWTs; OTHER_API keeps opaque tokens.
      LATCHKEY_JWT_RESOURCES: `${API} ${issuer}`,
      LATCHKEY_JWT_ACCESS_TOKEN_TTL: '120',
    });
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const tokensFor = async (resource: string | undefined): Promise<Tokens> => {
    const params = resource === undefined ? {} : { resource };
    const code = await obtainCode(h, client, { params });
    const response = await exchange(h.url, client, code, params);
    expect(response.status, response.text).to.equal(200);
    return response.body as Tokens;
  };

  /** A resource server that verifies locally, with the published keys. */
  const verifyAt = (audience: string, token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${h.url}/oauth2/jwks`)), {
      issuer: h.url,
      audience,
      typ: 'at+jwt',
    });

  it('issues a signed at+jwt with the RFC 9068 claims, which a resource server verifies locally', async () => {
    const tokens = await tokensFor(API);
    expect(tokens.expires_in).to.be.at.most(120);
    expect(decodeProtectedHeader(tokens.access_token)).to.include({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await verifyAt(API, tokens.access_token);
    expect(payload).to.include({ iss: h.url, aud: API, client_id: client.id, scope: 'mcp user:read' });
    expect(payload.sub).to.be.a('string');
    expect(payload.jti).to.be.a('string');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).to.equal(tokens.expires_in);
  });

  it('is refused by a resource server of another audience, and when tampered with', async () => {
    const tokens = await tokensFor(API);
    let wrongAudience: unknown;
    await verifyAt(OTHER_API, tokens.access_token).catch((error: unknown) => (wrongAudience = error));
    expect((wrongAudience as { code?: string } | undefined)?.code).to.equal(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
    const [header, payload, signature] = tokens.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'all' })).toString('base64url');
    let tampered: unknown;
    await verifyAt(API, `${header}.${forged}.${signature}`).catch((error: unknown) => (tampered = error));
    expect((tampered as { code?: string } | undefined)?.code).to.equal(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    // Latchkey's introspection says the same of the tampered one.
    const answer = await introspect(h.url, client, `${header}.${forged}.${signature}`);
    expect(answer.body).to.deep.equal({ active: false });
  });

  it('keeps opaque tokens for resources not marked JWT', async () => {
    const tokens = await tokensFor(OTHER_API);
    expect(tokens.access_token).to.match(/^lk_at_/);
  });

  it('answers introspection for a JWT, and inactive once it is revoked', async () => {
    const tokens = await tokensFor(API);
    const live = await introspect(h.url, client, tokens.access_token);
    expect(live.body).to.include({ active: true, aud: API, scope: 'mcp user:read' });
    const revoked = await revoke(h.url, client, tokens.access_token);
    expect(revoked.status).to.equal(200);
    expect((await introspect(h.url, client, tokens.access_token)).body).to.deep.equal({ active: false });
    // A resource server that verifies locally still accepts it until it expires (documented).
    await verifyAt(API, tokens.access_token);
  });

  it('is accepted by Latchkey’s own bearer-protected routes when bound to the issuer, until revoked', async () => {
    const tokens = await tokensFor(undefined);
    expect(decodeProtectedHeader(tokens.access_token).typ).to.equal('at+jwt');
    const me = await request(`${h.url}/api/v2/users/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status, me.text).to.equal(200);
    // A JWT for the API is not good at Latchkey (RFC 8707 audience).
    const apiToken = await tokensFor(API);
    const elsewhere = await request(`${h.url}/api/v2/users/me`, {
      headers: { Authorization: `Bearer ${apiToken.access_token}` },
    });
    expect(elsewhere.status).to.equal(401);
    await revoke(h.url, client, tokens.access_token);
    const after = await request(`${h.url}/api/v2/users/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(after.status).to.equal(401);
  });

  it('refreshes into a new JWT', async () => {
    const tokens = await tokensFor(API);
    const response = await refresh(h.url, client, tokens.refresh_token);
    expect(response.status, response.text).to.equal(200);
    const renewed = response.body as Tokens;
    const { payload } = await verifyAt(API, renewed.access_token);
    expect(payload.aud).to.equal(API);
  });
});
