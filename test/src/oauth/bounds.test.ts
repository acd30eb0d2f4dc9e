import { request as httpRequest } from 'node:http';
import type { ClientId } from '@latchkey/domain';
import { expect } from 'chai';
import { cookieFrom, OWNER, request } from '../support/server.js';
import {
  auditEntries,
  authorizeParams,
  authorizeUrl,
  createClient,
  decide,
  describeOnEachStorage,
  expectErrorPage,
  inputsOf,
  locationOf,
  makePkce,
  openConsent,
  redirectParams,
  userIdOf,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

/** docs/http-api.md#bounds: no `Location` header exceeds 8 KiB. */
const MAX_LOCATION = 8192;

const expectLocationWithinBound = (response: Awaited<ReturnType<typeof request>>): void => {
  const location = response.headers.get('location');
  expect(location, `a Location on the ${response.status}`).to.be.a('string');
  expect(location?.length ?? 0).to.be.at.most(MAX_LOCATION);
};

/**
 * The status and `Location` of a request, read with Node's HTTP client, which (unlike `fetch`)
 * reads headers of any size: the point is to see one that is too large.
 */
const rawLocation = (
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; location: string | undefined }> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', headers: init.headers, maxHeaderSize: 1 << 20 },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });

/** Signs in through the `/login` form with the target its GET offered, as a browser would. */
const signInThroughForm = async (url: string, loginLocation: URL) => {
  const form = await request(loginLocation.href);
  expect(form.status).to.equal(200);
  const inputs = inputsOf(form.text);
  return request(`${url}/login`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookieFrom(form.headers, 'latchkey_csrf') ?? '',
    },
    body: new URLSearchParams({
      csrf_token: inputs.get('csrf_token') ?? '',
      redirect: inputs.get('redirect') ?? '',
      email: OWNER.email,
      password: OWNER.password,
    }).toString(),
  });
};

describeOnEachStorage('bounds on authorization requests (docs/http-api.md#bounds)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  describe('the state', () => {
    it('of 1024 characters is sent back unchanged', async () => {
      const state = 's'.repeat(1024);
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce(), { state }));
      const params = redirectParams(h.url, await decide(h.url, page, 'allow'), client.redirectUri);
      expect(params.get('state')).to.equal(state);
    });

    it('of 1025 characters gets the error page and no redirect, signed in or not', async () => {
      const params = authorizeParams(client, makePkce(), { state: 's'.repeat(1025) });
      expectErrorPage((await openConsent(h.url, h.session, params)).response);
      expectErrorPage((await openConsent(h.url, undefined, params)).response);
    });

    it('whose escaped form would push the redirect past 8 KiB gets the error page', async () => {
      // 1000 characters of three UTF-8 bytes each: 9000 characters once percent-encoded.
      const params = authorizeParams(client, makePkce(), { state: '\u20ac'.repeat(1000) });
      expectErrorPage((await openConsent(h.url, h.session, params)).response);
    });
  });

  describe('a request that is not signed in', () => {
    it('of nearly 4 KiB is sent to /login within 8 KiB, and comes back whole after signing in', async () => {
      const params = authorizeParams(client, makePkce(), {
        state: 'a&b=c/d:e?f'.repeat(90),
        scope: 'mcp',
        // Unknown parameters are ignored (RFC 6749 §3.1) but still travel through /login.
        extension: 'a&b=c/d:e?f'.repeat(90),
      });
      const target = authorizeUrl(h.url, params);
      expect(target.length - h.url.length).to.be.within(3000, 4096);
      const toLogin = await request(target);
      expect(toLogin.status).to.equal(303);
      expectLocationWithinBound(toLogin);
      const signedIn = await signInThroughForm(h.url, locationOf(h.url, toLogin));
      expect(signedIn.status, signedIn.text).to.equal(303);
      expectLocationWithinBound(signedIn);
      expect(locationOf(h.url, signedIn).href).to.equal(target);
    });

    it('of more than 4 KiB gets the error page, no redirect', async () => {
      const params = authorizeParams(client, makePkce(), { unknown_parameter: 'x'.repeat(4200) });
      const response = await request(authorizeUrl(h.url, params));
      expectErrorPage(response);
    });

    it('of escape-heavy text within 4 KiB never gets a Location over 8 KiB', async () => {
      // `&&&…` and `%25…` are the characters that grow most when escaped again.
      for (const filler of ['&'.repeat(3900), '%25'.repeat(1300), '+'.repeat(3900)]) {
        const response = await request(
          `${authorizeUrl(h.url, authorizeParams(client, makePkce()))}${filler}`,
        );
        if (response.status === 303) expectLocationWithinBound(response);
        else expectErrorPage(response);
      }
    });
  });

  describe('the /login target', () => {
    const targets: [string, string][] = [
      ['characters a redirect escapes (braces)', `/?${'{'.repeat(2500)}`],
      ['characters a redirect escapes (backticks)', `/${'`'.repeat(3000)}`],
      ['non-ASCII characters', `/${'\u00e9'.repeat(2000)}`],
    ];
    for (const [what, target] of targets) {
      it(`is dropped for / when it holds ${what} that would make the Location too long`, async () => {
        const form = await request(`${h.url}/login`);
        const csrf = inputsOf(form.text).get('csrf_token') ?? '';
        const answer = await rawLocation(`${h.url}/login`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Cookie: cookieFrom(form.headers, 'latchkey_csrf') ?? '',
          },
          body: new URLSearchParams({
            csrf_token: csrf,
            redirect: target,
            email: OWNER.email,
            password: OWNER.password,
          }).toString(),
        });
        expect(answer.status).to.equal(303);
        expect(answer.location).to.equal('/');
        const signedIn = await rawLocation(`${h.url}/login?redirect=${encodeURIComponent(target)}`, {
          headers: { Cookie: `latchkey_session=${h.session}` },
        });
        expect(signedIn.status).to.equal(303);
        expect(signedIn.location).to.equal('/');
      });
    }

    it('is dropped for / when it is longer than a redirect may be', async () => {
      const response = await signInThroughForm(
        h.url,
        new URL(`${h.url}/login?redirect=/${'x'.repeat(9000)}`),
      );
      expect(response.status).to.equal(303);
      expect(response.headers.get('location')).to.equal('/');
    });
  });

  describe('a redirect URI that grows when escaped', () => {
    const paths: [string, string][] = [
      ['non-ASCII characters', '\u00e9'.repeat(1300)],
      ['braces', '{'.repeat(2500)],
    ];
    /**
     * A client whose only redirect URI is `uri`, written to storage directly: such characters are
     * refused at registration now (docs/http-api.md#create-and-update), but an app stored before
     * that rule may still have them.
     */
    const storedWith = async (uri: string): Promise<OAuthClient> => {
      const made = await createClient(h);
      const { clients } = h.server.running.storage;
      const stored = await clients.findById(made.id as ClientId);
      if (stored === undefined) throw new Error('the client was not stored');
      expect(await clients.update({ ...stored, callbackUrl: uri, redirectUris: [uri] })).to.equal(true);
      return { ...made, redirectUri: uri };
    };
    for (const [what, path] of paths) {
      it(`with ${what} and a long state gets the error page on the GET, never an oversized redirect`, async () => {
        const wide = await storedWith(`https://client.example/${path}`);
        for (const state of ['s'.repeat(1024), '{'.repeat(1024), 'st']) {
          const page = await openConsent(h.url, h.session, authorizeParams(wide, makePkce(), { state }));
          if (page.response.status === 400) {
            expectErrorPage(page.response);
            continue;
          }
          for (const decision of ['allow', 'deny'] as const) {
            const again = await openConsent(h.url, h.session, authorizeParams(wide, makePkce(), { state }));
            const answer = await rawLocation(`${h.url}/oauth2/authorize`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: again.cookie },
              body: new URLSearchParams({
                request_id: again.requestId ?? '',
                csrf_token: again.csrf ?? '',
                decision,
              }).toString(),
            });
            expect(answer.status).to.equal(302);
            expect(answer.location?.length ?? 0).to.be.at.most(MAX_LOCATION);
          }
        }
      });
    }
  });

  describe('pending consent requests of one session', () => {
    it('are capped: opening more pages expires the oldest, the newest still answer', async () => {
      const pages = [];
      for (let i = 0; i < 40; i += 1) {
        pages.push(
          await openConsent(h.url, h.session, authorizeParams(client, makePkce(), { state: `page-${i}` })),
        );
      }
      const oldest = pages[0];
      const newest = pages[pages.length - 1];
      if (oldest === undefined || newest === undefined) throw new Error('no pages');
      expectErrorPage(await decide(h.url, oldest, 'allow'));
      const params = redirectParams(h.url, await decide(h.url, newest, 'allow'), client.redirectUri);
      expect(params.get('state')).to.equal('page-39');
      expect(params.get('code')).to.match(/^lk_code_/);
    });
  });

  describe('many consent pages of one session opened at once', () => {
    it('all answer 200, however their trimming of the oldest requests interleaves', async () => {
      for (let round = 0; round < 3; round += 1) {
        const pages = await Promise.all(
          Array.from({ length: 48 }, (_, i) =>
            openConsent(h.url, h.session, authorizeParams(client, makePkce(), { state: `p${round}-${i}` })),
          ),
        );
        const statuses = pages.map((page) => page.response.status);
        expect(
          statuses.filter((status) => status !== 200),
          statuses.join(','),
        ).to.deep.equal([]);
      }
    });
  });

  describe('consent decisions are audited (docs/http-api.md#bounds, #audit-log)', () => {
    const grantCreations = () => auditEntries(h, '?resource_type=oauth2_grant&action=create');

    it('records an approval as create on oauth2_grant, with the client and scopes', async () => {
      const before = await grantCreations();
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce(), { scope: 'mcp' }));
      expect((await decide(h.url, page, 'allow')).status).to.equal(302);
      const after = await grantCreations();
      expect(after.count).to.equal(before.count + 1);
      const entry = after.entries[0];
      expect(entry).to.include({ action: 'create', resource_type: 'oauth2_grant', status: 302 });
      expect(entry?.resource_id).to.match(/^[0-9a-f-]{36}$/);
      expect(entry?.actor_id).to.equal(await userIdOf(h.url, h.session));
      expect(entry?.diff).to.deep.include({
        client_id: { new: client.id },
        scopes: { new: ['mcp'] },
        decision: { new: 'approved' },
      });
      expect(after.text).to.not.match(/lk_code_|lk_consent_|lk_csrf_/);
    });

    it('records a denial too, with no grant', async () => {
      const before = await grantCreations();
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce(), { scope: 'mcp' }));
      const denied = await decide(h.url, page, 'deny');
      expect(redirectParams(h.url, denied, client.redirectUri).get('error')).to.equal('access_denied');
      const after = await grantCreations();
      expect(after.count).to.equal(before.count + 1);
      const entry = after.entries[0];
      expect(entry).to.include({ action: 'create', resource_type: 'oauth2_grant', resource_id: '' });
      expect(entry?.diff).to.deep.include({
        client_id: { new: client.id },
        scopes: { new: ['mcp'] },
        decision: { new: 'denied' },
      });
    });

    it('records nothing for a consent POST refused for its CSRF token', async () => {
      const before = await grantCreations();
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
      const refused = await decide(h.url, { ...page, csrf: 'A'.repeat(43) }, 'allow');
      expect(refused.status).to.equal(403);
      expect((await grantCreations()).count).to.equal(before.count);
    });
  });
});
