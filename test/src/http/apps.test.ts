import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import {
  bearer,
  login,
  MEMBER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
} from '../support/server.js';
import {
  adminApi,
  appBody,
  roundTripsAnApp,
  validationFields,
  type AdminApi,
  type WireApp,
} from './admin-api.js';

describe('the OAuth2 apps admin API (docs/http-api.md#apps)', () => {
  let server: TestServer;
  let url: string;
  let ownerToken: string;
  let owner: AdminApi;

  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
    ownerToken = await setUpOwner(url);
    owner = adminApi(url, ownerToken);
  });
  afterEach(() => server.stop());

  const addMember = async (): Promise<{ id: string; token: string }> => {
    const created = await postJson(`${url}/api/v2/users`, MEMBER, bearer(ownerToken));
    expect(created.status).to.equal(201);
    const id = (created.body as { id: string }).id;
    return { id, token: await login(url, MEMBER.email, MEMBER.password) };
  };

  const ownerId = async (): Promise<string> => {
    const me = await request(`${url}/api/v2/users/me`, { headers: bearer(ownerToken) });
    return (me.body as { id: string }).id;
  };

  context('when the owner manages an app', () => {
    it('creates, reads, replaces and deletes it, after which it is not found', async () => {
      await roundTripsAnApp(owner, url);
    });

    it('registers the callback URL first and then the other redirect URIs, without repeats', async () => {
      const app = await owner.createApp({
        callback_url: 'https://a.example.com/cb',
        redirect_uris: ['https://b.example.com/cb', 'https://a.example.com/cb', 'https://b.example.com/cb'],
      });
      expect(app.redirect_uris).to.deep.equal(['https://a.example.com/cb', 'https://b.example.com/cb']);
      const updated = await owner.update(app.id, {
        name: app.name,
        callback_url: 'https://c.example.com/cb',
        redirect_uris: ['http://localhost:3000/cb', 'https://c.example.com/cb'],
      });
      expect(updated.status, updated.text).to.equal(200);
      expect((updated.body as WireApp).redirect_uris).to.deep.equal([
        'https://c.example.com/cb',
        'http://localhost:3000/cb',
      ]);
    });

    it('accepts any absolute http or https redirect URI from an owner', async () => {
      const app = await owner.createApp({
        callback_url: 'http://intranet.example.com/cb',
        redirect_uris: ['http://10.0.0.7:8080/cb?x=1', 'https://app.example.com/other'],
      });
      expect(app.redirect_uris).to.deep.equal([
        'http://intranet.example.com/cb',
        'http://10.0.0.7:8080/cb?x=1',
        'https://app.example.com/other',
      ]);
    });

    it('accepts names at the edges of the rules', async () => {
      for (const name of ['a', 'A1', 'a-b-c', 'x'.repeat(32), 'New-app', 'news']) {
        const response = await owner.create(appBody({ name }));
        expect(response.status, name).to.equal(201);
        expect((response.body as WireApp).name).to.equal(name);
      }
    });

    it('keeps client_type when an update omits it', async () => {
      const app = await owner.createApp({ client_type: 'public' });
      expect(app.client_type).to.equal('public');
      const updated = await owner.update(app.id, appBody({ name: 'renamed' }));
      expect(updated.status, updated.text).to.equal(200);
      expect(updated.body).to.include({ client_type: 'public', name: 'renamed' });
    });

    it('accepts an update that repeats the same client_type', async () => {
      const app = await owner.createApp({ client_type: 'public' });
      const updated = await owner.update(app.id, appBody({ client_type: 'public' }));
      expect(updated.status, updated.text).to.equal(200);
      expect(updated.body).to.include({ client_type: 'public' });
    });

    it('refuses to change client_type with 400 naming client_type', async () => {
      const app = await owner.createApp();
      const response = await owner.update(app.id, appBody({ client_type: 'public' }));
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('client_type');
      expect((await owner.get(app.id)).body).to.include({ client_type: 'confidential' });
    });

    it('refuses an unknown client_type with 400 naming client_type', async () => {
      const response = await owner.create(appBody({ client_type: 'secretive' }));
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('client_type');
    });

    it('refuses an icon that is not a string with 400 naming icon', async () => {
      const response = await owner.create(appBody({ icon: 7 }));
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('icon');
    });

    it('names every bad field of one body at once', async () => {
      const response = await owner.create({
        name: 'a--b',
        callback_url: 'bar',
        redirect_uris: ['javascript:alert(1)'],
        scope: 'nonsense',
      });
      expect(response.status).to.equal(400);
      const fields = validationFields(response);
      expect(fields).to.include.members(['name', 'callback_url', 'scope']);
      expect(
        fields.some((f) => f.startsWith('redirect_uris')),
        fields.join(','),
      ).to.equal(true);
    });

    it('names both a bad redirect URI and a bad scope of an otherwise valid body', async () => {
      const response = await owner.create(
        appBody({ redirect_uris: ['ftp://x.example.com/cb'], scope: 'nonsense' }),
      );
      expect(response.status).to.equal(400);
      const fields = validationFields(response);
      expect(fields).to.include('scope');
      expect(
        fields.some((f) => f.startsWith('redirect_uris')),
        fields.join(','),
      ).to.equal(true);
    });

    it('stores introspect_any when given and refuses a non-boolean', async () => {
      const app = await owner.createApp({ introspect_any: true });
      expect(app.introspect_any).to.equal(true);
      const response = await owner.create(appBody({ introspect_any: 'yes' }));
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('introspect_any');
    });
  });

  context('with a scope', () => {
    it('keeps supported values and echoes them as scope', async () => {
      const app = await owner.createApp({ scope: 'user:read mcp' });
      expect(app.scope?.split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
      expect((await owner.get(app.id)).body).to.deep.equal(app);
    });

    it('refuses an unsupported value with 400 naming scope', async () => {
      for (const scope of ['nonsense', 'user:read nonsense']) {
        const response = await owner.create(appBody({ scope }));
        expect(response.status, scope).to.equal(400);
        expect(validationFields(response), scope).to.include('scope');
      }
    });

    it('registers no scope for an empty one', async () => {
      const app = await owner.createApp({ scope: '' });
      expect(app).to.not.have.property('scope');
    });

    it('drops the scope when an update omits it', async () => {
      const app = await owner.createApp({ scope: 'mcp' });
      expect(app.scope).to.equal('mcp');
      const updated = await owner.update(app.id, appBody());
      expect(updated.status, updated.text).to.equal(200);
      expect(updated.body).to.not.have.property('scope');
    });
  });

  context('when listing apps', () => {
    it('answers an empty list as []', async () => {
      const response = await owner.list();
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal([]);
    });

    it('orders by name, then id, and allows duplicate names', async () => {
      const beta = await owner.createApp({ name: 'beta' });
      const alpha1 = await owner.createApp({ name: 'alpha' });
      const alpha2 = await owner.createApp({ name: 'alpha' });
      const gamma = await owner.createApp({ name: 'gamma' });
      const alphas = [alpha1.id, alpha2.id].sort();
      const response = await owner.list();
      expect(response.status).to.equal(200);
      const apps = response.body as WireApp[];
      expect(apps.map((a) => a.id)).to.deep.equal([...alphas, beta.id, gamma.id]);
      expect(apps.find((a) => a.id === beta.id)).to.deep.equal(beta);
    });

    it('pages with limit and offset', async () => {
      for (const name of ['a1', 'a2', 'a3', 'a4']) await owner.createApp({ name });
      const names = async (query: string) => {
        const response = await owner.list(query);
        expect(response.status, query).to.equal(200);
        return (response.body as WireApp[]).map((a) => a.name);
      };
      expect(await names('?limit=2')).to.deep.equal(['a1', 'a2']);
      expect(await names('?limit=2&offset=2')).to.deep.equal(['a3', 'a4']);
      expect(await names('?offset=3')).to.deep.equal(['a4']);
      expect(await names('?offset=10')).to.deep.equal([]);
    });

    it('returns 100 apps by default and caps limit at 500', async () => {
      for (let i = 0; i < 101; i += 1) await owner.createApp({ name: `app-${String(i).padStart(3, '0')}` });
      const byDefault = await owner.list();
      expect(byDefault.status).to.equal(200);
      expect(byDefault.body).to.have.length(100);
      const large = await owner.list('?limit=1000');
      expect(large.status).to.equal(200);
      expect(large.body).to.have.length(101);
    });

    it('refuses a dynamically_registered that is not true or false with 400 naming it', async () => {
      const response = await owner.list('?dynamically_registered=maybe');
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('dynamically_registered');
    });

    it('refuses a malformed limit with 400 naming it', async () => {
      const response = await owner.list('?limit=many');
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('limit');
    });

    it('filters on dynamically_registered', async () => {
      const app = await owner.createApp();
      const owned = await owner.list('?dynamically_registered=false');
      expect(owned.status).to.equal(200);
      expect((owned.body as WireApp[]).map((a) => a.id)).to.deep.equal([app.id]);
      const registered = await owner.list('?dynamically_registered=true');
      expect(registered.status).to.equal(200);
      expect(registered.body).to.deep.equal([]);
    });

    it('answers [] for a user_id without grants', async () => {
      await owner.createApp();
      const response = await owner.list(`?user_id=${await ownerId()}`);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal([]);
    });

    it('refuses a malformed user_id with 400 naming it', async () => {
      const response = await owner.list('?user_id=not-a-uuid');
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('user_id');
    });
  });

  context('when a member calls', () => {
    let member: { id: string; token: string };
    let app: WireApp;
    beforeEach(async () => {
      member = await addMember();
      app = await owner.createApp();
    });

    it('lets the member list apps and read one', async () => {
      const api = adminApi(url, member.token);
      const list = await api.list();
      expect(list.status).to.equal(200);
      expect(list.body).to.deep.equal([app]);
      const one = await api.get(app.id);
      expect(one.status).to.equal(200);
      expect(one.body).to.deep.equal(app);
    });

    it('lets the member ask about their own grants', async () => {
      const response = await adminApi(url, member.token).list(`?user_id=${member.id}`);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal([]);
    });

    it('refuses with 403 when the member asks about another user', async () => {
      const response = await adminApi(url, member.token).list(`?user_id=${await ownerId()}`);
      expect(response.status).to.equal(403);
      expect(response.headers.get('www-authenticate')).to.equal(null);
    });

    it('refuses writes with 403 and no challenge', async () => {
      const secret = await owner.createSecretOf(app.id);
      const api = adminApi(url, member.token);
      const attempts = [
        await api.create(appBody({ name: 'sneaky' })),
        await api.update(app.id, appBody({ name: 'sneaky' })),
        await api.remove(app.id),
        await api.secrets(app.id),
        await api.createSecret(app.id),
        await api.deleteSecret(app.id, secret.id),
      ];
      for (const response of attempts) {
        expect(response.status, response.text).to.equal(403);
        expect(response.headers.get('www-authenticate')).to.equal(null);
        expect(response.body).to.have.property('message');
      }
      expect((await owner.get(app.id)).body).to.deep.equal(app);
      expect((await owner.list()).body).to.deep.equal([app]);
    });
  });

  context('when a member sends an invalid body', () => {
    it('refuses the write with 403 rather than judging the body', async () => {
      const member = await addMember();
      const app = await owner.createApp();
      const api = adminApi(url, member.token);
      for (const response of [await api.create({}), await api.update(app.id, { name: 'a--b' })]) {
        expect(response.status, response.text).to.equal(403);
        expect(response.body).to.not.have.property('validations');
      }
    });
  });

  context('when the app does not exist', () => {
    it('answers 404 for read, update and delete', async () => {
      const id = randomUUID();
      expect((await owner.get(id)).status).to.equal(404);
      expect((await owner.update(id, appBody())).status).to.equal(404);
      expect((await owner.remove(id)).status).to.equal(404);
    });

    it('answers 404 for the secret routes', async () => {
      const id = randomUUID();
      expect((await owner.secrets(id)).status).to.equal(404);
      expect((await owner.createSecret(id)).status).to.equal(404);
      expect((await owner.deleteSecret(id, randomUUID())).status).to.equal(404);
    });

    it('answers 404 for an id that is not a uuid', async () => {
      for (const id of ['not-a-uuid', '12345', 'new']) {
        expect((await owner.get(id)).status, id).to.equal(404);
        expect((await owner.update(id, appBody())).status, id).to.equal(404);
        expect((await owner.remove(id)).status, id).to.equal(404);
        expect((await owner.secrets(id)).status, id).to.equal(404);
      }
    });
  });

  context('with an invalid name', () => {
    for (const name of ['', 'foo bar', 'x'.repeat(33), 'new', 'create', '-a', 'a--b']) {
      it(`refuses ${JSON.stringify(name)} with 400 naming name`, async () => {
        const response = await owner.create(appBody({ name }));
        expect(response.status, response.text).to.equal(400);
        expect(validationFields(response)).to.include('name');
      });
    }

    it('applies the same rules to an update', async () => {
      const app = await owner.createApp();
      const response = await owner.update(app.id, appBody({ name: 'a--b' }));
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('name');
      expect((await owner.get(app.id)).body).to.deep.equal(app);
    });
  });

  context('with an invalid callback_url', () => {
    const refused = [
      '',
      'localhost:3000',
      'coder.com',
      'http//coder',
      'bar',
      '/bar/baz/qux',
      'http',
      'http://',
      'bar baz qux',
    ];
    for (const callback of refused) {
      it(`refuses ${JSON.stringify(callback)} with 400 naming callback_url`, async () => {
        const response = await owner.create(appBody({ callback_url: callback }));
        expect(response.status, response.text).to.equal(400);
        expect(validationFields(response)).to.include('callback_url');
      });
    }

    it('refuses a callback_url with a fragment or credentials with 400 naming callback_url', async () => {
      for (const callback of ['https://app.example.com/cb#frag', 'https://user:pw@app.example.com/cb']) {
        const response = await owner.create(appBody({ callback_url: callback }));
        expect(response.status, callback).to.equal(400);
        expect(validationFields(response), callback).to.include('callback_url');
      }
    });

    const forbiddenCharacters = [
      'https://app.example.com/cb"><script>alert(1)</script>',
      'https://app.example.com/cb?x="1"',
      'https://app.example.com/a\\b',
      'https://app.example.com/a^b`c',
      'https://app.example.com/a{b}|c',
      'https://app.example.com/caf\u00e9',
      'https://app.example.com/cb?x=%zz',
      'https://app.example.com/cb?x[]=1',
    ];
    for (const callback of forbiddenCharacters) {
      it(`refuses ${JSON.stringify(callback)}, which RFC 3986 does not allow, with 400 naming callback_url`, async () => {
        const response = await owner.create(appBody({ callback_url: callback }));
        expect(response.status, response.text).to.equal(400);
        expect(validationFields(response)).to.include('callback_url');
        const listed = await owner.list();
        expect(listed.status).to.equal(200);
        expect(listed.body).to.deep.equal([]);
      });
    }

    it('refuses the same characters in redirect_uris and on update', async () => {
      const app = await owner.createApp();
      const inRedirects = await owner.create(appBody({ redirect_uris: ['https://app.example.com/<cb>'] }));
      expect(inRedirects.status, inRedirects.text).to.equal(400);
      expect(validationFields(inRedirects).some((f) => f.startsWith('redirect_uris'))).to.equal(true);
      const updated = await owner.update(app.id, appBody({ callback_url: 'https://app.example.com/"cb"' }));
      expect(updated.status, updated.text).to.equal(400);
      expect(validationFields(updated)).to.include('callback_url');
      expect((await owner.get(app.id)).body).to.deep.equal(app);
    });

    it('accepts percent-encoded characters, sub-delims and an IPv6 host as written', async () => {
      for (const callback of [
        "https://app.example.com/cb?q=%22%3C%3E&s=!$'()*+,;=:@/?",
        'http://[::1]:8080/cb',
      ]) {
        const response = await owner.create(appBody({ callback_url: callback }));
        expect(response.status, response.text).to.equal(201);
        expect((response.body as { callback_url: string }).callback_url).to.equal(callback);
      }
    });

    it('names both missing fields', async () => {
      const response = await owner.create({});
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include.members(['name', 'callback_url']);
    });

    it('names a missing callback_url on update', async () => {
      const app = await owner.createApp();
      const response = await owner.update(app.id, { name: 'renamed' });
      expect(response.status).to.equal(400);
      expect(validationFields(response)).to.include('callback_url');
    });
  });

  context('with a refused redirect URI', () => {
    const refused: [string, string][] = [
      ['a fragment', 'https://app.example.com/cb#frag'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,hi'],
      ['file:', 'file:///etc/passwd'],
      ['ftp:', 'ftp://files.example.com/cb'],
      ['a relative URI', '/relative/cb'],
    ];
    for (const [what, uri] of refused) {
      it(`refuses ${what} with 400 naming redirect_uris`, async () => {
        for (const clientType of ['confidential', 'public']) {
          const response = await owner.create(appBody({ redirect_uris: [uri], client_type: clientType }));
          expect(response.status, `${clientType}: ${response.text}`).to.equal(400);
          const fields = validationFields(response);
          expect(
            fields.some((f) => f.startsWith('redirect_uris')),
            fields.join(','),
          ).to.equal(true);
        }
      });
    }

    it('accepts a custom scheme for a public app', async () => {
      const app = await owner.createApp({ client_type: 'public', redirect_uris: ['com.example.app:/cb'] });
      expect(app.redirect_uris).to.deep.equal(['https://app.example.com/callback', 'com.example.app:/cb']);
    });

    it('refuses a custom scheme for a confidential app', async () => {
      const response = await owner.create(appBody({ redirect_uris: ['com.example.app:/cb'] }));
      expect(response.status).to.equal(400);
      expect(validationFields(response).some((f) => f.startsWith('redirect_uris'))).to.equal(true);
    });

    it('refuses a redirect_uris that is not a list of strings', async () => {
      const response = await owner.create(appBody({ redirect_uris: 'https://app.example.com/cb' }));
      expect(response.status).to.equal(400);
      expect(validationFields(response).some((f) => f.startsWith('redirect_uris'))).to.equal(true);
    });
  });

  context('with a bad request body', () => {
    it('answers a wrong content type with 415', async () => {
      const app = await owner.createApp();
      const body = JSON.stringify(appBody({ name: 'texty' }));
      expect((await owner.raw('POST', '', 'text/plain', body)).status).to.equal(415);
      expect((await owner.raw('PUT', `/${app.id}`, 'text/plain', body)).status).to.equal(415);
      expect((await owner.list()).body).to.deep.equal([app]);
    });

    it('accepts a JSON content type with a charset parameter', async () => {
      const response = await owner.raw(
        'POST',
        '',
        'application/json; charset=utf-8',
        JSON.stringify(appBody()),
      );
      expect(response.status, response.text).to.equal(201);
    });

    it('answers malformed JSON with 400', async () => {
      const app = await owner.createApp();
      const post = await owner.raw('POST', '', 'application/json', '{"name": ');
      expect(post.status).to.equal(400);
      expect(post.body).to.have.property('message');
      expect((await owner.raw('PUT', `/${app.id}`, 'application/json', '{"name": ')).status).to.equal(400);
    });

    it('answers a body that is not a JSON object with 400', async () => {
      for (const body of ['[]', '"text"', '42']) {
        expect((await owner.raw('POST', '', 'application/json', body)).status, body).to.equal(400);
      }
    });

    it('answers a body over 64 KiB with 413', async () => {
      const app = await owner.createApp();
      const body = appBody({ icon: 'x'.repeat(70 * 1024) });
      expect((await owner.create(body)).status).to.equal(413);
      expect((await owner.update(app.id, body)).status).to.equal(413);
    });
  });

  context('when a browser calls from another origin', () => {
    it('answers without CORS headers', async () => {
      const app = await owner.createApp();
      for (const path of ['', `/${app.id}`]) {
        const response = await request(`${owner.appsUrl}${path}`, {
          headers: { ...bearer(ownerToken), Origin: 'https://evil.example.com' },
        });
        expect(response.status).to.equal(200);
        expect(response.headers.get('access-control-allow-origin')).to.equal(null);
      }
    });
  });

  context('without credentials', () => {
    it('answers every route with 401 and a challenge naming the resource metadata', async () => {
      const app = await owner.createApp();
      const secret = await owner.createSecretOf(app.id);
      const anonymous = adminApi(url, undefined);
      const attempts = [
        await anonymous.list(),
        await anonymous.create(appBody()),
        await anonymous.get(app.id),
        await anonymous.update(app.id, appBody()),
        await anonymous.remove(app.id),
        await anonymous.secrets(app.id),
        await anonymous.createSecret(app.id),
        await anonymous.deleteSecret(app.id, secret.id),
      ];
      for (const response of attempts) {
        expect(response.status).to.equal(401);
        expect(response.headers.get('www-authenticate')).to.match(/^Bearer /);
        expect(response.headers.get('www-authenticate')).to.include(
          `resource_metadata="${url}/.well-known/oauth-protected-resource"`,
        );
      }
      expect((await owner.get(app.id)).status).to.equal(200);
    });
  });

  context('in the audit log', () => {
    interface WireAudit {
      action: string;
      resource_type: string;
      resource_id: string;
      actor_id?: string;
      ip: string;
      status: number;
      diff: Record<string, { old?: unknown; new?: unknown }>;
    }

    it('records create, write and delete of an app with actor, ip, status and diff', async () => {
      const app = await owner.createApp({ name: 'audited' });
      expect((await owner.update(app.id, appBody({ name: 'audited-2' }))).status).to.equal(200);
      expect((await owner.remove(app.id)).status).to.equal(204);

      const response = await request(`${url}/api/v2/audit-logs?resource_type=oauth2_provider_app`, {
        headers: bearer(ownerToken),
      });
      expect(response.status).to.equal(200);
      const { audit_logs: entries, count } = response.body as { audit_logs: WireAudit[]; count: number };
      expect(count).to.equal(3);
      expect(entries.map((e) => `${e.action}:${e.status}`)).to.deep.equal([
        'delete:204',
        'write:200',
        'create:201',
      ]);
      const actor = await ownerId();
      for (const entry of entries) {
        expect(entry).to.include({
          resource_type: 'oauth2_provider_app',
          resource_id: app.id,
          actor_id: actor,
          ip: '127.0.0.1',
        });
        expect(entry.diff).to.be.an('object');
      }
      const [, write, create] = entries;
      expect(write?.diff.name).to.deep.equal({ old: 'audited', new: 'audited-2' });
      expect(create?.diff.name).to.deep.include({ new: 'audited' });
    });
  });
});

describe('the OAuth2 apps admin API on PostgreSQL (docs/http-api.md#apps)', () => {
  let pg: PostgresHarness;
  let server: TestServer;
  let ownerToken: string;
  let owner: AdminApi;

  before(async () => {
    pg = await withPostgres();
    // The harness owns the database; the server must not close it when it stops.
    server = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
    ownerToken = await setUpOwner(server.url);
    owner = adminApi(server.url, ownerToken);
  });
  after(async () => {
    await server.stop();
    await pg.cleanup();
  });

  it('creates, reads, replaces and deletes an app, after which it is not found', async () => {
    await roundTripsAnApp(owner, server.url);
  });

  // The races below bite only with a pool of several connections, that is on a real server
  // (LATCHKEY_TEST_DATABASE_URL); the embedded database serves one connection at a time.
  it('lets exactly one of many concurrent deletes of an app succeed, audited once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const app = await owner.createApp({ name: 'pg-contested' });
      const responses = await Promise.all(Array.from({ length: 6 }, () => owner.remove(app.id)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses, `round ${round}`).to.deep.equal([204, 404, 404, 404, 404, 404]);
      const audit = await request(
        `${server.url}/api/v2/audit-logs?resource_type=oauth2_provider_app&action=delete&limit=500`,
        { headers: bearer(ownerToken) },
      );
      const deletes = (audit.body as { audit_logs: { resource_id: string }[] }).audit_logs.filter(
        (e) => e.resource_id === app.id,
      );
      expect(deletes, `round ${round}`).to.have.length(1);
    }
  });

  it('does not resurrect or rewrite an app deleted while it is being updated', async () => {
    const app = await owner.createApp({ name: 'pg-raced' });
    const [updated, removed] = await Promise.all([
      owner.update(app.id, appBody({ name: 'pg-raced-2' })),
      owner.remove(app.id),
    ]);
    expect(removed.status).to.equal(204);
    expect([200, 404]).to.include(updated.status);
    expect((await owner.get(app.id)).status).to.equal(404);
  });

  it('answers secret creation racing the app’s deletion with 201 or 404, never 500', async () => {
    for (let round = 0; round < 10; round += 1) {
      const app = await owner.createApp({ name: 'pg-secret-race' });
      const [removed, ...created] = await Promise.all([
        owner.remove(app.id),
        ...Array.from({ length: 4 }, () => owner.createSecret(app.id)),
      ]);
      expect(removed.status).to.equal(204);
      for (const response of created) expect([201, 404], response.text).to.include(response.status);
    }
  });

  it('keeps stored digests out of the log, even when a write fails (docs/http-api.md#credentials-at-rest)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const app = await owner.createApp({ name: 'pg-log-race' });
      await Promise.all([
        owner.remove(app.id),
        ...Array.from({ length: 4 }, () => owner.createSecret(app.id)),
      ]);
    }
    const digests = server.logs.join('\n').match(/[0-9a-f]{64}/g) ?? [];
    expect(digests).to.deep.equal([]);
  });

  it('lists apps by name, then id', async () => {
    const b = await owner.createApp({ name: 'pg-b' });
    const a1 = await owner.createApp({ name: 'pg-a' });
    const a2 = await owner.createApp({ name: 'pg-a' });
    const listed = ((await owner.list()).body as WireApp[])
      .filter((a) => ['pg-a', 'pg-b'].includes(a.name))
      .map((a) => a.id);
    expect(listed).to.deep.equal([...[a1.id, a2.id].sort(), b.id]);
  });
});
