import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { bearer, cookieFrom, OWNER, request } from '../support/server.js';
import {
  addMember,
  authorizeParams,
  authorizeUrl,
  createClient,
  decide,
  exchange,
  expectErrorPage,
  expectErrorRedirect,
  expectTokens,
  inputsOf,
  locationOf,
  makePkce,
  MCP_PATH,
  obtainCode,
  obtainTokens,
  openConsent,
  postConsent,
  redirectParams,
  sessionCookie,
  describeOnEachStorage,
  type OAuthClient,
  type OAuthHarness,
  type Pairs,
} from './flow-helpers.js';

describeOnEachStorage(
  'the authorization endpoint (docs/http-api.md#authorize, #bearer-tokens)',
  (storage) => {
    let h: OAuthHarness;
    let client: OAuthClient;
    beforeEach(async () => {
      h = await storage.start();
      client = await createClient(h);
    });
    afterEach(() => h.server.stop());

    /** Opens the authorize URL as the signed-in owner with the given parameters replaced. */
    const open = (extra: Record<string, string | undefined> = {}, target: OAuthClient = client) =>
      openConsent(h.url, h.session, authorizeParams(target, makePkce(), extra));

    describe('a valid request', () => {
      it('shows the consent page with the page security headers', async () => {
        const page = await open();
        expect(page.response.status, page.response.text).to.equal(200);
        expect(page.response.headers.get('content-type')).to.include('text/html');
        expect(page.response.headers.get('x-frame-options')).to.equal('DENY');
        expect(page.response.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
        expect(page.response.headers.get('cache-control')).to.equal('no-store');
        expect(page.response.headers.get('pragma')).to.equal('no-cache');
        expect(page.requestId).to.be.a('string').and.not.equal('');
        expect(page.csrf).to.be.a('string').and.not.equal('');
        expect(page.response.text).to.include(client.app.name);
      });

      it('redirects Allow to the redirect URI with a prefixed code, the state and iss', async () => {
        const answer = await decide(h.url, await open(), 'allow');
        const params = redirectParams(h.url, answer, client.redirectUri);
        expect(params.get('code')).to.match(/^lk_code_/);
        expect(params.get('state')).to.equal('st-123');
        expect(params.get('iss')).to.equal(h.url);
        expect(params.has('error')).to.equal(false);
        expect(answer.headers.get('cache-control')).to.equal('no-store');
        expect(answer.headers.get('pragma')).to.equal('no-cache');
      });

      it('returns the state byte for byte, however it is spelled', async () => {
        const state = 'a b&c=d/é+%20?#';
        const answer = await decide(h.url, await open({ state }), 'allow');
        expect(redirectParams(h.url, answer, client.redirectUri).get('state')).to.equal(state);
      });

      it('leaves state out of the redirect when the client sent none', async () => {
        const answer = await decide(h.url, await open({ state: undefined }), 'allow');
        const params = redirectParams(h.url, answer, client.redirectUri);
        expect(params.get('code')).to.match(/^lk_code_/);
        expect(params.has('state')).to.equal(false);
        expect(params.get('iss')).to.equal(h.url);
      });

      it('keeps the query of the registered redirect URI', async () => {
        const withQuery = await createClient(h, { callback_url: 'https://q.example.com/cb?tenant=7' });
        const answer = await decide(h.url, await open({}, withQuery), 'allow');
        const params = redirectParams(h.url, answer, withQuery.redirectUri);
        expect(params.get('tenant')).to.equal('7');
        expect(params.get('code')).to.match(/^lk_code_/);
      });

      it('accepts an omitted redirect_uri when exactly one URI is registered', async () => {
        const page = await open({ redirect_uri: undefined });
        expect(page.response.status, page.response.text).to.equal(200);
        const answer = await decide(h.url, page, 'allow');
        expect(redirectParams(h.url, answer, client.redirectUri).get('code')).to.match(/^lk_code_/);
      });

      it('ignores unknown parameters', async () => {
        const page = await open({ prompt: 'consent', nonce: 'n-1' });
        expect(page.response.status, page.response.text).to.equal(200);
      });

      it('treats empty parameters as omitted (§2)', async () => {
        const page = await open({ redirect_uri: '', resource: '', scope: '' });
        expect(page.response.status, page.response.text).to.equal(200);
        const answer = await decide(h.url, page, 'allow');
        expect(redirectParams(h.url, answer, client.redirectUri).get('code')).to.match(/^lk_code_/);
      });

      it('treats an empty code_challenge_method as omitted, which is refused', async () => {
        const page = await open({ code_challenge_method: '' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      it('uses only the values bound to request_id, ignoring fields added to the POST', async () => {
        const page = await open();
        const answer = await postConsent(h.url, page.cookie, {
          request_id: page.requestId,
          csrf_token: page.csrf,
          decision: 'allow',
          redirect_uri: 'https://evil.example.com/cb',
          state: 'forged',
          client_id: '00000000-0000-4000-8000-000000000000',
        });
        const params = redirectParams(h.url, answer, client.redirectUri);
        expect(params.get('state')).to.equal('st-123');
        expect(params.get('code')).to.match(/^lk_code_/);
      });
    });

    describe('errors shown on an HTML page, never redirected (step 1)', () => {
      it('refuses an unknown client_id', async () => {
        const page = await open({ client_id: '00000000-0000-4000-8000-000000000000' });
        expectErrorPage(page.response);
      });

      it('refuses a missing client_id', async () => {
        expectErrorPage((await open({ client_id: undefined })).response);
      });

      it('refuses a client_id given twice', async () => {
        const params: Pairs = [...authorizeParams(client, makePkce()), ['client_id', client.id]];
        expectErrorPage((await openConsent(h.url, h.session, params)).response);
      });

      it('refuses a redirect_uri given twice', async () => {
        const params: Pairs = [...authorizeParams(client, makePkce()), ['redirect_uri', client.redirectUri]];
        expectErrorPage((await openConsent(h.url, h.session, params)).response);
      });

      it('refuses an unregistered redirect_uri', async () => {
        expectErrorPage((await open({ redirect_uri: 'https://evil.example.com/callback' })).response);
      });

      it('refuses a redirect_uri that differs only in its path', async () => {
        expectErrorPage((await open({ redirect_uri: `${client.redirectUri}/more` })).response);
      });

      it('refuses an omitted redirect_uri when several URIs are registered', async () => {
        const several = await createClient(h, {
          callback_url: 'https://several.example.com/a',
          redirect_uris: ['https://several.example.com/a', 'https://several.example.com/b'],
        });
        expectErrorPage((await open({ redirect_uri: undefined }, several)).response);
      });

      it('shows the page even to a user who is not signed in', async () => {
        const params = authorizeParams(client, makePkce(), { redirect_uri: 'https://evil.example.com/cb' });
        expectErrorPage((await openConsent(h.url, undefined, params)).response);
      });
    });

    describe('redirect URI matching for loopback clients (RFC 8252 §7.3)', () => {
      const cases: { registered: string; requested: string; accepted: boolean }[] = [
        { registered: 'http://127.0.0.1:5000/cb', requested: 'http://127.0.0.1:6000/cb', accepted: true },
        { registered: 'http://127.0.0.1:5000/cb', requested: 'http://127.0.0.1/cb', accepted: true },
        { registered: 'http://localhost/cb', requested: 'http://localhost:1234/cb', accepted: true },
        { registered: 'http://[::1]:5000/cb', requested: 'http://[::1]:7000/cb', accepted: true },
        { registered: 'http://127.0.0.1:5000', requested: 'http://127.0.0.1:6000/', accepted: true },
        { registered: 'http://127.0.0.1:5000/', requested: 'http://127.0.0.1:6000', accepted: true },
        { registered: 'http://127.0.0.1:5000/cb', requested: 'http://127.0.0.1:6000/other', accepted: false },
        {
          registered: 'http://127.0.0.1:5000/cb',
          requested: 'http://127.0.0.1:6000/cb?x=1',
          accepted: false,
        },
        { registered: 'http://127.0.0.1:5000/cb', requested: 'https://127.0.0.1:5000/cb', accepted: false },
        { registered: 'http://127.0.0.1:5000/cb', requested: 'http://localhost:5000/cb', accepted: false },
        { registered: 'https://example.com/cb', requested: 'https://example.com:8443/cb', accepted: false },
        {
          registered: 'http://example.com:5000/cb',
          requested: 'http://example.com:6000/cb',
          accepted: false,
        },
        // A browser reads `\` as `/`: these would send the code to /@evil.example/cb or to evil.example.
        {
          registered: 'http://127.0.0.1/cb',
          requested: 'http://127.0.0.1:5555\\@evil.example/cb',
          accepted: false,
        },
        { registered: 'http://127.0.0.1/cb', requested: 'http://127.0.0.1:5555\\/cb', accepted: false },
        {
          registered: 'http://127.0.0.1/cb',
          requested: 'http://127.0.0.1:5555@evil.example/cb',
          accepted: false,
        },
        { registered: 'http://127.0.0.1/cb', requested: 'http://user@127.0.0.1:5555/cb', accepted: false },
        { registered: 'http://127.0.0.1/cb', requested: 'http://user:pw@127.0.0.1/cb', accepted: false },
        { registered: 'http://127.0.0.1/cb', requested: 'http://127.0.0.1:5555/x/../cb', accepted: false },
        { registered: 'http://127.0.0.1/cb', requested: 'http://127.0.0.1:5555/%63b', accepted: false },
        { registered: 'http://127.0.0.1/cb', requested: 'http://127.0.0.1:5555/cb#x', accepted: false },
        { registered: 'http://127.0.0.1/cb', requested: 'http://127.0.0.1:5555/cb\t', accepted: false },
      ];
      for (const { registered, requested, accepted } of cases) {
        it(`${accepted ? 'accepts' : 'refuses'} ${requested} for a registered ${registered}`, async () => {
          const loopback = await createClient(h, { type: 'public', callback_url: registered });
          const page = await open({ redirect_uri: requested }, loopback);
          if (!accepted) {
            expectErrorPage(page.response);
            return;
          }
          expect(page.response.status, page.response.text).to.equal(200);
          const answer = await decide(h.url, page, 'allow');
          const location = locationOf(h.url, answer);
          expect(location.href.startsWith(requested)).to.equal(true, location.href);
          expect(location.searchParams.get('code')).to.match(/^lk_code_/);
        });
      }

      it('redeems a code whose redirect_uri used another loopback port', async () => {
        const loopback = await createClient(h, { type: 'public', callback_url: 'http://127.0.0.1:5000/cb' });
        const code = await obtainCode(h, loopback, { params: { redirect_uri: 'http://127.0.0.1:6000/cb' } });
        expectTokens(await exchange(h.url, loopback, code));
      });
    });

    describe('errors sent back to the client on the GET (step 4)', () => {
      it('sends unsupported_response_type for response_type=token', async () => {
        const page = await open({ response_type: 'token' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'unsupported_response_type');
      });

      it('sends invalid_request for a missing code_challenge', async () => {
        const page = await open({ code_challenge: undefined, code_challenge_method: undefined });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      it('sends invalid_request for code_challenge_method=plain', async () => {
        const verifier = makePkce().verifier;
        const page = await open({ code_challenge: verifier, code_challenge_method: 'plain' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      it('sends invalid_request for an omitted code_challenge_method, which means plain', async () => {
        const page = await open({ code_challenge_method: undefined });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      it('sends invalid_request for an unknown code_challenge_method', async () => {
        const page = await open({ code_challenge_method: 'S512' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      const malformed: [string, string][] = [
        ['42 characters', 'a'.repeat(42)],
        ['129 characters', 'a'.repeat(129)],
        ['a character outside [A-Za-z0-9._~-]', `${'a'.repeat(42)}+`],
        ['a padding character', `${'a'.repeat(42)}=`],
      ];
      for (const [what, challenge] of malformed) {
        it(`sends invalid_request for a code_challenge of ${what}`, async () => {
          const page = await open({ code_challenge: challenge });
          expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
        });
      }

      it('accepts code challenges of 43 and 128 characters', async () => {
        for (const challenge of ['a'.repeat(43), `${'A1._~-'.repeat(21)}ab`]) {
          const page = await open({ code_challenge: challenge });
          expect(page.response.status, `${challenge.length}: ${page.response.text}`).to.equal(200);
        }
      });

      it('sends invalid_request for a parameter given twice', async () => {
        const params: Pairs = [...authorizeParams(client, makePkce()), ['scope', 'mcp']];
        const page = await openConsent(h.url, h.session, [...params, ['scope', 'user:read']]);
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_request');
      });

      it('sends invalid_scope for a scope outside the client’s registered scope', async () => {
        const narrow = await createClient(h, { scope: 'user:read' });
        const page = await open({ scope: 'mcp' }, narrow);
        expectErrorRedirect(h, page.response, narrow.redirectUri, 'invalid_scope');
      });

      it('sends invalid_target for a resource that is not allowed', async () => {
        const page = await open({ resource: 'https://elsewhere.example.com/api' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_target');
      });

      it('sends invalid_target for a resource given twice', async () => {
        const params: Pairs = [
          ...authorizeParams(client, makePkce()),
          ['resource', h.url],
          ['resource', `${h.url}${MCP_PATH}`],
        ];
        const page = await openConsent(h.url, h.session, params);
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_target');
      });

      it('sends invalid_target for the same resource given twice', async () => {
        const params: Pairs = [
          ...authorizeParams(client, makePkce()),
          ['resource', h.url],
          ['resource', h.url],
        ];
        const page = await openConsent(h.url, h.session, params);
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_target');
      });

      it('sends invalid_target for a resource that is not an absolute URI', async () => {
        const page = await open({ resource: '/api/v2' });
        expectErrorRedirect(h, page.response, client.redirectUri, 'invalid_target');
      });
    });

    describe('scopes (§8)', () => {
      const grantedScope = async (target: OAuthClient, scope: string | undefined): Promise<string[]> => {
        const tokens = await obtainTokens(h, target, { params: { scope } });
        return tokens.scope.split(' ').sort();
      };

      it('defaults to LATCHKEY_DEFAULT_SCOPE when scope is omitted and none is registered', async () => {
        expect(await grantedScope(client, undefined)).to.deep.equal(['mcp', 'user:read']);
      });

      it('defaults to the registered scope when scope is omitted', async () => {
        const registered = await createClient(h, { scope: 'user:read' });
        expect(await grantedScope(registered, undefined)).to.deep.equal(['user:read']);
      });

      it('drops unsupported values and grants the rest', async () => {
        expect(await grantedScope(client, 'user:read calendar.read')).to.deep.equal(['user:read']);
      });

      it('falls back to the default when nothing supported is left', async () => {
        expect(await grantedScope(client, 'calendar.read')).to.deep.equal(['mcp', 'user:read']);
      });

      it('grants all to an owner-created app that asks for it', async () => {
        expect(await grantedScope(client, 'all')).to.deep.equal(['all']);
      });
    });

    describe('resources (RFC 8707)', () => {
      it('accepts the issuer and the MCP endpoint URL as resources', async () => {
        for (const resource of [h.url, `${h.url}${MCP_PATH}`]) {
          const page = await open({ resource });
          expect(page.response.status, `${resource}: ${page.response.text}`).to.equal(200);
        }
      });

      it('accepts a resource listed in LATCHKEY_ALLOWED_RESOURCES', async () => {
        const other = await storage.start({ LATCHKEY_ALLOWED_RESOURCES: 'https://api.example.com' });
        try {
          const otherClient = await createClient(other);
          const page = await openConsent(
            other.url,
            other.session,
            authorizeParams(otherClient, makePkce(), { resource: 'https://api.example.com' }),
          );
          expect(page.response.status, page.response.text).to.equal(200);
        } finally {
          await other.server.stop();
        }
      });
    });

    describe('a user who is not signed in (step 3)', () => {
      const expectLoginRedirect = (response: Awaited<ReturnType<typeof request>>, requested: string) => {
        expect(response.status, response.text).to.equal(303);
        const location = locationOf(h.url, response);
        expect(location.origin).to.equal(h.url);
        expect(location.pathname).to.equal('/login');
        const target = new URL(requested);
        expect(location.searchParams.get('redirect')).to.equal(`${target.pathname}${target.search}`);
      };

      it('is sent to /login with the path and query of the request', async () => {
        const target = authorizeUrl(h.url, authorizeParams(client, makePkce()));
        expectLoginRedirect(await request(target), target);
      });

      it('comes back to the consent page after signing in through /login', async () => {
        const target = authorizeUrl(h.url, authorizeParams(client, makePkce()));
        const toLogin = locationOf(h.url, await request(target));
        const form = await request(toLogin.href);
        expect(form.status).to.equal(200);
        const inputs = inputsOf(form.text);
        const csrfCookie = cookieFrom(form.headers, 'latchkey_csrf') ?? '';
        const signedIn = await request(`${h.url}/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie },
          body: new URLSearchParams({
            csrf_token: inputs.get('csrf_token') ?? '',
            redirect: inputs.get('redirect') ?? '',
            email: OWNER.email,
            password: OWNER.password,
          }).toString(),
        });
        expect(signedIn.status, signedIn.text).to.equal(303);
        const back = locationOf(h.url, signedIn);
        expect(back.href).to.equal(target);
        const session = cookieFrom(signedIn.headers, 'latchkey_session') ?? '';
        const consent = await request(back.href, { headers: { Cookie: session } });
        expect(consent.status, consent.text).to.equal(200);
        expect(inputsOf(consent.text).get('request_id')).to.be.a('string');
      });

      it('is not signed in by a session token in the Authorization header', async () => {
        const target = authorizeUrl(h.url, authorizeParams(client, makePkce()));
        expectLoginRedirect(await request(target, { headers: bearer(h.session) }), target);
      });

      it('is not signed in by an access token in the session cookie', async () => {
        const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
        const target = authorizeUrl(h.url, authorizeParams(client, makePkce()));
        const response = await request(target, { headers: { Cookie: sessionCookie(tokens.access_token) } });
        expectLoginRedirect(response, target);
      });

      it('is not signed in by an access_token query parameter', async () => {
        const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
        const target = authorizeUrl(h.url, [
          ...authorizeParams(client, makePkce()),
          ['access_token', tokens.access_token],
        ]);
        expect((await request(target)).status).to.equal(303);
      });

      it('cannot answer a consent form with an access token in the cookie', async () => {
        const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
        const page = await open();
        const cookie = page.cookie.replace(sessionCookie(h.session), sessionCookie(tokens.access_token));
        const answer = await postConsent(h.url, cookie, {
          request_id: page.requestId,
          csrf_token: page.csrf,
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });
    });

    describe('the consent POST (steps 5 and 6)', () => {
      it('redirects Deny with access_denied, the state and iss', async () => {
        const answer = await decide(h.url, await open(), 'deny');
        expectErrorRedirect(h, answer, client.redirectUri, 'access_denied');
      });

      it('refuses a POST without csrf_token with 403 and issues nothing', async () => {
        const page = await open();
        const answer = await postConsent(h.url, page.cookie, {
          request_id: page.requestId,
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location')).to.equal(null);
        expect(answer.text).to.not.include('lk_code_');
      });

      it('refuses a POST with a wrong csrf_token with 403 and issues nothing', async () => {
        const page = await open();
        const answer = await postConsent(h.url, page.cookie, {
          request_id: page.requestId,
          csrf_token: 'A'.repeat(43),
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location')).to.equal(null);
      });

      it('refuses the well-formed CSRF token of another consent form of the same session with 403', async () => {
        const page = await open();
        const other = await open();
        expect(other.csrf).to.match(/^lk_csrf_/);
        expect(other.csrf).to.not.equal(page.csrf);
        const answer = await postConsent(h.url, page.cookie, {
          request_id: page.requestId,
          csrf_token: other.csrf,
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location')).to.equal(null);
        expect(answer.text).to.not.include('lk_code_');
      });

      it('still answers the request with the right token after a refused POST', async () => {
        const page = await open();
        await postConsent(h.url, page.cookie, { request_id: page.requestId, decision: 'allow' });
        await postConsent(h.url, page.cookie, {
          request_id: page.requestId,
          csrf_token: 'x',
          decision: 'allow',
        });
        const answer = await decide(h.url, page, 'allow');
        expect(redirectParams(h.url, answer, client.redirectUri).get('code')).to.match(/^lk_code_/);
      });

      it('refuses the CSRF token of another user’s session with 403', async () => {
        const page = await open();
        const memberSession = await addMember(h);
        const cookie = page.cookie.replace(sessionCookie(h.session), sessionCookie(memberSession));
        const answer = await postConsent(h.url, cookie, {
          request_id: page.requestId,
          csrf_token: page.csrf,
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location')).to.equal(null);
      });

      it('refuses a POST without a session and issues nothing', async () => {
        const page = await open();
        const cookie = page.cookie.replace(sessionCookie(h.session), '').replace(/^;\s*/, '');
        const answer = await postConsent(h.url, cookie, {
          request_id: page.requestId,
          csrf_token: page.csrf,
          decision: 'allow',
        });
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });

      it('uses a request_id only once', async () => {
        const page = await open();
        const first = await decide(h.url, page, 'allow');
        expect(redirectParams(h.url, first, client.redirectUri).get('code')).to.match(/^lk_code_/);
        const second = await decide(h.url, page, 'allow');
        expectErrorPage(second);
      });

      it('issues nothing when the app was deleted after the consent page was shown', async () => {
        const page = await open();
        expect((await h.api.remove(client.id)).status).to.equal(204);
        const answer = await decide(h.url, page, 'allow');
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });

      it('issues nothing when the redirect URI was unregistered after the consent page was shown', async () => {
        const page = await open();
        const updated = await h.api.update(client.id, {
          name: client.app.name,
          callback_url: 'https://moved.example.com/cb',
        });
        expect(updated.status, updated.text).to.equal(200);
        const answer = await decide(h.url, page, 'allow');
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });
    });
  },
);

describeOnEachStorage('the consent request lifetime (docs/http-api.md#authorize step 5)', (storage) => {
  let h: OAuthHarness;
  let clock: FixedClock;
  let client: OAuthClient;
  beforeEach(async () => {
    clock = new FixedClock();
    h = await storage.start({}, { clock });
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  it('answers a consent form within 10 minutes', async () => {
    const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
    clock.advance(590);
    const answer = await decide(h.url, page, 'allow');
    expect(redirectParams(h.url, answer, client.redirectUri).get('code')).to.match(/^lk_code_/);
  });

  it('issues nothing for a consent form older than 10 minutes', async () => {
    const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
    clock.advance(601);
    const answer = await decide(h.url, page, 'allow');
    expect(answer.headers.get('location') ?? '').to.not.include('code=');
  });
});
