import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { OWNER, request } from '../support/server.js';
import {
  createClient,
  decide,
  locationOf,
  openConsent,
  describeOnEachStorage,
  type OAuthClient,
  type OAuthHarness,
  type Pairs,
} from './flow-helpers.js';

/** The server speaks plain http on loopback; oauth4webapi wants to be told that is fine. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out; plain http is the point here
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const discover = async (url: string): Promise<oauth.AuthorizationServer> => {
  const issuer = new URL(url);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
};

interface Flow {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  readonly registered: OAuthClient;
}

/**
 * Builds the authorize URL as oauth4webapi's documentation does, plays the user (signed in,
 * consent page, Allow), validates the callback and redeems the code.
 */
const authorizationCodeFlow = async (
  h: OAuthHarness,
  flow: Flow,
  scope = 'user:read mcp',
): Promise<oauth.TokenEndpointResponse> => {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(flow.as.authorization_endpoint ?? '');
  authorizationUrl.searchParams.set('client_id', flow.client.client_id);
  authorizationUrl.searchParams.set('redirect_uri', flow.registered.redirectUri);
  authorizationUrl.searchParams.set('response_type', 'code');
  authorizationUrl.searchParams.set('scope', scope);
  authorizationUrl.searchParams.set('code_challenge', challenge);
  authorizationUrl.searchParams.set('code_challenge_method', 'S256');
  authorizationUrl.searchParams.set('state', state);

  // The user's browser.
  const params: Pairs = [...authorizationUrl.searchParams.entries()];
  const page = await openConsent(h.url, h.session, params);
  expect(page.response.status, page.response.text).to.equal(200);
  const answer = await decide(h.url, page, 'allow');
  expect(answer.status, answer.text).to.equal(302);
  const callback = locationOf(h.url, answer);

  // Back in the client.
  const validated = oauth.validateAuthResponse(flow.as, flow.client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    flow.as,
    flow.client,
    flow.auth,
    validated,
    flow.registered.redirectUri,
    verifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(flow.as, flow.client, response);
};

const usersMe = (h: OAuthHarness, accessToken: string) =>
  request(`${h.url}/api/v2/users/me`, { headers: { Authorization: `Bearer ${accessToken}` } });

/** The client types and authentication methods the flow runs with. */
const VARIANTS = [
  { label: 'a confidential client using client_secret_basic', type: 'confidential', method: 'basic' },
  { label: 'a confidential client using client_secret_post', type: 'confidential', method: 'post' },
  { label: 'a public client (token_endpoint_auth_method none)', type: 'public', method: 'none' },
] as const;

const clientAuthFor = (registered: OAuthClient, method: 'basic' | 'post' | 'none'): oauth.ClientAuth => {
  switch (method) {
    case 'basic':
      return oauth.ClientSecretBasic(registered.secret ?? '');
    case 'post':
      return oauth.ClientSecretPost(registered.secret ?? '');
    case 'none':
      return oauth.None();
  }
};

describeOnEachStorage(
  'the authorization code flow with oauth4webapi (docs/http-api.md#token, #revocation, #metadata)',
  (storage) => {
    let h: OAuthHarness;
    before(async () => {
      h = await storage.start();
    });
    after(() => h.server.stop());

    it('discovers the authorization server through RFC 8414 metadata', async () => {
      const as = await discover(h.url);
      expect(as.issuer).to.equal(h.url);
      expect(as.authorization_endpoint).to.equal(`${h.url}/oauth2/authorize`);
      expect(as.token_endpoint).to.equal(`${h.url}/oauth2/tokens`);
      expect(as.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(as.authorization_response_iss_parameter_supported).to.equal(true);
    });

    for (const variant of VARIANTS) {
      context(`with ${variant.label}`, () => {
        let flow: Flow;
        let tokens: oauth.TokenEndpointResponse;

        before(async () => {
          const registered = await createClient(h, { type: variant.type });
          flow = {
            as: await discover(h.url),
            client: { client_id: registered.id },
            auth: clientAuthFor(registered, variant.method),
            registered,
          };
        });

        it('redeems the code for a Bearer access token and a refresh token', async () => {
          tokens = await authorizationCodeFlow(h, flow);
          expect(tokens.token_type).to.equal('bearer');
          expect(tokens.access_token).to.match(/^lk_at_/);
          expect(tokens.refresh_token).to.match(/^lk_rt_/);
          expect(tokens.expires_in).to.equal(3600);
          expect((tokens.scope ?? '').split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
        });

        it('reads the signed-in user with the access token', async () => {
          const me = await usersMe(h, tokens.access_token);
          expect(me.status, me.text).to.equal(200);
          expect(me.body).to.include({ username: OWNER.username, email: OWNER.email });
        });

        it('refreshes with rotation: a new pair whose refresh token differs', async () => {
          const response = await oauth.refreshTokenGrantRequest(
            flow.as,
            flow.client,
            flow.auth,
            tokens.refresh_token ?? '',
            insecure,
          );
          const refreshed = await oauth.processRefreshTokenResponse(flow.as, flow.client, response);
          expect(refreshed.refresh_token).to.match(/^lk_rt_/);
          expect(refreshed.refresh_token).to.not.equal(tokens.refresh_token);
          expect(refreshed.access_token).to.not.equal(tokens.access_token);
          expect((refreshed.scope ?? '').split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
          expect((await usersMe(h, refreshed.access_token)).status).to.equal(200);
          // Access tokens already issued stay valid until they expire.
          expect((await usersMe(h, tokens.access_token)).status).to.equal(200);
          tokens = refreshed;
        });

        if (variant.type === 'confidential') {
          it('introspects its access token as active, with the user and the grant', async () => {
            const response = await oauth.introspectionRequest(
              flow.as,
              flow.client,
              flow.auth,
              tokens.access_token,
              insecure,
            );
            const introspection = await oauth.processIntrospectionResponse(flow.as, flow.client, response);
            const me = (await usersMe(h, tokens.access_token)).body as { id: string };
            expect(introspection).to.include({
              active: true,
              client_id: flow.client.client_id,
              username: OWNER.username,
              sub: me.id,
              token_type: 'Bearer',
            });
            expect((introspection.scope ?? '').split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
            expect(introspection.exp).to.be.a('number');
            expect(introspection.iat).to.be.a('number');
            expect((introspection.exp ?? 0) - (introspection.iat ?? 0)).to.equal(3600);
          });
        }

        it('revokes the refresh token, which ends the grant', async () => {
          const response = await oauth.revocationRequest(
            flow.as,
            flow.client,
            flow.auth,
            tokens.refresh_token ?? '',
            insecure,
          );
          await oauth.processRevocationResponse(response);
          expect((await usersMe(h, tokens.access_token)).status).to.equal(401);
          const again = await oauth.refreshTokenGrantRequest(
            flow.as,
            flow.client,
            flow.auth,
            tokens.refresh_token ?? '',
            insecure,
          );
          let error: unknown;
          try {
            await oauth.processRefreshTokenResponse(flow.as, flow.client, again);
          } catch (caught) {
            error = caught;
          }
          expect(error).to.be.instanceOf(oauth.ResponseBodyError);
          expect((error as oauth.ResponseBodyError).error).to.equal('invalid_grant');
        });

        if (variant.type === 'confidential') {
          it('introspects the revoked tokens as inactive', async () => {
            for (const token of [tokens.access_token, tokens.refresh_token ?? '']) {
              const response = await oauth.introspectionRequest(
                flow.as,
                flow.client,
                flow.auth,
                token,
                insecure,
              );
              const introspection = await oauth.processIntrospectionResponse(flow.as, flow.client, response);
              expect(introspection).to.deep.equal({ active: false });
            }
          });
        }
      });
    }

    it('reports a denial to the client as access_denied with state and iss', async () => {
      const registered = await createClient(h, { type: 'public' });
      const as = await discover(h.url);
      const client: oauth.Client = { client_id: registered.id };
      const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
      const state = oauth.generateRandomState();
      const page = await openConsent(h.url, h.session, [
        ['response_type', 'code'],
        ['client_id', registered.id],
        ['redirect_uri', registered.redirectUri],
        ['code_challenge', challenge],
        ['code_challenge_method', 'S256'],
        ['state', state],
      ]);
      const answer = await decide(h.url, page, 'deny');
      let error: unknown;
      try {
        oauth.validateAuthResponse(as, client, locationOf(h.url, answer), state);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(oauth.AuthorizationResponseError);
      expect((error as oauth.AuthorizationResponseError).error).to.equal('access_denied');
    });
  },
);
