import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';
import {
  adminApi,
  deletesSecrets,
  SECRET_PATTERN,
  SECRET_PREFIX,
  type AdminApi,
  type WireSecret,
} from './admin-api.js';

interface WireAudit {
  action: string;
  resource_type: string;
  resource_id: string;
  actor_id?: string;
  ip: string;
  status: number;
  diff: Record<string, { old?: unknown; new?: unknown }>;
}

describe('client secrets of OAuth2 apps (docs/http-api.md#apps, #credentials-at-rest)', () => {
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

  const auditLog = async (query: string): Promise<{ text: string; entries: WireAudit[] }> => {
    const response = await request(`${url}/api/v2/audit-logs${query}`, { headers: bearer(ownerToken) });
    expect(response.status, response.text).to.equal(200);
    return { text: response.text, entries: (response.body as { audit_logs: WireAudit[] }).audit_logs };
  };

  it('creates a prefixed secret and shows it in full only once', async () => {
    const app = await owner.createApp();
    const response = await owner.createSecret(app.id);
    expect(response.status, response.text).to.equal(201);
    const created = response.body as { id: string; client_secret_full: string };
    expect(Object.keys(created).sort()).to.deep.equal(['client_secret_full', 'id']);
    expect(created.client_secret_full).to.match(SECRET_PATTERN);
  });

  it('lists secrets by their last six characters, without last_used_at while unused', async () => {
    const app = await owner.createApp();
    const first = await owner.createSecretOf(app.id);
    const second = await owner.createSecretOf(app.id);
    expect(first.client_secret_full).to.not.equal(second.client_secret_full);

    const response = await owner.secrets(app.id);
    expect(response.status).to.equal(200);
    const secrets = response.body as WireSecret[];
    expect(secrets.map((s) => s.id).sort()).to.deep.equal([first.id, second.id].sort());
    for (const created of [first, second]) {
      const listed = secrets.find((s) => s.id === created.id);
      expect(Object.keys(listed ?? {}).sort()).to.deep.equal(['client_secret_truncated', 'created_at', 'id']);
      expect(listed?.client_secret_truncated).to.equal(created.client_secret_full.slice(-6));
      expect(listed?.created_at).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(response.text).to.not.include(created.client_secret_full);
      expect(response.text).to.not.include(created.client_secret_full.slice(SECRET_PREFIX.length));
    }
  });

  it('answers [] for an app without secrets', async () => {
    const app = await owner.createApp();
    const response = await owner.secrets(app.id);
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal([]);
  });

  it('never shows the full secret again, nor its digest', async () => {
    const app = await owner.createApp();
    const { client_secret_full: full } = await owner.createSecretOf(app.id);
    const part = full.slice(SECRET_PREFIX.length);
    const digest = createHash('sha256').update(part).digest();
    const responses = [
      await owner.get(app.id),
      await owner.list(),
      await owner.secrets(app.id),
      await request(`${url}/api/v2/audit-logs`, { headers: bearer(ownerToken) }),
    ];
    for (const response of responses) {
      expect(response.status).to.equal(200);
      expect(response.text).to.not.include(part);
      expect(response.text).to.not.include(digest.toString('hex'));
      expect(response.text).to.not.include(digest.toString('base64url'));
    }
  });

  it('deletes a secret, then answers 404 for it and for another app’s secret', async () => {
    await deletesSecrets(owner);
  });

  it('removes the secrets with the app', async () => {
    const app = await owner.createApp();
    const secret = await owner.createSecretOf(app.id);
    expect((await owner.remove(app.id)).status).to.equal(204);
    expect((await owner.secrets(app.id)).status).to.equal(404);
    expect((await owner.createSecret(app.id)).status).to.equal(404);
    expect((await owner.deleteSecret(app.id, secret.id)).status).to.equal(404);
  });

  it('answers 404 for a secret id that does not exist or is not a uuid', async () => {
    const app = await owner.createApp();
    expect((await owner.deleteSecret(app.id, randomUUID())).status).to.equal(404);
    expect((await owner.deleteSecret(app.id, 'not-a-uuid')).status).to.equal(404);
  });

  it('refuses a secret for a public app with 409', async () => {
    // The contract is silent; a public client authenticates with none, so a secret is a conflict.
    const app = await owner.createApp({ client_type: 'public' });
    const response = await owner.createSecret(app.id);
    expect(response.status).to.equal(409);
    expect(response.body).to.have.property('message');
    expect((await owner.secrets(app.id)).body).to.deep.equal([]);
  });

  it('records creating and deleting a secret without secret material', async () => {
    const app = await owner.createApp();
    const { id, client_secret_full: full } = await owner.createSecretOf(app.id);
    expect((await owner.deleteSecret(app.id, id)).status).to.equal(204);

    const me = await request(`${url}/api/v2/users/me`, { headers: bearer(ownerToken) });
    const actor = (me.body as { id: string }).id;
    const { text, entries } = await auditLog('?resource_type=oauth2_provider_app_secret');
    expect(entries.map((e) => `${e.action}:${e.status}`)).to.deep.equal(['delete:204', 'create:201']);
    for (const entry of entries) {
      expect(entry).to.include({
        resource_type: 'oauth2_provider_app_secret',
        actor_id: actor,
        ip: '127.0.0.1',
      });
      expect(entry.resource_id).to.be.a('string').and.not.equal('');
      expect(entry.diff).to.be.an('object');
    }

    const everything = (await auditLog('?limit=500')).text;
    const part = full.slice(SECRET_PREFIX.length);
    expect(part).to.have.length(43);
    const digest = createHash('sha256').update(part).digest();
    for (const log of [text, everything]) {
      expect(log).to.not.include(full);
      expect(log).to.not.include(part);
      expect(log).to.not.include(digest.toString('hex'));
      expect(log).to.not.include(digest.toString('base64url'));
      expect(log).to.not.include('null');
    }
  });
});

describe('client secrets of OAuth2 apps on PostgreSQL (docs/http-api.md#apps)', () => {
  let pg: PostgresHarness;
  let server: TestServer;
  let owner: AdminApi;

  before(async () => {
    pg = await withPostgres();
    // The harness owns the database; the server must not close it when it stops.
    server = await startTestServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
    owner = adminApi(server.url, await setUpOwner(server.url));
  });
  after(async () => {
    await server.stop();
    await pg.cleanup();
  });

  it('deletes a secret, then answers 404 for it and for another app’s secret', async () => {
    await deletesSecrets(owner);
  });

  it('removes the secrets with the app', async () => {
    const app = await owner.createApp({ name: 'pg-cascade' });
    const secret = await owner.createSecretOf(app.id);
    expect(secret.client_secret_full).to.match(SECRET_PATTERN);
    const listed = (await owner.secrets(app.id)).body as WireSecret[];
    expect(listed.map((s) => s.client_secret_truncated)).to.deep.equal([secret.client_secret_full.slice(-6)]);
    expect((await owner.remove(app.id)).status).to.equal(204);
    expect((await owner.secrets(app.id)).status).to.equal(404);
    expect((await owner.deleteSecret(app.id, secret.id)).status).to.equal(404);
  });
});
