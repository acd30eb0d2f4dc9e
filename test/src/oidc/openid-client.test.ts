import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { consentAsOwner } from '../mcp/helpers.js';
import {
  createClient,
  describeOnEachStorage,
  obtainTokens,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { login, OWNER, request } from '../support/server.js';

/** What a relying party gets from one sign-in with openid-client and default OIDC discovery. */
interface SignIn {
  readonly config: oidc.Configuration;
  readonly tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  readonly nonce: string;
}

const signIn = async (h: OAuthHarness, scope = 'openid profile email'): Promise<SignIn> => {
  const app = await createClient(h);
  // Default discovery: /.well-known/openid-configuration, the issuer checked byte for byte.
  const config = await oidc.discovery(new URL(h.url), app.id, app.secret, undefined, {
    // The test server is plain HTTP on loopback.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const location = await consentAsOwner(h.url, authorizationUrl, app.redirectUri);
  const tokens = await oidc.authorizationCodeGrant(config, location, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    idTokenExpected: scope.split(' ').includes('openid'),
  });
  return { config, tokens, nonce };
};

describeOnEachStorage('OpenID Connect with openid-client', (storage) => {
  let h: OAuthHarness;
  beforeEach(async () => {
    h = await storage.start({ LATCHKEY_SIGNING_KEY_PREPUBLISH: '0' });
  });
  afterEach(() => h.server.stop());

  it('signs in with default discovery, nonce and PKCE, validates the ID token and reads userinfo', async () => {
    const { config, tokens, nonce } = await signIn(h);
    const claims = tokens.claims();
    expect(claims).to.not.equal(undefined);
    const me = (
      await request(`${h.url}/api/v2/users/me`, { headers: { Authorization: `Bearer ${h.session}` } })
    ).body as { id: string; email: string; username: string; name: string };
    expect(claims).to.include({ iss: h.url, sub: me.id, nonce });
    expect(claims?.aud).to.equal(config.clientMetadata().client_id);
    expect(claims?.auth_time).to.be.a('number');
    expect(claims?.at_hash).to.be.a('string');
    expect(decodeProtectedHeader(tokens.id_token ?? '')).to.include({ alg: 'ES256', typ: 'JWT' });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, me.id);
    expect(info).to.deep.equal({
      sub: me.id,
      name: me.name,
      preferred_username: me.username,
      email: me.email,
      email_verified: false,
    });
  });

  it('answers userinfo only with the claims of the granted scopes', async () => {
    const { config, tokens } = await signIn(h, 'openid');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(Object.keys(info)).to.deep.equal(['sub']);
  });

  it('refuses userinfo without a token, and for a token without openid', async () => {
    const bare = await request(`${h.url}/oauth2/userinfo`);
    expect(bare.status).to.equal(401);
    expect(bare.headers.get('www-authenticate')).to.match(/^Bearer /);
    const tokens = await obtainTokens(h, await createClient(h), { params: { scope: 'mcp' } });
    expect((tokens as unknown as Record<string, unknown>).id_token).to.equal(undefined);
    const noOpenId = await request(`${h.url}/oauth2/userinfo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(noOpenId.status).to.equal(403);
    expect(noOpenId.headers.get('www-authenticate')).to.include('insufficient_scope');
  });

  it('keeps every client working across a key rotation', async () => {
    const jwks = createRemoteJWKSet(new URL(`${h.url}/oauth2/jwks`));
    const before = await signIn(h);
    const oldKid = decodeProtectedHeader(before.tokens.id_token ?? '').kid;
    const [added] = await h.server.running.keyRing.rotate(['ES256']);
    expect(added?.kid).to.be.a('string').and.not.equal(oldKid);
    // The old ID token still verifies against the published keys…
    await jwtVerify(before.tokens.id_token ?? '', jwks, { issuer: h.url });
    // …and a new sign-in (pre-publish period 0 here) is signed with the new key.
    const after = await signIn(h);
    expect(decodeProtectedHeader(after.tokens.id_token ?? '').kid).to.equal(added?.kid);
    await jwtVerify(after.tokens.id_token ?? '', createRemoteJWKSet(new URL(`${h.url}/oauth2/jwks`)), {
      issuer: h.url,
    });
    const published = (await request(`${h.url}/oauth2/jwks`)).body as { keys: { kid: string }[] };
    expect(published.keys.map((k) => k.kid)).to.include.members([oldKid, added?.kid]);
  });

  /** The authorization request (scope openid, state s1) of a new app, with `extra` parameters. */
  const authorizeUrl = async (extra: Record<string, string>): Promise<string> => {
    const app = await createClient(h);
    const url = new URL(`${h.url}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: app.id,
      redirect_uri: app.redirectUri,
      scope: 'openid',
      state: 's1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...extra,
    }).toString();
    return url.href;
  };

  it('prompt=none without a session answers login_required at the redirect URI', async () => {
    const response = await request(await authorizeUrl({ prompt: 'none' }));
    expect(response.status).to.equal(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).to.equal('login_required');
    expect(location.searchParams.get('state')).to.equal('s1');
  });

  for (const [extra, error] of [
    [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    [{ request_uri: 'https://client.example/request.jwt' }, 'request_uri_not_supported'],
    [{ response_mode: 'form_post' }, 'invalid_request'],
    [{ response_mode: 'fragment' }, 'invalid_request'],
  ] as const)
    it(`refuses ${Object.keys(extra)[0] ?? ''}=${Object.values(extra)[0] ?? ''} with ${error} at the redirect URI (OpenID Connect Core §6)`, async () => {
      const response = await request(await authorizeUrl(extra), {
        headers: { Cookie: `latchkey_session=${h.session}` },
      });
      expect(response.status).to.equal(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('error')).to.equal(error);
      expect(location.searchParams.get('state')).to.equal('s1');
      expect(location.searchParams.get('code')).to.equal(null);
    });

  it('accepts response_mode=query, the one it advertises', async () => {
    const response = await request(await authorizeUrl({ response_mode: 'query' }), {
      headers: { Cookie: `latchkey_session=${h.session}` },
    });
    expect(response.status).to.equal(200);
  });

  describe('prompt and max_age (OpenID Connect Core §3.1.2.1)', () => {
    const authorize = async (extra: Record<string, string>, session?: string) =>
      request(await authorizeUrl(extra), { headers: { Cookie: `latchkey_session=${session ?? h.session}` } });

    it('prompt=none with a session answers consent_required (no approval is remembered)', async () => {
      const response = await authorize({ prompt: 'none' });
      expect(response.status).to.equal(302);
      expect(new URL(response.headers.get('location') ?? '').searchParams.get('error')).to.equal(
        'consent_required',
      );
    });

    for (const [name, extra] of [
      ['prompt=login', { prompt: 'login' }],
      ['max_age=0', { max_age: '0' }],
    ] as const) {
      it(`${name} sends a signed-in user to sign in again, then shows the consent page`, async () => {
        const first = await authorize(extra);
        expect(first.status).to.equal(303);
        const location = first.headers.get('location') ?? '';
        expect(location).to.match(/^\/login\?redirect=.*&prompt=login$/);
        // The login form is shown even though the browser is signed in.
        const form = await request(`${h.url}${location}`, {
          headers: { Cookie: `latchkey_session=${h.session}` },
        });
        expect(form.status).to.equal(200);
        const back = new URL(location, h.url).searchParams.get('redirect') ?? '';
        expect(new URL(back, h.url).searchParams.get('prompt')).to.equal(null);
        const fresh = await login(h.url, OWNER.email, OWNER.password);
        const consent = await request(`${h.url}${back}`, {
          headers: { Cookie: `latchkey_session=${fresh}` },
        });
        expect(consent.status, consent.text).to.equal(200);
      });
    }

    it('ignores prompt values it has nothing to do for (select_account)', async () => {
      const response = await authorize({ prompt: 'select_account consent' });
      expect(response.status).to.equal(200);
    });

    it('max_age longer than the session’s age shows the consent page at once', async () => {
      const response = await authorize({ max_age: '3600' });
      expect(response.status).to.equal(200);
    });

    it('refuses a malformed max_age or prompt at the redirect URI', async () => {
      const cases: Record<string, string>[] = [{ max_age: 'soon' }, { prompt: 'none login' }];
      for (const extra of cases) {
        const response = await authorize(extra);
        expect(response.status).to.equal(302);
        expect(new URL(response.headers.get('location') ?? '').searchParams.get('error')).to.equal(
          'invalid_request',
        );
      }
    });
  });
});
