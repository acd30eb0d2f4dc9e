import { get as httpGet } from 'node:http';
import { expect } from 'chai';
import { inputsOf } from '../oauth/flow-helpers.js';
import {
  cookieFrom,
  describeOnBothStorages,
  login,
  MEMBER,
  OWNER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type JsonResponse,
  type TestServer,
} from '../support/server.js';

const HTML = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** A signed-in browser: its cookies (session and CSRF) and the CSRF token of its pages. */
interface Browser {
  readonly cookie: string;
  readonly csrf: string;
}

/** Opens a console page with the session and keeps the CSRF cookie and token it hands out. */
const browserOf = async (url: string, session: string): Promise<Browser> => {
  const page = await request(`${url}/`, { headers: { ...HTML, Cookie: `latchkey_session=${session}` } });
  expect(page.status, page.text).to.equal(200);
  const csrfCookie = cookieFrom(page.headers, 'latchkey_csrf') ?? '';
  return {
    cookie: `latchkey_session=${session}; ${csrfCookie}`,
    csrf: inputsOf(page.text).get('csrf_token') ?? '',
  };
};

const get = (url: string, path: string, browser?: Browser): Promise<JsonResponse> =>
  request(`${url}${path}`, {
    headers: { ...HTML, ...(browser === undefined ? {} : { Cookie: browser.cookie }) },
  });

/** Posts a console form as a same-origin browser would, unless `headers` says otherwise. */
const post = (
  url: string,
  path: string,
  browser: Browser,
  fields: Record<string, string> = {},
  headers: Record<string, string> = { 'Sec-Fetch-Site': 'same-origin' },
): Promise<JsonResponse> =>
  request(`${url}${path}`, {
    method: 'POST',
    headers: {
      ...HTML,
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: browser.cookie,
      ...headers,
    },
    body: new URLSearchParams({ csrf_token: browser.csrf, ...fields }).toString(),
  });

const meStatus = async (url: string, session: string): Promise<number> =>
  (await request(`${url}/api/v2/users/me`, { headers: { Authorization: `Bearer ${session}` } })).status;

describeOnBothStorages('the web console over HTTP (docs/http-api.md#web-console)', () => {
  let server: TestServer;
  let url: string;
  let session: string;
  let owner: Browser;

  beforeEach(async () => {
    server = await startTestServer({ LATCHKEY_EXTRA_SCOPES: 'reports:read' });
    url = server.url;
    session = await setUpOwner(url);
    owner = await browserOf(url, session);
  });
  afterEach(() => server.stop());

  describe('every state-changing form', () => {
    it('is refused with an HTML 403 without the CSRF token, and changes nothing', async () => {
      const response = await post(url, '/logout', { ...owner, csrf: 'A'.repeat(43) });
      expect(response.status).to.equal(403);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
      expect(await meStatus(url, session)).to.equal(200);
    });

    it('is refused from another site even with the token', async () => {
      const crossSite = await post(url, '/logout', owner, {}, { 'Sec-Fetch-Site': 'cross-site' });
      expect(crossSite.status).to.equal(403);
      const otherOrigin = await post(url, '/logout', owner, {}, { Origin: 'https://evil.example' });
      expect(otherOrigin.status).to.equal(403);
      expect(await meStatus(url, session)).to.equal(200);
    });

    it('signs out with a POST: the session ends and the cookie is cleared', async () => {
      const response = await post(url, '/logout', owner, {}, { Origin: url });
      expect(response.status).to.equal(303);
      expect(response.headers.get('location')).to.equal('/login');
      expect(cookieFrom(response.headers, 'latchkey_session')).to.equal('latchkey_session=');
      expect(await meStatus(url, session)).to.equal(401);
    });
  });

  describe('pages', () => {
    it('send a signed-out browser to sign in, and back afterwards', async () => {
      const response = await get(url, '/apps?x=1');
      expect(response.status).to.equal(303);
      expect(response.headers.get('location')).to.equal('/login?redirect=/apps?x=1');
    });

    it('refuse the owner pages to a member with an HTML 403', async () => {
      await postJson(`${url}/api/v2/users`, MEMBER, { Authorization: `Bearer ${session}` });
      const member = await browserOf(url, await login(url, MEMBER.email, MEMBER.password));
      for (const path of [
        '/apps',
        '/apps/new',
        '/users',
        '/users/new',
        '/audit-log',
        '/registered-clients',
      ]) {
        const response = await get(url, path, member);
        expect(response.status, path).to.equal(403);
        expect(response.headers.get('content-type'), path).to.match(/^text\/html/);
      }
      const created = await post(url, '/users', member, {
        email: 'x@example.com',
        username: 'x',
        password: 'long enough password',
      });
      expect(created.status).to.equal(403);
      const users = await request(`${url}/api/v2/users`, { headers: { Authorization: `Bearer ${session}` } });
      expect((users.body as unknown[]).length).to.equal(2);
    });

    /** Creates a confidential app through the console; its page's path. */
    const createApp = async (): Promise<string> => {
      const created = await post(url, '/apps', owner, {
        name: 'Demo',
        callback_url: 'https://demo.example.com/cb',
      });
      expect(created.status, created.text).to.equal(303);
      return (created.headers.get('location') ?? '').replace(/\?.*$/, '');
    };

    /** The fields of the app page's "Create secret" form, as a browser would send them. */
    const secretForm = async (appPath: string): Promise<Record<string, string>> => {
      const page = await get(url, appPath, owner);
      expect(page.status, page.text).to.equal(200);
      const secretId = inputsOf(page.text).get('secret_id');
      expect(secretId).to.match(/^[0-9a-f-]{36}$/);
      return { secret_id: secretId ?? '' };
    };

    const secretsOf = async (appPath: string): Promise<unknown[]> => {
      const listed = await request(`${url}/api/v2/oauth2-provider${appPath}/secrets`, {
        headers: { Authorization: `Bearer ${session}` },
      });
      expect(listed.status, listed.text).to.equal(200);
      return listed.body as unknown[];
    };

    const secretIn = (text: string): string | undefined =>
      /id="new-secret"[^>]*value="([^"]+)"/.exec(text)?.[1];

    it('show a new secret once, in an answer that may not be stored', async () => {
      const appPath = await createApp();
      const answer = await post(url, `${appPath}/secrets`, owner, await secretForm(appPath));
      expect(answer.status).to.equal(201);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      const secret = secretIn(answer.text);
      expect(secret).to.match(/^lk_secret_/);
      const again = await get(url, appPath, owner);
      expect(again.text).to.not.include(secret ?? 'never');
    });

    it('create no second secret when the same form is sent again (a reload of the answer)', async () => {
      const appPath = await createApp();
      const form = await secretForm(appPath);
      const first = await post(url, `${appPath}/secrets`, owner, form);
      expect(first.status, first.text).to.equal(201);
      const secret = secretIn(first.text) ?? 'never';
      const resent = await post(url, `${appPath}/secrets`, owner, form);
      expect(resent.status, resent.text).to.equal(303);
      expect(resent.headers.get('location')).to.equal(`${appPath}?done=secret-shown-once`);
      expect(resent.text).to.not.include(secret);
      expect(await secretsOf(appPath)).to.have.length(1);
      const shown = await get(url, resent.headers.get('location') ?? '', owner);
      expect(shown.status).to.equal(200);
      expect(shown.text).to.not.include(secret);
      // A new form (a fresh page) creates a second one, as the owner asked.
      const second = await post(url, `${appPath}/secrets`, owner, await secretForm(appPath));
      expect(second.status, second.text).to.equal(201);
      expect(secretIn(second.text))
        .to.match(/^lk_secret_/)
        .and.not.equal(secret);
      expect(await secretsOf(appPath)).to.have.length(2);
    });

    it('create one secret when the same form is sent twice at once (a double click)', async () => {
      const appPath = await createApp();
      const form = await secretForm(appPath);
      const answers = await Promise.all([
        post(url, `${appPath}/secrets`, owner, form),
        post(url, `${appPath}/secrets`, owner, form),
      ]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 303]);
      expect(await secretsOf(appPath)).to.have.length(1);
    });

    it('refuse a "Create secret" form without its secret_id, creating nothing', async () => {
      const appPath = await createApp();
      for (const fields of [{}, { secret_id: 'not-a-uuid' }] as Record<string, string>[]) {
        const answer = await post(url, `${appPath}/secrets`, owner, fields);
        expect(answer.status, answer.text).to.equal(400);
        expect(secretIn(answer.text)).to.equal(undefined);
      }
      expect(await secretsOf(appPath)).to.have.length(0);
    });

    it('refuse a callback URL with characters RFC 3986 does not allow, naming the field', async () => {
      const callback = 'https://ok.example/cb"><b>x</b>';
      const response = await post(url, '/apps', owner, { name: 'Demo', callback_url: callback });
      expect(response.status, response.text).to.equal(400);
      expect(response.text).to.include('id="callback_url-error"');
      expect(response.text).to.not.include('<b>x</b>');
      // What was typed is kept, escaped (the helper's tag matching stops at its `>`).
      expect(response.text).to.include('value="https://ok.example/cb&quot;');
      const apps = await request(`${url}/api/v2/oauth2-provider/apps`, {
        headers: { Authorization: `Bearer ${session}` },
      });
      expect(apps.body).to.deep.equal([]);
    });

    it('enable and disable the client credentials grant of an application (docs/http-api.md#client-credentials-grant)', async () => {
      const refused = await post(url, '/apps', owner, {
        name: 'Machine',
        callback_url: 'https://machine.example.com/cb',
        client_credentials: 'true',
        client_credentials_scope: 'mcp',
      });
      expect(refused.status).to.equal(400);
      expect(refused.text).to.include('id="client_credentials_scope-error"');
      const created = await post(url, '/apps', owner, {
        name: 'Machine',
        callback_url: 'https://machine.example.com/cb',
        client_credentials: 'true',
        client_credentials_scope: 'reports:read',
      });
      expect(created.status, created.text).to.equal(303);
      const appPath = (created.headers.get('location') ?? '').replace(/\?.*$/, '');
      const api = `${url}/api/v2/oauth2-provider${appPath}`;
      const auth = { headers: { Authorization: `Bearer ${session}` } };
      expect((await request(api, auth)).body).to.include({ client_credentials_scope: 'reports:read' });
      const form = await get(url, `${appPath}/edit`, owner);
      expect(inputsOf(form.text).get('client_credentials_scope')).to.equal('reports:read');
      expect(form.text).to.match(/name="client_credentials"[^>]*checked/);
      const edited = await post(url, `${appPath}/edit`, owner, {
        name: 'Machine',
        callback_url: 'https://machine.example.com/cb',
        client_credentials_scope: 'reports:read',
      });
      expect(edited.status, edited.text).to.equal(303);
      const app = (await request(api, auth)).body as { grant_types: string[] };
      expect(app.grant_types).to.deep.equal(['authorization_code', 'refresh_token']);
    });

    it('keep what was typed and name the wrong field when a form is refused', async () => {
      const response = await post(url, '/apps', owner, {
        name: 'bad name!',
        callback_url: 'https://ok.example/cb',
      });
      expect(response.status).to.equal(400);
      expect(response.text).to.include('id="name-error"');
      expect(inputsOf(response.text).get('name')).to.equal('bad name!');
      expect(inputsOf(response.text).get('callback_url')).to.equal('https://ok.example/cb');
    });
  });

  describe('sessions and password', () => {
    it('end another session of the user, and not the current one', async () => {
      const second = await login(url, OWNER.email, OWNER.password);
      const page = await get(url, '/sessions', owner);
      const ids = [...page.text.matchAll(/action="\/sessions\/([0-9a-f-]{36})\/end"/g)].map(
        (m) => m[1] ?? '',
      );
      expect(ids).to.have.length(1);
      const ended = await post(url, `/sessions/${ids[0] ?? ''}/end`, owner);
      expect(ended.status).to.equal(303);
      expect(await meStatus(url, second)).to.equal(401);
      expect(await meStatus(url, session)).to.equal(200);
    });

    it('change the password given the current one, ending the other sessions only', async () => {
      const second = await login(url, OWNER.email, OWNER.password);
      const wrong = await post(url, '/password', owner, {
        current_password: 'not it at all',
        new_password: 'a brand new password',
      });
      expect(wrong.status).to.equal(400);
      expect(wrong.text).to.include('id="current_password-error"');
      expect(await meStatus(url, second)).to.equal(200);

      const changed = await post(url, '/password', owner, {
        current_password: OWNER.password,
        new_password: 'a brand new password',
      });
      expect(changed.status).to.equal(303);
      expect(await meStatus(url, second)).to.equal(401);
      expect(await meStatus(url, session)).to.equal(200);
      await login(url, OWNER.email, 'a brand new password');
    });
  });

  describe('error pages', () => {
    it('give a browser HTML and an API client JSON', async () => {
      const page = await get(url, '/apps/not-a-uuid', owner);
      expect(page.status).to.equal(404);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      const api = await request(`${url}/api/v2/users/me`, { headers: HTML });
      expect(api.status).to.equal(401);
      expect(api.headers.get('content-type')).to.match(/^application\/json/);
      expect(api.body).to.have.property('message');
    });
  });
});

describe('the console’s static files and policy (docs/http-api.md#web-console)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('serves the stylesheet and the script with their types, cached for good under their versioned URL', async () => {
    const page = await request(`${server.url}/login`);
    const css = /href="(\/static\/console\.css\?v=[^"]+)"/.exec(page.text)?.[1];
    expect(css).to.be.a('string');
    const versioned = await request(`${server.url}${css ?? ''}`);
    expect(versioned.status).to.equal(200);
    expect(versioned.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    expect(versioned.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    const plain = await request(`${server.url}/static/console.js`);
    expect(plain.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).to.equal('no-cache');
    const etag = plain.headers.get('etag') ?? '';
    // node:http, not fetch: fetch adds `Cache-Control: no-cache` to a conditional request, as a
    // reload would, and the server rightly answers that in full.
    const revalidated = await new Promise<number>((resolve, reject) => {
      httpGet(`${server.url}/static/console.js`, { headers: { 'If-None-Match': etag } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(revalidated).to.equal(304);
    expect((await request(`${server.url}/static/other.js`)).status).to.equal(404);
  });

  it('allows no inline script or style, and no framing', async () => {
    const csp = (await request(`${server.url}/login`)).headers.get('content-security-policy') ?? '';
    expect(csp).to.not.include('unsafe-inline');
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("style-src 'self'");
    expect(csp).to.include("frame-ancestors 'none'");
    const page = (await request(`${server.url}/login`)).text;
    expect(page).to.not.match(/<style|\sstyle=|<script(?![^>]*\ssrc=)/i);
  });
});
