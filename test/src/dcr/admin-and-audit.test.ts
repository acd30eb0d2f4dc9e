import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { APP_KEYS, type WireApp } from '../http/admin-api.js';
import type { OAuthHarness } from '../oauth/flow-helpers.js';
import { bearer, request, describeOnBothStorages } from '../support/server.js';
import {
  appAudit,
  expectInvalidRegistrationToken,
  manage,
  minimalMetadata,
  obtainTokens,
  registerClient,
  SecretsSeen,
  startDcrServer,
  type Registered,
} from './helpers.js';

const findApp = (apps: WireApp[], id: string): WireApp | undefined => apps.find((a) => a.id === id);

describeOnBothStorages(
  'registered clients in the admin API and the audit log (docs/http-api.md#apps, #audit-log, #credentials-at-rest)',
  () => {
    let h: OAuthHarness;
    let confidential: Registered;
    let publicClient: Registered;
    let nameless: Registered;
    /** The client the owner deletes through the admin API. */
    let doomedId = '';
    const seen = new SecretsSeen();

    before(async () => {
      h = await startDcrServer();
      confidential = await registerClient(h.url, {
        client_name: 'Claude Desktop',
        redirect_uris: ['https://claude.example.ai/api/mcp/auth_callback', 'http://127.0.0.1:5555/cb'],
        scope: 'mcp user:read',
      });
      publicClient = await registerClient(h.url, {
        client_name: 'MCP Inspector',
        redirect_uris: ['http://localhost:6274/oauth/callback'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['authorization_code'],
        scope: '',
      });
      nameless = await registerClient(h.url, minimalMetadata());
      await h.api.createApp({ name: 'owner-app' });
      seen.add(h.session);
      for (const client of [confidential, publicClient, nameless]) seen.add(client.token, client.secret);
      const tokens = await obtainTokens(h, confidential);
      seen.add(tokens.access_token, tokens.refresh_token);
    });
    after(() => h.server.stop());

    describe('the apps list', () => {
      it('shows a confidential registered client as a dynamically registered app', async () => {
        const list = await h.api.list();
        expect(list.status, list.text).to.equal(200);
        const app = findApp(list.body as WireApp[], confidential.clientId);
        expect(app, list.text).to.not.equal(undefined);
        expect(Object.keys(app ?? {}).sort()).to.deep.equal([...APP_KEYS, 'scope'].sort());
        expect(app).to.deep.include({
          id: confidential.clientId,
          name: 'Claude Desktop',
          callback_url: 'https://claude.example.ai/api/mcp/auth_callback',
          redirect_uris: ['https://claude.example.ai/api/mcp/auth_callback', 'http://127.0.0.1:5555/cb'],
          client_type: 'confidential',
          dynamically_registered: true,
          grant_types: ['authorization_code', 'refresh_token'],
        });
        expect((app?.scope ?? '').split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
      });

      it('shows a client with method none as public, with its grant types and no scope', async () => {
        const app = findApp((await h.api.list()).body as WireApp[], publicClient.clientId);
        expect(app).to.deep.include({
          name: 'MCP Inspector',
          callback_url: 'http://localhost:6274/oauth/callback',
          redirect_uris: ['http://localhost:6274/oauth/callback'],
          client_type: 'public',
          dynamically_registered: true,
          grant_types: ['authorization_code'],
        });
        expect(app).to.not.have.property('scope');
      });

      it('names a client without client_name by its client_id', async () => {
        const app = findApp((await h.api.list()).body as WireApp[], nameless.clientId);
        expect(app).to.deep.include({ name: nameless.clientId, dynamically_registered: true });
      });

      it('filters on dynamically_registered', async () => {
        const dynamic = (await h.api.list('?dynamically_registered=true')).body as WireApp[];
        expect(dynamic.map((a) => a.id).sort()).to.deep.equal(
          [confidential.clientId, publicClient.clientId, nameless.clientId].sort(),
        );
        const owned = (await h.api.list('?dynamically_registered=false')).body as WireApp[];
        expect(owned.map((a) => a.name)).to.deep.equal(['owner-app']);
      });

      it('shows no secret, registration token, stored hash or null', async () => {
        seen.expectNoneIn(await h.api.list(), 'the apps list');
      });
    });

    describe("the owner's hands on a registered client", () => {
      it('can read it', async () => {
        const read = await h.api.get(confidential.clientId);
        expect(read.status, read.text).to.equal(200);
        const listed = findApp((await h.api.list()).body as WireApp[], confidential.clientId);
        expect(read.body).to.deep.equal(listed);
        seen.expectNoneIn(read, 'GET …/apps/{id}');
      });

      it('cannot replace it: 409', async () => {
        const response = await h.api.update(confidential.clientId, {
          name: 'taken-over',
          callback_url: 'https://evil.example.com/cb',
        });
        expect(response.status, response.text).to.equal(409);
        expect(response.body).to.have.property('message').that.is.a('string');
        expect((await manage(h.url, confidential).get()).body).to.include({ client_name: 'Claude Desktop' });
      });

      it('cannot list, create or delete its secrets: 409', async () => {
        expect((await h.api.secrets(confidential.clientId)).status).to.equal(409);
        expect((await h.api.createSecret(confidential.clientId)).status).to.equal(409);
        expect((await h.api.deleteSecret(confidential.clientId, randomUUID())).status).to.equal(409);
      });

      it('can delete it: its registration token and its tokens stop working', async () => {
        const doomed = await registerClient(h.url, minimalMetadata({ client_name: 'Doomed' }));
        doomedId = doomed.clientId;
        seen.add(doomed.token, doomed.secret);
        const tokens = await obtainTokens(h, doomed);
        seen.add(tokens.access_token, tokens.refresh_token);
        const removed = await h.api.remove(doomed.clientId);
        expect(removed.status, removed.text).to.equal(204);
        expectInvalidRegistrationToken(await manage(h.url, doomed).get());
        const me = await request(`${h.url}/api/v2/users/me`, { headers: bearer(tokens.access_token) });
        expect(me.status, me.text).to.equal(401);
        expect((await h.api.get(doomed.clientId)).status).to.equal(404);
      });
    });

    describe('the audit log', () => {
      let audited: Registered;
      before(async () => {
        audited = await registerClient(h.url, {
          client_name: 'Audited',
          redirect_uris: ['https://audited.example.com/cb'],
          client_uri: 'https://audited.example.com/',
        });
        seen.add(audited.token, audited.secret);
        const put = await manage(h.url, audited).put({
          client_id: audited.clientId,
          client_secret: audited.secret,
          client_name: 'Audited Again',
          redirect_uris: ['https://audited.example.com/cb2'],
        });
        expect(put.status, put.text).to.equal(200);
        expect((await manage(h.url, audited).remove()).status).to.equal(204);
      });

      it('records the registration as create, the replacement as write and the deletion as delete', async () => {
        const { entries } = await appAudit(h);
        const mine = entries.filter((e) => e.resource_id === audited.clientId);
        expect(
          mine.map((e) => ({ action: e.action, resource_type: e.resource_type, status: e.status })),
        ).to.deep.equal([
          { action: 'delete', resource_type: 'oauth2_provider_app', status: 204 },
          { action: 'write', resource_type: 'oauth2_provider_app', status: 200 },
          { action: 'create', resource_type: 'oauth2_provider_app', status: 201 },
        ]);
        for (const entry of mine) {
          expect(entry.ip).to.be.a('string').and.not.equal('');
          expect(entry.diff).to.be.an('object');
        }
      });

      it('records the owner deleting a registered client as delete, with the owner as actor', async () => {
        const { entries } = await appAudit(h, '&action=delete');
        const deletion = entries.find((e) => e.resource_id === doomedId);
        expect(deletion, JSON.stringify(entries)).to.not.equal(undefined);
        expect(deletion).to.include({ resource_type: 'oauth2_provider_app', status: 204 });
        const owner = (await request(`${h.url}/api/v2/users/me`, { headers: bearer(h.session) })).body as {
          id: string;
        };
        expect(deletion?.actor_id).to.equal(owner.id);
      });

      it('shows no secret, registration token, stored hash or null', async () => {
        const { response } = await appAudit(h);
        seen.expectNoneIn(response, 'the audit log');
        const all = await request(`${h.url}/api/v2/audit-logs?limit=500`, { headers: bearer(h.session) });
        seen.expectNoneIn(all, 'the whole audit log');
      });
    });
  },
);
