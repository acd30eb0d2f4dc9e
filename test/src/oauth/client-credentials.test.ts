import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { validationFields, type WireApp } from '../http/admin-api.js';
import { INITIALIZED_NOTIFICATION, mcpPost } from '../mcp/helpers.js';
import { parseExposition, valueOf } from '../support/prometheus.js';
import { bearer, freePort, request } from '../support/server.js';
import {
  auditEntries,
  challengeOf,
  createClient,
  describeOnEachStorage,
  expectOAuthError,
  expectTokens,
  introspect,
  me,
  pairs,
  registerClient,
  revoke,
  tokenRequest,
  withSecret,
  type ClientAuthMethod,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

const REPORTS = 'https://reports.example.com';
const ENV = {
  LATCHKEY_EXTRA_SCOPES: 'reports:read reports:write billing',
  LATCHKEY_ALLOWED_RESOURCES: REPORTS,
};

/** A machine client: an owner-created confidential app with the grant enabled, and its secret. */
const createMachineClient = async (
  h: OAuthHarness,
  scope = 'reports:read reports:write',
  extra: Record<string, unknown> = {},
): Promise<OAuthClient> => {
  const app = await h.api.createApp({
    name: 'reporting-job',
    client_credentials: true,
    client_credentials_scope: scope,
    ...extra,
  });
  const secret = await h.api.createSecretOf(app.id);
  return {
    id: app.id,
    type: 'confidential',
    secret: secret.client_secret_full,
    secretId: secret.id,
    redirectUri: app.callback_url,
    app,
  };
};

/** `grant_type=client_credentials` with `extra` parameters, as `client` (Basic unless told). */
const machineToken = (
  h: OAuthHarness,
  client: OAuthClient,
  extra: Record<string, string | undefined> = {},
  method?: ClientAuthMethod,
) => tokenRequest(h.url, client, pairs({ grant_type: 'client_credentials', ...extra }), method);

interface Introspected {
  active: boolean;
  client_id?: string;
  username?: string;
  sub?: string;
  scope?: string;
  aud?: string;
  exp?: number;
  iat?: number;
  token_type?: string;
}

const introspected = async (h: OAuthHarness, caller: OAuthClient, token: string): Promise<Introspected> => {
  const response = await introspect(h.url, caller, token);
  expect(response.status, response.text).to.equal(200);
  return response.body as Introspected;
};

describeOnEachStorage(
  'client credentials grant (RFC 6749 §4.4, docs/http-api.md#client-credentials-grant)',
  (storage) => {
    let h: OAuthHarness;
    let clock: FixedClock;
    beforeEach(async () => {
      clock = new FixedClock(new Date());
      h = await storage.start(ENV, { clock });
    });
    afterEach(() => h.server.stop());

    context('when an owner enables it on an app', () => {
      it('shows the grant and its scopes on the app, and keeps them through a read', async () => {
        const client = await createMachineClient(h);
        expect(client.app.grant_types).to.deep.equal([
          'authorization_code',
          'refresh_token',
          'client_credentials',
        ]);
        expect(client.app.client_credentials_scope).to.equal('reports:read reports:write');
        const read = await h.api.get(client.id);
        expect(read.body).to.deep.equal(client.app);
      });

      it('turns it off on an update that leaves it out, and new token requests get unauthorized_client', async () => {
        const client = await createMachineClient(h);
        expectTokens(await machineToken(h, client));
        const updated = await h.api.update(client.id, {
          name: client.app.name,
          callback_url: client.app.callback_url,
        });
        expect(updated.status, updated.text).to.equal(200);
        const app = updated.body as WireApp;
        expect(app.grant_types).to.deep.equal(['authorization_code', 'refresh_token']);
        expect(app).to.not.have.property('client_credentials_scope');
        expectOAuthError(await machineToken(h, client), 400, 'unauthorized_client');
      });

      it('refuses scopes that act for a user, and unsupported ones, naming the field', async () => {
        for (const scope of ['all', 'user:read', 'mcp', 'reports:read mcp', 'openid', 'nope']) {
          const response = await h.api.create({
            name: 'machine',
            callback_url: 'https://machine.example.com/cb',
            client_credentials: true,
            client_credentials_scope: scope,
          });
          expect(response.status, `${scope}: ${response.text}`).to.equal(400);
          expect(validationFields(response)).to.deep.equal(['client_credentials_scope']);
        }
      });

      it('refuses it on a public app, and scopes without the grant', async () => {
        const onPublic = await h.api.create({
          name: 'spa',
          callback_url: 'https://spa.example.com/cb',
          client_type: 'public',
          client_credentials: true,
        });
        expect(onPublic.status, onPublic.text).to.equal(400);
        expect(validationFields(onPublic)).to.deep.equal(['client_credentials']);
        const scopeAlone = await h.api.create({
          name: 'half',
          callback_url: 'https://half.example.com/cb',
          client_credentials_scope: 'reports:read',
        });
        expect(scopeAlone.status, scopeAlone.text).to.equal(400);
        expect(validationFields(scopeAlone)).to.deep.equal(['client_credentials_scope']);
      });

      it('audits the change of the app', async () => {
        const client = await createMachineClient(h);
        const { entries } = await auditEntries(h, '?resource_type=oauth2_provider_app&action=create');
        const entry = entries.find((e) => e.resource_id === client.id);
        expect(entry?.diff.client_credentials_scope).to.deep.equal({ new: 'reports:read reports:write' });
        expect(entry?.diff.grant_types).to.deep.equal({
          new: ['authorization_code', 'refresh_token', 'client_credentials'],
        });
      });
    });

    context('at the token endpoint', () => {
      it('issues an access token for the allowed set, with no refresh token, by Basic or in the body', async () => {
        const client = await createMachineClient(h);
        for (const method of ['basic', 'post'] as const) {
          const tokens = expectTokens(await machineToken(h, client, {}, method));
          expect(tokens).to.not.have.property('refresh_token');
          expect(tokens.scope).to.equal('reports:read reports:write');
          expect(tokens.expires_in).to.equal(3600);
        }
      });

      it('narrows to a requested subset, and refuses scopes outside the set with invalid_scope', async () => {
        const client = await createMachineClient(h);
        const narrowed = expectTokens(await machineToken(h, client, { scope: 'reports:read' }));
        expect(narrowed.scope).to.equal('reports:read');
        for (const scope of ['billing', 'all', 'mcp', 'user:read', 'reports:read mcp', 'unknown'])
          expectOAuthError(await machineToken(h, client, { scope }), 400, 'invalid_scope');
      });

      it('refuses with invalid_scope when the app allows no scope', async () => {
        const client = await createMachineClient(h, '');
        expect(client.app).to.not.have.property('client_credentials_scope');
        expectOAuthError(await machineToken(h, client), 400, 'invalid_scope');
      });

      it('binds the token to a requested resource, and refuses an unknown one with invalid_target', async () => {
        const client = await createMachineClient(h);
        const tokens = expectTokens(await machineToken(h, client, { resource: `${REPORTS}/` }));
        expect((await introspected(h, client, tokens.access_token)).aud).to.equal(REPORTS);
        expectOAuthError(
          await machineToken(h, client, { resource: 'https://elsewhere.example.com' }),
          400,
          'invalid_target',
        );
        const plain = expectTokens(await machineToken(h, client));
        expect((await introspected(h, client, plain.access_token)).aud).to.equal(h.url);
      });

      it('fails a wrong secret, a missing secret and an unknown client with invalid_client', async () => {
        const client = await createMachineClient(h);
        expectOAuthError(
          await machineToken(h, withSecret(client, `lk_secret_${'B'.repeat(43)}`)),
          401,
          'invalid_client',
        );
        expectOAuthError(await machineToken(h, client, {}, 'none'), 401, 'invalid_client');
        expectOAuthError(
          await machineToken(h, { ...client, id: '00000000-0000-4000-8000-000000000000' }),
          401,
          'invalid_client',
        );
      });

      it('answers unauthorized_client to an app that did not enable it', async () => {
        expectOAuthError(await machineToken(h, await createClient(h)), 400, 'unauthorized_client');
        const publicClient = await createClient(h, { type: 'public' });
        expectOAuthError(await machineToken(h, publicClient), 400, 'unauthorized_client');
      });

      it('answers unauthorized_client to a dynamically registered client, secret or not', async () => {
        const confidential = await registerClient(h, {
          redirect_uris: ['https://dcr.example.com/cb'],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'mcp',
        });
        expectOAuthError(await machineToken(h, confidential), 400, 'unauthorized_client');
        const asked = await request(`${h.url}/oauth2/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            redirect_uris: ['https://dcr.example.com/cb'],
            grant_types: ['authorization_code', 'client_credentials'],
          }),
        });
        expectOAuthError(asked, 400, 'invalid_client_metadata');
      });

      it('audits every token it issues, with no secret and no user', async () => {
        const client = await createMachineClient(h);
        const tokens = expectTokens(await machineToken(h, client, { scope: 'reports:read' }));
        const { entries, text } = await auditEntries(h, '?resource_type=api_key&action=create');
        expect(entries).to.have.length(1);
        const [entry] = entries;
        expect(entry).to.not.have.property('actor_id');
        expect(entry?.status).to.equal(200);
        expect(entry?.diff).to.deep.equal({
          grant_type: { new: 'client_credentials' },
          client_id: { new: client.id },
          scope: { new: 'reports:read' },
          audience: { new: h.url },
          expires_at: { new: new Date(clock.now().getTime() + 3600 * 1000).toISOString() },
        });
        expect(text).to.not.include(tokens.access_token.slice('lk_at_'.length));
      });
    });

    context('with the token it issues', () => {
      it('introspects as the client with sub = client_id and no username, for itself and an introspect_any app', async () => {
        const client = await createMachineClient(h);
        const tokens = expectTokens(await machineToken(h, client));
        const now = Math.floor(clock.now().getTime() / 1000);
        const expected = {
          active: true,
          client_id: client.id,
          sub: client.id,
          scope: 'reports:read reports:write',
          aud: h.url,
          exp: now + 3600,
          iat: now,
          token_type: 'Bearer',
        };
        expect(await introspected(h, client, tokens.access_token)).to.deep.equal(expected);
        const resourceServer = await createClient(h, { introspect_any: true });
        expect(await introspected(h, resourceServer, tokens.access_token)).to.deep.equal(expected);
        const stranger = await createClient(h);
        expect(await introspected(h, stranger, tokens.access_token)).to.deep.equal({ active: false });
      });

      it('is inactive once expired', async () => {
        const client = await createMachineClient(h);
        const tokens = expectTokens(await machineToken(h, client));
        clock.advance(3600);
        expect(await introspected(h, client, tokens.access_token)).to.deep.equal({ active: false });
      });

      it('is revoked by its client (RFC 7009), and not by another', async () => {
        const client = await createMachineClient(h);
        const tokens = expectTokens(await machineToken(h, client));
        const other = await createClient(h);
        expect((await revoke(h.url, other, tokens.access_token)).status).to.equal(200);
        expect((await introspected(h, client, tokens.access_token)).active).to.equal(true);
        expect((await revoke(h.url, client, tokens.access_token)).status).to.equal(200);
        expect(await introspected(h, client, tokens.access_token)).to.deep.equal({ active: false });
      });

      it('is revoked with the secret it was obtained with (revoke_tokens=true), and with its app', async () => {
        const client = await createMachineClient(h);
        const first = expectTokens(await machineToken(h, client));
        const kept = await h.api.createSecretOf(client.id);
        expect(
          (await h.api.deleteSecret(client.id, client.secretId ?? '', '?revoke_tokens=true')).status,
        ).to.equal(204);
        const other = withSecret(client, kept.client_secret_full);
        expect(await introspected(h, other, first.access_token)).to.deep.equal({ active: false });
        const second = expectTokens(await machineToken(h, other));
        const resourceServer = await createClient(h, { introspect_any: true });
        expect((await h.api.remove(client.id)).status).to.equal(204);
        expect(await introspected(h, resourceServer, second.access_token)).to.deep.equal({
          active: false,
        });
      });

      it('is refused by every route that acts for a user with 403 insufficient_scope', async () => {
        const client = await createMachineClient(h);
        const { access_token: token } = expectTokens(await machineToken(h, client));
        const expectInsufficient = (response: Awaited<ReturnType<typeof me>>, scope: string) => {
          expect(response.status, response.text).to.equal(403);
          const challenge = challengeOf(response.headers.get('www-authenticate'));
          expect(challenge.scheme).to.equal('Bearer');
          expect(challenge.params.error).to.equal('insufficient_scope');
          expect(challenge.params.scope).to.equal(scope);
        };
        expectInsufficient(await me(h.url, token), 'user:read');
        expectInsufficient(await request(h.api.appsUrl, { headers: bearer(token) }), 'all');
        expectInsufficient(
          await request(`${h.url}/oauth2/tokens?client_id=${client.id}`, {
            method: 'DELETE',
            headers: bearer(token),
          }),
          'all',
        );
        expectInsufficient(await mcpPost(h.url, token, INITIALIZED_NOTIFICATION), 'mcp');
        // Still valid: the refusal is about what it may do, not whether it is a token.
        expect((await introspected(h, client, token)).active).to.equal(true);
      });

      it('gets a 401, not the 403, where its audience does not reach', async () => {
        const client = await createMachineClient(h);
        const { access_token: token } = expectTokens(await machineToken(h, client, { resource: REPORTS }));
        const response = await me(h.url, token);
        expect(response.status, response.text).to.equal(401);
      });

      it('does not list the app among the apps a user authorized', async () => {
        const client = await createMachineClient(h);
        expectTokens(await machineToken(h, client));
        const owner = await me(h.url, h.session);
        const listed = await h.api.list(`?user_id=${(owner.body as { id: string }).id}`);
        expect(listed.status, listed.text).to.equal(200);
        expect((listed.body as WireApp[]).map((a) => a.id)).to.not.include(client.id);
      });
    });

    it('is counted in the metrics by its grant type (docs/metrics.md)', async () => {
      await h.server.stop();
      h = await storage.start(
        { ...ENV, LATCHKEY_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` },
        { clock },
      );
      const issued = async (grantType: string): Promise<number> => {
        const response = await fetch(`${h.server.running.metricsUrl ?? ''}/metrics`);
        const exposition = parseExposition(await response.text());
        return valueOf(exposition, 'latchkey_oauth_tokens_issued_total', { grant_type: grantType });
      };
      const client = await createMachineClient(h);
      const before = await issued('client_credentials');
      expectTokens(await machineToken(h, client));
      expectTokens(await machineToken(h, client));
      expectOAuthError(await machineToken(h, client, { scope: 'mcp' }), 400, 'invalid_scope');
      expect((await issued('client_credentials')) - before).to.equal(2);
      expect(await issued('authorization_code')).to.equal(0);
    });

    it('is rate limited like every token request', async () => {
      await h.server.stop();
      h = await storage.start({ ...ENV, LATCHKEY_RATE_LIMIT_TOKEN: '2' }, { clock });
      const client = await createMachineClient(h);
      expectTokens(await machineToken(h, client));
      expectTokens(await machineToken(h, client));
      const limited = await machineToken(h, client);
      expectOAuthError(limited, 429, 'temporarily_unavailable');
      expect(limited.headers.get('retry-after')).to.match(/^\d+$/);
    });
  },
);
