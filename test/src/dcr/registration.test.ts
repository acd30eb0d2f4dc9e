import { expect } from 'chai';
import type { OAuthHarness } from '../oauth/flow-helpers.js';
import {
  CLIENT_SECRET_PATTERN,
  clientUri,
  expectRegistered,
  minimalMetadata,
  REGISTRATION_TOKEN_PATTERN,
  registerRaw,
  REQUIRED_KEYS,
  startDcrServer,
} from './helpers.js';
import { describeOnBothStorages } from '../support/server.js';

describeOnBothStorages(
  'dynamic client registration accepts what real clients send (docs/http-api.md#registration, RFC 7591)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer();
    });
    after(() => h.server.stop());

    context('when MCP Inspector registers (a public native client with an empty scope)', () => {
      const inspector = {
        client_name: 'MCP Inspector',
        redirect_uris: ['http://localhost:6274/oauth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        scope: '',
      };

      it('answers 201 with a client id, a registration token and no secret or scope', async () => {
        const before = Math.floor(Date.now() / 1000);
        const registration = expectRegistered(await registerRaw(h.url, inspector));
        expect(registration.client_id).to.be.a('string').and.not.equal('');
        expect(registration.client_id_issued_at)
          .to.be.a('number')
          .within(before - 1, before + 60);
        expect(registration.registration_access_token).to.match(REGISTRATION_TOKEN_PATTERN);
        expect(registration.registration_client_uri).to.equal(clientUri(h.url, registration.client_id));
        expect(registration).to.not.have.any.keys('client_secret', 'client_secret_expires_at', 'scope');
        expect(registration).to.deep.include({
          client_name: 'MCP Inspector',
          redirect_uris: ['http://localhost:6274/oauth/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          application_type: 'native',
        });
        expect(Object.keys(registration).sort()).to.deep.equal(
          [...REQUIRED_KEYS, 'application_type', 'client_name', 'registration_access_token'].sort(),
        );
      });
    });

    context('when the MCP SDK example client registers (client_secret_post)', () => {
      const sdkExample = {
        client_name: 'Simple OAuth MCP Client',
        redirect_uris: ['http://localhost:8090/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'mcp',
      };

      it('answers 201 with a prefixed secret that never expires', async () => {
        const registration = expectRegistered(await registerRaw(h.url, sdkExample));
        expect(registration.client_secret).to.match(CLIENT_SECRET_PATTERN);
        expect(registration.client_secret_expires_at).to.equal(0);
        expect(registration.registration_access_token).to.match(REGISTRATION_TOKEN_PATTERN);
        expect(registration).to.deep.include(sdkExample);
      });

      it('gives every registration its own client id, secret and registration token', async () => {
        const first = expectRegistered(await registerRaw(h.url, sdkExample));
        const second = expectRegistered(await registerRaw(h.url, sdkExample));
        expect(second.client_id).to.not.equal(first.client_id);
        expect(second.client_secret).to.not.equal(first.client_secret);
        expect(second.registration_access_token).to.not.equal(first.registration_access_token);
      });
    });

    context('when only redirect_uris is sent', () => {
      it('applies the defaults: code flow with refresh tokens, client_secret_basic, a secret', async () => {
        const registration = expectRegistered(await registerRaw(h.url, minimalMetadata()));
        expect(registration).to.deep.include({
          redirect_uris: ['https://client.example.com/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          client_secret_expires_at: 0,
        });
        expect(registration.client_secret).to.match(CLIENT_SECRET_PATTERN);
        expect(Object.keys(registration).sort()).to.deep.equal(
          [...REQUIRED_KEYS, 'client_secret', 'client_secret_expires_at', 'registration_access_token'].sort(),
        );
      });
    });

    context('when every stored field is sent', () => {
      const full = {
        redirect_uris: ['https://full.example.com/cb', 'http://127.0.0.1:7777/cb'],
        client_name: 'Full Client',
        client_uri: 'https://full.example.com/',
        logo_uri: 'https://full.example.com/logo.png',
        tos_uri: 'https://full.example.com/tos',
        policy_uri: 'http://full.example.com/privacy',
        jwks: {
          keys: [
            {
              kty: 'EC',
              crv: 'P-256',
              x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
              y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
            },
          ],
        },
        contacts: ['ops@full.example.com', 'security@full.example.com'],
        software_id: '4NRB1-0XZABZI9E6-5SM3R',
        software_version: '2.1.0',
        application_type: 'web',
        scope: 'user:read mcp',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      };

      it('echoes each of them as registered', async () => {
        const registration = expectRegistered(await registerRaw(h.url, full));
        const { scope, ...rest } = full;
        expect(registration).to.deep.include(rest);
        expect((registration.scope ?? '').split(' ').sort()).to.deep.equal(scope.split(' ').sort());
      });

      it('accepts jwks_uri in place of jwks', async () => {
        const { jwks: _jwks, ...withoutJwks } = full;
        const registration = expectRegistered(
          await registerRaw(h.url, { ...withoutJwks, jwks_uri: 'https://full.example.com/jwks.json' }),
        );
        expect(registration.jwks_uri).to.equal('https://full.example.com/jwks.json');
        expect(registration).to.not.have.property('jwks');
      });
    });

    context('when the body carries fields the server does not know', () => {
      it('ignores them (RFC 7591 §2) and does not echo them', async () => {
        const registration = expectRegistered(
          await registerRaw(
            h.url,
            minimalMetadata({
              resource: 'https://mcp.example.com/mcp',
              require_pushed_authorization_requests: true,
              id_token_signed_response_alg: 'RS256',
              custom: { nested: [1, 2, 3] },
            }),
          ),
        );
        expect(registration).to.not.have.any.keys(
          'resource',
          'require_pushed_authorization_requests',
          'id_token_signed_response_alg',
          'custom',
        );
      });

      it('does not let the client choose its own id, secret or registration token', async () => {
        const registration = expectRegistered(
          await registerRaw(
            h.url,
            minimalMetadata({
              client_id: 'chosen-by-client',
              client_secret: 'lk_secret_chosenbyclientchosenbyclientchosenbyclient1',
              client_secret_expires_at: 12,
              client_id_issued_at: 1,
              registration_access_token: 'lk_reg_chosenbyclientchosenbyclientchosenbyclient1',
              registration_client_uri: 'https://evil.example.com/',
            }),
          ),
        );
        expect(registration.client_id).to.not.equal('chosen-by-client');
        expect(registration.client_secret).to.not.equal(
          'lk_secret_chosenbyclientchosenbyclientchosenbyclient1',
        );
        expect(registration.client_secret_expires_at).to.equal(0);
        expect(registration.client_id_issued_at).to.be.above(1);
        expect(registration.registration_access_token).to.not.equal(
          'lk_reg_chosenbyclientchosenbyclientchosenbyclient1',
        );
        expect(registration.registration_client_uri).to.equal(clientUri(h.url, registration.client_id));
      });
    });

    context('when the redirect URIs are long or many', () => {
      it('accepts a 2 KB redirect URI and echoes it intact', async () => {
        const base = 'https://long.example.com/callback?state_hint=';
        const uri = `${base}${'a'.repeat(2048 - base.length)}`;
        expect(uri).to.have.length(2048);
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ redirect_uris: [uri] })),
        );
        expect(registration.redirect_uris).to.deep.equal([uri]);
      });

      it('accepts 20 redirect URIs and keeps their order', async () => {
        const uris = Array.from({ length: 20 }, (_, i) => `https://many.example.com/cb/${20 - i}`);
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ redirect_uris: uris })),
        );
        expect(registration.redirect_uris).to.deep.equal(uris);
      });
    });

    context('when optional fields are empty strings', () => {
      it('treats each as omitted', async () => {
        const registration = expectRegistered(
          await registerRaw(
            h.url,
            minimalMetadata({
              client_name: '',
              client_uri: '',
              logo_uri: '',
              tos_uri: '',
              policy_uri: '',
              jwks_uri: '',
              software_id: '',
              software_version: '',
              application_type: '',
              scope: '',
            }),
          ),
        );
        expect(Object.keys(registration).sort()).to.deep.equal(
          [...REQUIRED_KEYS, 'client_secret', 'client_secret_expires_at', 'registration_access_token'].sort(),
        );
      });

      it('uses the default method for an empty token_endpoint_auth_method', async () => {
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ token_endpoint_auth_method: '' })),
        );
        expect(registration.token_endpoint_auth_method).to.equal('client_secret_basic');
        expect(registration.client_secret).to.match(CLIENT_SECRET_PATTERN);
      });

      it('accepts jwks beside an empty jwks_uri', async () => {
        const jwks = { keys: [] };
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ jwks, jwks_uri: '' })),
        );
        expect(registration.jwks).to.deep.equal(jwks);
        expect(registration).to.not.have.property('jwks_uri');
      });
    });

    context('when the content type carries parameters', () => {
      it('accepts application/json; charset=utf-8', async () => {
        const response = await registerRaw(h.url, minimalMetadata(), {
          'Content-Type': 'application/json; charset=utf-8',
        });
        expectRegistered(response);
      });
    });

    context('when client_name is at the limit', () => {
      it('accepts 256 characters, counted as characters rather than bytes', async () => {
        const name = 'é'.repeat(256);
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ client_name: name })),
        );
        expect(registration.client_name).to.equal(name);
      });
    });
  },
);
