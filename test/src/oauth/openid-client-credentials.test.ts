import { expect } from 'chai';
import * as client from 'openid-client';
import { describeOnEachStorage, me, type OAuthHarness } from './flow-helpers.js';

/**
 * The client credentials grant driven by an outside client library, `openid-client`, as a
 * service would use it: RFC 8414 discovery, then `clientCredentialsGrant`, introspection and
 * revocation, with the secret sent by Basic (its `ClientSecretBasic`) and in the body (its default).
 */
describeOnEachStorage(
  'client credentials with openid-client (docs/http-api.md#client-credentials-grant)',
  (storage) => {
    let h: OAuthHarness;
    beforeEach(async () => {
      h = await storage.start({ LATCHKEY_EXTRA_SCOPES: 'reports:read reports:write' });
    });
    afterEach(() => h.server.stop());

    const configure = async (auth?: client.ClientAuth): Promise<client.Configuration> => {
      const app = await h.api.createApp({
        name: 'reporting-job',
        client_credentials: true,
        client_credentials_scope: 'reports:read reports:write',
      });
      const secret = await h.api.createSecretOf(app.id);
      return client.discovery(new URL(h.url), app.id, secret.client_secret_full, auth, {
        algorithm: 'oauth2',
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out; plain http is the point here
        execute: [client.allowInsecureRequests],
      });
    };

    for (const [name, auth] of [
      ['client_secret_basic', () => client.ClientSecretBasic()],
      ['client_secret_post', () => undefined],
    ] as const) {
      it(`gets, introspects and revokes a token (${name})`, async () => {
        const config = await configure(auth());
        expect(config.serverMetadata().grant_types_supported).to.include('client_credentials');
        const tokens = await client.clientCredentialsGrant(config, { scope: 'reports:read' });
        expect(tokens.token_type).to.equal('bearer');
        expect(tokens.scope).to.equal('reports:read');
        expect(tokens.refresh_token).to.equal(undefined);
        expect(tokens.expiresIn()).to.be.greaterThan(0);

        const active = await client.tokenIntrospection(config, tokens.access_token);
        expect(active.active).to.equal(true);
        expect(active.sub).to.equal(config.clientMetadata().client_id);
        expect(active.client_id).to.equal(config.clientMetadata().client_id);
        expect(active.username).to.equal(undefined);
        // It acts for no user: the user-acting routes refuse it.
        expect((await me(h.url, tokens.access_token)).status).to.equal(403);

        await client.tokenRevocation(config, tokens.access_token);
        expect((await client.tokenIntrospection(config, tokens.access_token)).active).to.equal(false);
      });
    }

    it('surfaces invalid_scope for a scope outside the allowed set', async () => {
      const config = await configure();
      const failure = await client.clientCredentialsGrant(config, { scope: 'mcp' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(client.ResponseBodyError);
      expect((failure as client.ResponseBodyError).error).to.equal('invalid_scope');
    });
  },
);
