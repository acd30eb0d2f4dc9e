import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient, type OAuthHarness } from '../oauth/flow-helpers.js';
import { bearer, request, type JsonResponse, describeOnBothStorages } from '../support/server.js';
import {
  clientAuthentication,
  clientUri,
  configuration,
  expectInvalidRegistrationToken,
  expectNoStore,
  expectOAuthError,
  expectOAuthErrorBody,
  manage,
  minimalMetadata,
  registerClient,
  SecretsSeen,
  startDcrServer,
  type Metadata,
  type Registered,
  type WireRegistration,
} from './helpers.js';

/**
 * A registration without the values that only the registration response shows (and without
 * `client_secret_expires_at`, which a later answer may or may not repeat).
 */
const shown = (registration: unknown): Partial<WireRegistration> => {
  const {
    registration_access_token: _token,
    client_secret: _secret,
    client_secret_expires_at: _expiry,
    ...rest
  } = registration as WireRegistration;
  return rest;
};

const richMetadata = (overrides: Metadata = {}): Metadata => ({
  redirect_uris: ['https://rich.example.com/cb'],
  client_name: 'Rich Client',
  client_uri: 'https://rich.example.com/',
  logo_uri: 'https://rich.example.com/logo.png',
  tos_uri: 'https://rich.example.com/tos',
  policy_uri: 'https://rich.example.com/privacy',
  contacts: ['ops@rich.example.com'],
  software_id: 'rich-client',
  software_version: '1.0.0',
  application_type: 'web',
  scope: 'mcp user:read',
  ...overrides,
});

describeOnBothStorages(
  'client configuration at /oauth2/clients/{client_id} (docs/http-api.md#registration, RFC 7592)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer();
    });
    after(() => h.server.stop());

    /** The secrets a test saw, to make sure no later answer shows them or their hashes. */
    const seen = (client: Registered): SecretsSeen =>
      new SecretsSeen().add(client.token, client.secret, h.session);

    describe('GET', () => {
      it('answers 200 with the current registration, its URI, and neither token nor secret', async () => {
        const client = await registerClient(h.url, richMetadata());
        const response = await manage(h.url, client).get();
        expect(response.status, response.text).to.equal(200);
        expectNoStore(response);
        const body = response.body as WireRegistration;
        expect(body.registration_client_uri).to.equal(clientUri(h.url, client.clientId));
        expect(body).to.not.have.any.keys('registration_access_token', 'client_secret');
        expect(body).to.deep.include(shown(client.registration));
        seen(client).expectNoneIn(response, 'GET /oauth2/clients/{id}');
      });

      it('shows a public client without a secret', async () => {
        const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
        const response = await manage(h.url, client).get();
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.equal(shown(client.registration));
        expect(response.body).to.not.have.property('client_secret_expires_at');
      });
    });

    describe('PUT', () => {
      it('replaces the registration: a new name, and omitted optional fields are gone', async () => {
        const client = await registerClient(h.url, richMetadata());
        const response = await manage(h.url, client).put({
          client_id: client.clientId,
          redirect_uris: ['https://rich.example.com/new-cb', 'http://127.0.0.1:9000/cb'],
          client_name: 'Renamed Client',
        });
        expect(response.status, response.text).to.equal(200);
        expectNoStore(response);
        expect(response.body).to.not.have.any.keys('registration_access_token', 'client_secret');
        expect(shown(response.body)).to.deep.equal({
          client_id: client.clientId,
          client_id_issued_at: client.registration.client_id_issued_at,
          registration_client_uri: clientUri(h.url, client.clientId),
          redirect_uris: ['https://rich.example.com/new-cb', 'http://127.0.0.1:9000/cb'],
          client_name: 'Renamed Client',
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        });
        seen(client).expectNoneIn(response, 'PUT /oauth2/clients/{id}');
        const read = await manage(h.url, client).get();
        expect(shown(read.body)).to.deep.equal(shown(response.body));
        const app = await h.api.get(client.clientId);
        expect(app.body).to.include({
          name: 'Renamed Client',
          callback_url: 'https://rich.example.com/new-cb',
          dynamically_registered: true,
        });
        expect(app.body).to.not.have.property('scope');
      });

      it('accepts a body without client_id', async () => {
        const client = await registerClient(h.url);
        const response = await manage(h.url, client).put(minimalMetadata({ client_name: 'No Id In Body' }));
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.include({ client_id: client.clientId, client_name: 'No Id In Body' });
      });

      it('fails with invalid_client_metadata when client_id does not match, and changes nothing', async () => {
        const client = await registerClient(h.url, richMetadata());
        const other = await registerClient(h.url);
        const response = await manage(h.url, client).put(
          richMetadata({ client_id: other.clientId, client_name: 'Hijacked' }),
        );
        expectOAuthError(response, 400, 'invalid_client_metadata');
        expect(shown((await manage(h.url, client).get()).body)).to.deep.equal(shown(client.registration));
        expect(shown((await manage(h.url, other).get()).body)).to.deep.equal(shown(other.registration));
      });

      context('when the token endpoint authentication method changes', () => {
        const change = async (from: string, to: string | undefined): Promise<[Registered, JsonResponse]> => {
          const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: from }));
          const body =
            to === undefined ? minimalMetadata() : minimalMetadata({ token_endpoint_auth_method: to });
          return [client, await manage(h.url, client).put(body)];
        };

        for (const [from, to] of [
          ['client_secret_basic', 'none'],
          ['client_secret_post', 'none'],
          ['none', 'client_secret_basic'],
          ['none', 'client_secret_post'],
        ] as const) {
          it(`refuses ${from} → ${to} with invalid_client_metadata`, async () => {
            const [client, response] = await change(from, to);
            expectOAuthError(response, 400, 'invalid_client_metadata');
            const read = await manage(h.url, client).get();
            expect(read.body).to.include({ token_endpoint_auth_method: from });
          });
        }

        for (const [from, to] of [
          ['client_secret_basic', 'client_secret_post'],
          ['client_secret_post', 'client_secret_basic'],
        ] as const) {
          it(`allows ${from} → ${to}`, async () => {
            const [, response] = await change(from, to);
            expect(response.status, response.text).to.equal(200);
            expect(response.body).to.include({ token_endpoint_auth_method: to });
            expect(response.body).to.not.have.property('client_secret');
          });
        }

        for (const method of ['client_secret_post', 'none'] as const) {
          it(`keeps ${method} when the body omits the method`, async () => {
            const [, response] = await change(method, undefined);
            expect(response.status, response.text).to.equal(200);
            expect(response.body).to.include({ token_endpoint_auth_method: method });
          });
        }

        for (const method of ['client_secret_post', 'none'] as const) {
          it(`keeps ${method} when the body sends an empty method`, async () => {
            const [, response] = await change(method, '');
            expect(response.status, response.text).to.equal(200);
            expect(response.body).to.include({ token_endpoint_auth_method: method });
          });
        }
      });

      context('when the body carries a client_secret', () => {
        it('accepts the current secret', async () => {
          const client = await registerClient(h.url);
          const response = await manage(h.url, client).put(
            minimalMetadata({ client_id: client.clientId, client_secret: client.secret }),
          );
          expect(response.status, response.text).to.equal(200);
          expect(response.body).to.not.have.property('client_secret');
        });

        it('treats an empty client_secret as omitted', async () => {
          const client = await registerClient(h.url);
          const response = await manage(h.url, client).put(minimalMetadata({ client_secret: '' }));
          expect(response.status, response.text).to.equal(200);
        });

        it('fails with 400 for any other secret, and changes nothing', async () => {
          const client = await registerClient(h.url);
          const other = await registerClient(h.url);
          for (const secret of [
            other.secret,
            `lk_secret_${randomBytes(32).toString('base64url')}`,
            'wrong',
          ]) {
            const response = await manage(h.url, client).put(
              minimalMetadata({ client_secret: secret, client_name: 'Changed' }),
            );
            expectOAuthErrorBody(response, 400);
          }
          expect(shown((await manage(h.url, client).get()).body)).to.deep.equal(shown(client.registration));
        });
      });

      it('ignores registration_access_token, registration_client_uri, client_id_issued_at and client_secret_expires_at in the body', async () => {
        const client = await registerClient(h.url);
        const planted = `lk_reg_${randomBytes(32).toString('base64url')}`;
        const response = await manage(h.url, client).put(
          minimalMetadata({
            client_id: client.clientId,
            registration_access_token: planted,
            registration_client_uri: 'https://evil.example.com/clients/x',
            client_id_issued_at: 1,
            client_secret_expires_at: 1,
            client_name: 'Still Mine',
          }),
        );
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.include({
          client_name: 'Still Mine',
          client_id_issued_at: client.registration.client_id_issued_at,
          registration_client_uri: clientUri(h.url, client.clientId),
        });
        expect(response.body).to.not.have.property('registration_access_token');
        expect((response.body as WireRegistration).client_secret_expires_at ?? 0).to.equal(0);
        expect((await manage(h.url, client).get()).status).to.equal(200);
        expectInvalidRegistrationToken(
          await configuration(h.url, client.clientId, `Bearer ${planted}`).get(),
        );
      });

      it('drops unsupported scope values as registration does', async () => {
        const client = await registerClient(h.url);
        const response = await manage(h.url, client).put(minimalMetadata({ scope: 'mcp all foo' }));
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.include({ scope: 'mcp' });
      });

      context('when the new metadata is invalid', () => {
        for (const [when, body, code] of [
          ['redirect_uris is empty', { redirect_uris: [] }, 'invalid_redirect_uri'],
          ['redirect_uris is missing', { client_name: 'No Redirects' }, 'invalid_redirect_uri'],
          [
            'a redirect URI is javascript:',
            { redirect_uris: ['javascript:alert(1)'] },
            'invalid_redirect_uri',
          ],
          [
            'a redirect URI is plain http on a public host',
            { redirect_uris: ['http://rich.example.com/cb'] },
            'invalid_redirect_uri',
          ],
          [
            'grant_types has client_credentials',
            minimalMetadata({ grant_types: ['authorization_code', 'client_credentials'] }),
            'invalid_client_metadata',
          ],
          [
            'application_type is desktop',
            minimalMetadata({ application_type: 'desktop' }),
            'invalid_client_metadata',
          ],
          [
            'logo_uri is not http(s)',
            minimalMetadata({ logo_uri: 'javascript:alert(1)' }),
            'invalid_client_metadata',
          ],
        ] as const) {
          it(`fails with ${code} when ${when}, and changes nothing`, async () => {
            const client = await registerClient(h.url, richMetadata());
            expectOAuthError(await manage(h.url, client).put(body), 400, code);
            expect(shown((await manage(h.url, client).get()).body)).to.deep.equal(shown(client.registration));
          });
        }

        it('fails with 400 invalid_client_metadata on malformed JSON', async () => {
          const client = await registerClient(h.url);
          expectOAuthError(
            await manage(h.url, client).put('{"redirect_uris":'),
            400,
            'invalid_client_metadata',
          );
        });

        it('fails with 415 on another content type', async () => {
          const client = await registerClient(h.url);
          const response = await manage(h.url, client).put(JSON.stringify(minimalMetadata()), 'text/plain');
          expectOAuthErrorBody(response, 415);
        });
      });
    });

    describe('DELETE', () => {
      it('answers 204, after which the same token gets the 401 on every method', async () => {
        const client = await registerClient(h.url);
        const removed = await manage(h.url, client).remove();
        expect(removed.status, removed.text).to.equal(204);
        expect(removed.text).to.equal('');
        expectNoStore(removed);
        expectInvalidRegistrationToken(await manage(h.url, client).get());
        expectInvalidRegistrationToken(await manage(h.url, client).put(minimalMetadata()));
        expectInvalidRegistrationToken(await manage(h.url, client).remove());
      });

      it('leaves other clients alone', async () => {
        const client = await registerClient(h.url);
        const other = await registerClient(h.url);
        expect((await manage(h.url, client).remove()).status).to.equal(204);
        expect((await manage(h.url, other).get()).status).to.equal(200);
      });
    });

    describe('the registration access token', () => {
      it('is accepted under the scheme name in any case (RFC 7235 §2.1)', async () => {
        const client = await registerClient(h.url);
        const response = await configuration(h.url, client.clientId, `bearer ${client.token}`).get();
        expect(response.status, response.text).to.equal(200);
      });

      it('is not an API key', async () => {
        const client = await registerClient(h.url);
        const me = await request(`${h.url}/api/v2/users/me`, { headers: bearer(client.token) });
        expect(me.status, me.text).to.equal(401);
      });

      it('is never active at introspection, even for its own client (docs/http-api.md#revocation)', async () => {
        const client = await registerClient(h.url);
        const response = await request(`${h.url}/oauth2/introspect`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            ...clientAuthentication(client).headers,
          },
          body: new URLSearchParams([['token', client.token]]).toString(),
        });
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.equal({ active: false });
      });
    });

    describe('every authentication failure gets the same 401', () => {
      let client: Registered;
      let other: Registered;
      let ownerApp: string;

      before(async () => {
        client = await registerClient(h.url, richMetadata());
        other = await registerClient(h.url);
        ownerApp = (await createClient(h)).id;
      });

      const wrongToken = `lk_reg_${randomBytes(32).toString('base64url')}`;
      const cases: [string, () => { id: string; authorization: string | undefined }][] = [
        ['no Authorization header', () => ({ id: client.clientId, authorization: undefined })],
        ['an empty Authorization header', () => ({ id: client.clientId, authorization: '' })],
        ['Bearer without a token', () => ({ id: client.clientId, authorization: 'Bearer' })],
        ['the token without a scheme', () => ({ id: client.clientId, authorization: client.token })],
        [
          'the token under the Basic scheme',
          () => ({ id: client.clientId, authorization: `Basic ${client.token}` }),
        ],
        [
          'the token followed by garbage',
          () => ({ id: client.clientId, authorization: `Bearer ${client.token} x` }),
        ],
        ['the token prefix alone', () => ({ id: client.clientId, authorization: 'Bearer lk_reg_' })],
        [
          'a token with a character outside token68',
          () => ({ id: client.clientId, authorization: `Bearer ${client.token}"` }),
        ],
        ['a wrong token', () => ({ id: client.clientId, authorization: `Bearer ${wrongToken}` })],
        [
          'the token with one character changed',
          () => ({
            id: client.clientId,
            authorization: `Bearer ${client.token.slice(0, -1)}${client.token.endsWith('A') ? 'B' : 'A'}`,
          }),
        ],
        [
          "another client's registration token",
          () => ({ id: client.clientId, authorization: `Bearer ${other.token}` }),
        ],
        [
          "the client's own secret",
          () => ({ id: client.clientId, authorization: `Bearer ${client.secret ?? ''}` }),
        ],
        ["the owner's session token", () => ({ id: client.clientId, authorization: `Bearer ${h.session}` })],
        ['an unknown client id', () => ({ id: randomUUID(), authorization: `Bearer ${client.token}` })],
        [
          'a client id that is not a uuid',
          () => ({ id: 'not-a-uuid', authorization: `Bearer ${client.token}` }),
        ],
        [
          'an owner-created app with a registration token',
          () => ({ id: ownerApp, authorization: `Bearer ${client.token}` }),
        ],
        [
          "an owner-created app with the owner's session",
          () => ({ id: ownerApp, authorization: `Bearer ${h.session}` }),
        ],
        ['an owner-created app and no token', () => ({ id: ownerApp, authorization: undefined })],
      ];

      for (const [when, target] of cases) {
        it(`answers GET, PUT and DELETE identically for ${when}`, async () => {
          const { id, authorization } = target();
          const endpoint = configuration(h.url, id, authorization);
          expectInvalidRegistrationToken(await endpoint.get());
          expectInvalidRegistrationToken(await endpoint.put(minimalMetadata({ client_name: 'Hijacked' })));
          expectInvalidRegistrationToken(await endpoint.put('not json'));
          expectInvalidRegistrationToken(await endpoint.remove());
        });
      }

      it('left the clients as they were', async () => {
        const read = await manage(h.url, client).get();
        expect(read.status, read.text).to.equal(200);
        expect(shown(read.body)).to.deep.equal(shown(client.registration));
        expect(read.body).to.not.have.any.keys('registration_access_token', 'client_secret');
        expect((await manage(h.url, other).get()).status).to.equal(200);
        expect((await h.api.get(ownerApp)).status).to.equal(200);
      });
    });
  },
);
