import { safeRedirect } from '@latchkey/adapters-http';
import { expect } from 'chai';
import {
  cookieFrom,
  login,
  OWNER,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
  describeOnBothStorages,
} from '../support/server.js';

const csrfFrom = (html: string): string => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';

const postForm = (url: string, fields: Record<string, string>, cookie: string): ReturnType<typeof request> =>
  request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: new URLSearchParams(fields).toString(),
  });

/** Loads a form page and returns its CSRF token and cookie. */
const openForm = async (
  url: string,
): Promise<{ csrf: string; cookie: string; html: string; headers: Headers }> => {
  const page = await request(url);
  return {
    csrf: csrfFrom(page.text),
    cookie: cookieFrom(page.headers, 'latchkey_csrf') ?? '',
    html: page.text,
    headers: page.headers,
  };
};

describeOnBothStorages(
  'the login and setup pages (docs/http-api.md#conventions, #users-and-sessions)',
  () => {
    let server: TestServer;
    let url: string;
    beforeEach(async () => {
      server = await startTestServer();
      url = server.url;
    });
    afterEach(() => server.stop());

    describe('/setup', () => {
      it('creates the owner through the form and signs the browser in', async () => {
        const form = await openForm(`${url}/setup`);
        expect(form.csrf).to.match(/^[A-Za-z0-9_-]{43}$/);
        const response = await postForm(
          `${url}/setup`,
          {
            csrf_token: form.csrf,
            email: OWNER.email,
            username: OWNER.username,
            password: OWNER.password,
            name: '',
          },
          form.cookie,
        );
        expect(response.status).to.equal(303);
        const session = cookieFrom(response.headers, 'latchkey_session');
        expect(session).to.match(/^latchkey_session=lk_sess_/);
        const me = await request(`${url}/api/v2/users/me`, { headers: { Cookie: session ?? '' } });
        expect(me.body).to.include({ role: 'owner', username: OWNER.username });
      });

      it('is gone once an owner exists', async () => {
        await setUpOwner(url);
        expect((await request(`${url}/setup`)).status).to.equal(404);
      });

      it('refuses a POST without the CSRF token and creates nothing', async () => {
        const form = await openForm(`${url}/setup`);
        const response = await postForm(
          `${url}/setup`,
          { email: OWNER.email, username: OWNER.username, password: OWNER.password },
          form.cookie,
        );
        expect(response.status).to.equal(403);
        expect((await request(`${url}/setup`)).status).to.equal(200);
      });

      it('re-renders the form with 400 for invalid fields, escaping what was typed', async () => {
        const form = await openForm(`${url}/setup`);
        const response = await postForm(
          `${url}/setup`,
          { csrf_token: form.csrf, email: '"><script>alert(1)</script>', username: 'ok', password: 'short' },
          form.cookie,
        );
        expect(response.status).to.equal(400);
        expect(response.text).to.not.include('<script>alert(1)</script>');
        expect(response.text).to.include('value="&quot;>&lt;script>alert(1)&lt;/script>"');
      });
    });

    describe('/login', () => {
      beforeEach(() => setUpOwner(url));

      it('serves a form with the page security headers', async () => {
        const form = await openForm(`${url}/login?redirect=/api/v2/users/me`);
        expect(form.headers.get('x-frame-options')).to.equal('DENY');
        expect(form.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
        expect(form.headers.get('content-security-policy')).to.not.include('form-action');
        expect(form.headers.get('referrer-policy')).to.equal('no-referrer');
        expect(form.headers.get('cache-control')).to.equal('no-store');
        expect(form.html).to.include('name="redirect" value="/api/v2/users/me"');
      });

      it('signs in and redirects to the local target with 303', async () => {
        const form = await openForm(`${url}/login`);
        const response = await postForm(
          `${url}/login`,
          {
            csrf_token: form.csrf,
            email: OWNER.email,
            password: OWNER.password,
            redirect: '/api/v2/users/me?x=1',
          },
          form.cookie,
        );
        expect(response.status).to.equal(303);
        expect(response.headers.get('location')).to.equal('/api/v2/users/me?x=1');
        expect(cookieFrom(response.headers, 'latchkey_session')).to.match(/^latchkey_session=lk_sess_/);
      });

      describe('when the redirect target resolves to another host', () => {
        const tricks = [
          '/.//evil.example/x',
          '/..//evil.example/x',
          '/%2e//evil.example/x',
          '/%2e%2e//evil.example/x',
          '/a/..//evil.example/x',
          '/././/evil.example/x',
        ];

        for (const trick of tricks) {
          it(`sends a signed-in browser to / for ${trick} (GET)`, async () => {
            const session = await login(url, OWNER.email, OWNER.password);
            const response = await request(`${url}/login?redirect=${encodeURIComponent(trick)}`, {
              headers: { Cookie: `latchkey_session=${session}` },
            });
            expect(response.status).to.equal(303);
            expect(response.headers.get('location')).to.equal('/');
          });

          it(`offers / in the form and redirects to / after signing in for ${trick} (POST)`, async () => {
            const form = await openForm(`${url}/login?redirect=${encodeURIComponent(trick)}`);
            expect(form.html).to.include('name="redirect" value="/"');
            const response = await postForm(
              `${url}/login`,
              { csrf_token: form.csrf, email: OWNER.email, password: OWNER.password, redirect: trick },
              form.cookie,
            );
            expect(response.status).to.equal(303);
            expect(response.headers.get('location')).to.equal('/');
          });
        }
      });

      it('refuses a POST without a valid CSRF token with 403 and no cookie', async () => {
        const form = await openForm(`${url}/login`);
        const response = await postForm(
          `${url}/login`,
          { csrf_token: 'A'.repeat(43), email: OWNER.email, password: OWNER.password },
          form.cookie,
        );
        expect(response.status).to.equal(403);
        expect(cookieFrom(response.headers, 'latchkey_session')).to.equal(undefined);
      });

      it('re-renders with 401 and the generic message for a wrong password', async () => {
        const form = await openForm(`${url}/login`);
        const response = await postForm(
          `${url}/login`,
          { csrf_token: form.csrf, email: OWNER.email, password: 'wrong password' },
          form.cookie,
        );
        expect(response.status).to.equal(401);
        expect(cookieFrom(response.headers, 'latchkey_session')).to.equal(undefined);
      });
    });

    describe('/login with the rate limit on', () => {
      let limited: TestServer;
      beforeEach(async () => {
        limited = await startTestServer({ LATCHKEY_RATE_LIMIT_LOGIN: '2' });
        await setUpOwner(limited.url);
      });
      afterEach(() => limited.stop());

      it('re-renders the form with 429 and Retry-After, and sets no session cookie', async () => {
        const form = await openForm(`${limited.url}/login`);
        // setUpOwner spent one check of this IP's budget of two.
        const first = await postForm(
          `${limited.url}/login`,
          { csrf_token: form.csrf, email: OWNER.email, password: 'wrong one' },
          form.cookie,
        );
        expect(first.status).to.equal(401);
        const limitedResponse = await postForm(
          `${limited.url}/login`,
          { csrf_token: form.csrf, email: OWNER.email, password: OWNER.password },
          form.cookie,
        );
        expect(limitedResponse.status).to.equal(429);
        expect(Number(limitedResponse.headers.get('retry-after'))).to.be.greaterThan(0);
        expect(cookieFrom(limitedResponse.headers, 'latchkey_session')).to.equal(undefined);
      });
    });

    describe('safeRedirect', () => {
      const issuer = 'http://localhost:8080';
      const cases: [string | undefined, string][] = [
        ['/apps', '/apps'],
        ['/oauth2/authorize?client_id=a&state=b', '/oauth2/authorize?client_id=a&state=b'],
        [undefined, '/'],
        ['', '/'],
        ['/', '/'],
        ['//evil.example', '/'],
        ['/\\evil.example', '/'],
        ['https://evil.example/', '/'],
        ['/%09/evil.example', '/'],
        ['/a\\b', '/'],
        ['/a b', '/'],
        ['/a%5Cb', '/'],
        ['/a%0d%0aSet-Cookie:x', '/'],
        ['javascript:alert(1)', '/'],
        ['/\t/evil.example', '/'],
        ['/.//evil.example/x', '/'],
        ['/..//evil.example', '/'],
        ['/%2e//evil.example', '/'],
        ['/%2E%2E//evil.example', '/'],
        ['/a/..//evil.example', '/'],
        ['/a/../b', '/b'],
        ['/./%2e/\\evil.example', '/'],
        ['/.%2f/evil.example', '/.%2f/evil.example'],
      ];
      for (const [candidate, expected] of cases) {
        it(`maps ${JSON.stringify(candidate)} to ${expected}`, () => {
          expect(safeRedirect(candidate, issuer)).to.equal(expected);
        });
      }
    });
  },
);
