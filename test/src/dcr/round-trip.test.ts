import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { decide, locationOf, openConsent, type OAuthHarness, type Pairs } from '../oauth/flow-helpers.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, OWNER, request } from '../support/server.js';
import {
  appAudit,
  clientUri,
  expectInvalidRegistrationToken,
  expectNoStore,
  expectOAuthError,
  manage,
  registered,
  SecretsSeen,
  startDcrServer,
  tokenRequest,
  type Registered,
  type WireRegistration,
} from './helpers.js';

/** The server speaks plain http on loopback; oauth4webapi wants to be told that is fine. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out; plain http is the point here
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const discover = async (url: string): Promise<oauth.AuthorizationServer> => {
  const issuer = new URL(url);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
};

const usersMe = (url: string, token: string) => request(`${url}/api/v2/users/me`, { headers: bearer(token) });

const VARIANTS = [
  {
    label: 'a confidential client (client_secret_basic)',
    method: 'client_secret_basic',
    redirectUri: 'https://dcr-basic.example.net/callback',
    applicationType: 'web',
  },
  {
    label: 'a public client (none)',
    method: 'none',
    redirectUri: 'http://localhost:43117/callback',
    applicationType: 'native',
  },
] as const;

const LOGO = 'https://logo.dcr-assets.example.org/logo.png';

const describeRoundTrip = (
  storage: string,
  setUp: () => Promise<{ h: OAuthHarness; tearDown: () => Promise<void> }>,
) => {
  describe(`a registered client's life with oauth4webapi, ${storage} (docs/http-api.md#token, #registration, #audit-log)`, () => {
    let h: OAuthHarness;
    let tearDown: () => Promise<void>;
    before(async () => {
      ({ h, tearDown } = await setUp());
    });
    after(() => tearDown());

    it('discovers the registration endpoint in the RFC 8414 metadata', async () => {
      const as = await discover(h.url);
      expect(as.registration_endpoint).to.equal(`${h.url}/oauth2/register`);
    });

    for (const variant of VARIANTS) {
      context(`as ${variant.label}`, () => {
        let as: oauth.AuthorizationServer;
        let client: oauth.Client;
        let auth: oauth.ClientAuth;
        let me: Registered;
        let tokens: oauth.TokenEndpointResponse;
        const seen = new SecretsSeen();

        before(async () => {
          as = await discover(h.url);
        });

        it('registers through the registration endpoint', async () => {
          const response = await oauth.dynamicClientRegistrationRequest(
            as,
            {
              client_name: `Round Trip ${variant.method}`,
              redirect_uris: [variant.redirectUri],
              token_endpoint_auth_method: variant.method,
              application_type: variant.applicationType,
              logo_uri: LOGO,
              client_uri: 'https://dcr-home.example.org/',
              scope: 'mcp user:read',
            },
            insecure,
          );
          expectNoStore({ status: response.status, headers: response.headers, text: '', body: undefined });
          client = await oauth.processDynamicClientRegistrationResponse(response);
          me = registered(client as unknown as WireRegistration);
          seen.add(me.token, me.secret, h.session);
          expect(client.token_endpoint_auth_method).to.equal(variant.method);
          expect(client.registration_client_uri).to.equal(clientUri(h.url, client.client_id));
          if (variant.method === 'none') {
            expect(client).to.not.have.any.keys('client_secret', 'client_secret_expires_at');
            auth = oauth.None();
          } else {
            expect(client.client_secret).to.match(/^lk_secret_/);
            expect(client.client_secret_expires_at).to.equal(0);
            auth = oauth.ClientSecretBasic(me.secret ?? '');
          }
        });

        it('shows the consent page with the redirect host and without the registered logo', async () => {
          const page = await openConsent(h.url, h.session, [
            ['response_type', 'code'],
            ['client_id', client.client_id],
            ['redirect_uri', variant.redirectUri],
            ['code_challenge', await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier())],
            ['code_challenge_method', 'S256'],
          ]);
          expect(page.response.status, page.response.text).to.equal(200);
          expect(page.response.text).to.include(new URL(variant.redirectUri).hostname);
          expect(page.response.text).to.not.match(/<img\b[^>]*dcr-assets\.example\.org/i);
          expect(page.response.text).to.not.include(LOGO);
        });

        it('runs the code flow with PKCE S256: the user signs in and allows', async () => {
          const verifier = oauth.generateRandomCodeVerifier();
          const state = oauth.generateRandomState();
          const authorizationUrl = new URL(as.authorization_endpoint ?? '');
          authorizationUrl.searchParams.set('client_id', client.client_id);
          authorizationUrl.searchParams.set('redirect_uri', variant.redirectUri);
          authorizationUrl.searchParams.set('response_type', 'code');
          authorizationUrl.searchParams.set('scope', 'mcp user:read');
          authorizationUrl.searchParams.set(
            'code_challenge',
            await oauth.calculatePKCECodeChallenge(verifier),
          );
          authorizationUrl.searchParams.set('code_challenge_method', 'S256');
          authorizationUrl.searchParams.set('state', state);

          const params: Pairs = [...authorizationUrl.searchParams.entries()];
          const answer = await decide(h.url, await openConsent(h.url, h.session, params), 'allow');
          expect(answer.status, answer.text).to.equal(302);
          const callback = locationOf(h.url, answer);
          expect(callback.hostname).to.equal(new URL(variant.redirectUri).hostname);

          const validated = oauth.validateAuthResponse(as, client, callback, state);
          const response = await oauth.authorizationCodeGrantRequest(
            as,
            client,
            auth,
            validated,
            variant.redirectUri,
            verifier,
            insecure,
          );
          tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
          seen.add(tokens.access_token, tokens.refresh_token);
          expect(tokens.access_token).to.match(/^lk_at_/);
          expect(tokens.refresh_token).to.match(/^lk_rt_/);
          expect((tokens.scope ?? '').split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
          const read = await usersMe(h.url, tokens.access_token);
          expect(read.status, read.text).to.equal(200);
          expect(read.body).to.include({ username: OWNER.username });
        });

        it('refreshes with rotation', async () => {
          const response = await oauth.refreshTokenGrantRequest(
            as,
            client,
            auth,
            tokens.refresh_token ?? '',
            insecure,
          );
          const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
          seen.add(refreshed.access_token, refreshed.refresh_token);
          expect(refreshed.refresh_token).to.match(/^lk_rt_/);
          expect(refreshed.refresh_token).to.not.equal(tokens.refresh_token);
          expect((await usersMe(h.url, refreshed.access_token)).status).to.equal(200);
          tokens = refreshed;
        });

        it('reads its registration with the registration access token (GET)', async () => {
          const response = await manage(h.url, me).get();
          expect(response.status, response.text).to.equal(200);
          expect(response.body).to.include({
            client_id: client.client_id,
            registration_client_uri: clientUri(h.url, client.client_id),
            client_name: `Round Trip ${variant.method}`,
            logo_uri: LOGO,
            token_endpoint_auth_method: variant.method,
          });
          expect(response.body).to.not.have.any.keys('registration_access_token', 'client_secret');
          seen.expectNoneIn(response, 'GET /oauth2/clients/{id}');
        });

        it('replaces its registration (PUT) and keeps working', async () => {
          const response = await manage(h.url, me).put({
            client_id: client.client_id,
            client_name: `Renamed ${variant.method}`,
            redirect_uris: [variant.redirectUri],
            scope: 'mcp user:read',
          });
          expect(response.status, response.text).to.equal(200);
          expect(response.body).to.include({
            client_name: `Renamed ${variant.method}`,
            token_endpoint_auth_method: variant.method,
          });
          expect(response.body).to.not.have.any.keys('logo_uri', 'client_uri', 'application_type');
          seen.expectNoneIn(response, 'PUT /oauth2/clients/{id}');
          expect((await manage(h.url, me).get()).body).to.deep.equal(response.body);

          const refreshed = await oauth.processRefreshTokenResponse(
            as,
            client,
            await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token ?? '', insecure),
          );
          seen.add(refreshed.access_token, refreshed.refresh_token);
          tokens = refreshed;
        });

        it('deletes its registration (DELETE): the token, the client and its tokens stop working', async () => {
          const removed = await manage(h.url, me).remove();
          expect(removed.status, removed.text).to.equal(204);
          expectInvalidRegistrationToken(await manage(h.url, me).get());
          const read = await usersMe(h.url, tokens.access_token);
          expect(read.status, read.text).to.equal(401);

          const refreshAfter = await tokenRequest(h.url, me, [
            ['grant_type', 'refresh_token'],
            ['refresh_token', tokens.refresh_token ?? ''],
          ]);
          const error = (refreshAfter.body as { error?: string } | undefined)?.error;
          if (error === 'invalid_client') expectOAuthError(refreshAfter, 401, 'invalid_client');
          else expectOAuthError(refreshAfter, 400, 'invalid_grant');
        });

        it('audited the registration, the replacement and the deletion without secrets', async () => {
          const { response, entries } = await appAudit(h);
          const mine = entries.filter((e) => e.resource_id === client.client_id);
          expect(mine.map((e) => [e.action, e.status])).to.deep.equal([
            ['delete', 204],
            ['write', 200],
            ['create', 201],
          ]);
          for (const entry of mine) {
            expect(entry.resource_type).to.equal('oauth2_provider_app');
            for (const change of Object.values(entry.diff))
              expect(
                Object.keys(change).every((k) => k === 'old' || k === 'new'),
                JSON.stringify(entry),
              ).to.equal(true);
          }
          expect(mine[2]?.actor_id, 'a self-registration has no user behind it').to.equal(undefined);
          seen.expectNoneIn(response, 'the audit log');
        });

        it('wrote no secret and no stored hash to the log', () => {
          const logs = h.server.logs.join('\n');
          seen.expectNoneIn({ status: 200, headers: new Headers(), text: logs, body: undefined }, 'the log');
        });
      });
    }
  });
};

describeRoundTrip('in memory', async () => {
  const h = await startDcrServer();
  return { h, tearDown: () => h.server.stop() };
});

describeRoundTrip('on PostgreSQL', async () => {
  const pg: PostgresHarness = await withPostgres();
  try {
    // The harness owns the database; the server must not close it when it stops.
    const h = await startDcrServer({}, { storage: { ...pg.storage, close: () => Promise.resolve() } });
    return {
      h,
      tearDown: async () => {
        await h.server.stop();
        await pg.cleanup();
      },
    };
  } catch (error) {
    await pg.cleanup();
    throw error;
  }
});
