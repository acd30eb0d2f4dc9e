import { expect } from 'chai';
import type { OAuthHarness } from '../oauth/flow-helpers.js';
import { request, describeOnBothStorages } from '../support/server.js';
import {
  expectOAuthError,
  expectOAuthErrorBody,
  expectRegistered,
  manage,
  minimalMetadata,
  registerClient,
  registerRaw,
  startDcrServer,
  type Metadata,
} from './helpers.js';

interface Refusal {
  readonly when: string;
  readonly body: Metadata;
}

/** Bodies whose redirect URIs must be refused with `invalid_redirect_uri` (docs/http-api.md#registration). */
const badRedirects: Refusal[] = [
  { when: 'redirect_uris is missing', body: { client_name: 'No Redirects' } },
  { when: 'redirect_uris is empty', body: { redirect_uris: [] } },
  { when: 'redirect_uris is a string, not a list', body: { redirect_uris: 'https://client.example.com/cb' } },
  ...[
    ['a javascript: URI', 'javascript:alert(document.cookie)'],
    ['a javascript: URI in mixed case', 'JavaScript:alert(1)'],
    ['a data: URI', 'data:text/html,<script>alert(1)</script>'],
    ['a file: URI', 'file:///etc/passwd'],
    ['an ftp: URI', 'ftp://files.example.com/cb'],
    ['a vbscript: URI', 'vbscript:msgbox(1)'],
    ['an about: URI', 'about:blank'],
    ['a blob: URI', 'blob:https://client.example.com/7f9c1b2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b'],
    ['the out-of-band URN', 'urn:ietf:wg:oauth:2.0:oob'],
    ['another URN', 'urn:example:callback'],
    ['a relative path', '/callback'],
    ['a relative reference without a slash', 'callback'],
    ['a scheme-relative URI', '//client.example.com/cb'],
    ['a URI with a fragment', 'https://client.example.com/cb#section'],
    ['a URI with an empty fragment', 'https://client.example.com/cb#'],
    ['http on a public host', 'http://client.example.com/cb'],
    ['http on a private address', 'http://192.168.1.10/cb'],
    ['http on a host that merely starts with localhost', 'http://localhost.attacker.example/cb'],
    ['http on a host that merely starts with 127.0.0.1', 'http://127.0.0.1.attacker.example/cb'],
    ['an empty string', ''],
  ].map(([what, uri]) => ({
    when: `a redirect URI is ${what ?? ''}`,
    body: { redirect_uris: [uri] },
  })),
  { when: 'a redirect URI is not a string', body: { redirect_uris: [42] } },
  {
    when: 'one good redirect URI sits beside a bad one',
    body: { redirect_uris: ['https://client.example.com/cb', 'javascript:alert(1)'] },
  },
];

/** Bodies that must be refused with `invalid_client_metadata` (docs/http-api.md#registration). */
const badMetadata: Refusal[] = [
  { when: 'grant_types lacks authorization_code', body: minimalMetadata({ grant_types: ['refresh_token'] }) },
  { when: 'grant_types is empty', body: minimalMetadata({ grant_types: [] }) },
  {
    when: 'grant_types adds client_credentials',
    body: minimalMetadata({ grant_types: ['authorization_code', 'client_credentials'] }),
  },
  {
    when: 'grant_types adds implicit',
    body: minimalMetadata({ grant_types: ['authorization_code', 'implicit'] }),
  },
  {
    when: 'grant_types adds the device grant',
    body: minimalMetadata({
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    }),
  },
  { when: 'grant_types is a string', body: minimalMetadata({ grant_types: 'authorization_code' }) },
  { when: 'response_types is ["token"]', body: minimalMetadata({ response_types: ['token'] }) },
  { when: 'response_types adds token', body: minimalMetadata({ response_types: ['code', 'token'] }) },
  {
    when: 'response_types asks for an id_token',
    body: minimalMetadata({ response_types: ['code id_token'] }),
  },
  {
    when: 'token_endpoint_auth_method is private_key_jwt',
    body: minimalMetadata({ token_endpoint_auth_method: 'private_key_jwt' }),
  },
  {
    when: 'token_endpoint_auth_method is client_secret_jwt',
    body: minimalMetadata({ token_endpoint_auth_method: 'client_secret_jwt' }),
  },
  {
    when: 'token_endpoint_auth_method is tls_client_auth',
    body: minimalMetadata({ token_endpoint_auth_method: 'tls_client_auth' }),
  },
  ...(['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri'] as const).flatMap((field) => [
    { when: `${field} is a javascript: URI`, body: minimalMetadata({ [field]: 'javascript:alert(1)' }) },
    { when: `${field} is relative`, body: minimalMetadata({ [field]: '/about' }) },
    { when: `${field} is an ftp: URL`, body: minimalMetadata({ [field]: 'ftp://files.example.com/x' }) },
    {
      when: `${field} is a data: URI`,
      body: minimalMetadata({ [field]: 'data:image/png;base64,iVBORw0KGgo=' }),
    },
    { when: `${field} is not a URL`, body: minimalMetadata({ [field]: 'not a url' }) },
    { when: `${field} is a number`, body: minimalMetadata({ [field]: 42 }) },
  ]),
  {
    when: 'both jwks and jwks_uri are given',
    body: minimalMetadata({ jwks: { keys: [] }, jwks_uri: 'https://client.example.com/jwks.json' }),
  },
  { when: 'application_type is desktop', body: minimalMetadata({ application_type: 'desktop' }) },
  { when: 'client_name has 257 characters', body: minimalMetadata({ client_name: 'n'.repeat(257) }) },
  { when: 'client_name is a number', body: minimalMetadata({ client_name: 42 }) },
  { when: 'contacts is a string', body: minimalMetadata({ contacts: 'ops@example.com' }) },
  { when: 'the body is a JSON list', body: [minimalMetadata()] as unknown as Metadata },
];

/** Redirect URIs a client may register (docs/http-api.md#registration, RFC 8252 §7). */
const goodRedirects: [string, string][] = [
  ['https on any host', 'https://anywhere.example.org/oauth/callback'],
  ['https with a port and a query', 'https://app.example.com:8443/cb?tenant=acme'],
  ['http on localhost', 'http://localhost/callback'],
  ['http on localhost with a port', 'http://localhost:6274/oauth/callback'],
  ['http on 127.0.0.1', 'http://127.0.0.1:8090/callback'],
  ['http on [::1]', 'http://[::1]:33418/cb'],
  ['a reverse-domain private-use scheme', 'com.example.app:/cb'],
  ['the Cursor private-use scheme', 'cursor://anysphere.cursor-retrieval/oauth/callback'],
];

describeOnBothStorages(
  'dynamic client registration validates the metadata (docs/http-api.md#conventions, #registration)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer();
    });
    after(() => h.server.stop());

    describe('refusals of redirect URIs', () => {
      for (const refusal of badRedirects) {
        it(`fails with invalid_redirect_uri when ${refusal.when}`, async () => {
          expectOAuthError(await registerRaw(h.url, refusal.body), 400, 'invalid_redirect_uri');
        });
      }
    });

    describe('refusals of other metadata', () => {
      for (const refusal of badMetadata) {
        it(`fails with invalid_client_metadata when ${refusal.when}`, async () => {
          expectOAuthError(await registerRaw(h.url, refusal.body), 400, 'invalid_client_metadata');
        });
      }
    });

    describe('accepted redirect URIs', () => {
      for (const [what, uri] of goodRedirects) {
        it(`registers ${what} and echoes it unchanged`, async () => {
          const registration = expectRegistered(await registerRaw(h.url, { redirect_uris: [uri] }));
          expect(registration.redirect_uris).to.deep.equal([uri]);
        });
      }

      it('registers all of them together', async () => {
        const uris = goodRedirects.map(([, uri]) => uri);
        const registration = expectRegistered(
          await registerRaw(h.url, { redirect_uris: uris, token_endpoint_auth_method: 'none' }),
        );
        expect(registration.redirect_uris).to.deep.equal(uris);
      });
    });

    describe('accepted metadata', () => {
      it('accepts grant_types with authorization_code alone', async () => {
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ grant_types: ['authorization_code'] })),
        );
        expect(registration.grant_types).to.deep.equal(['authorization_code']);
      });

      it('accepts application_type native and web', async () => {
        for (const applicationType of ['native', 'web']) {
          const registration = expectRegistered(
            await registerRaw(h.url, minimalMetadata({ application_type: applicationType })),
          );
          expect(registration.application_type).to.equal(applicationType);
        }
      });

      it('accepts each supported token endpoint authentication method', async () => {
        for (const method of ['client_secret_basic', 'client_secret_post', 'none']) {
          const registration = expectRegistered(
            await registerRaw(h.url, minimalMetadata({ token_endpoint_auth_method: method })),
          );
          expect(registration.token_endpoint_auth_method).to.equal(method);
          expect(registration.client_secret === undefined).to.equal(method === 'none');
        }
      });
    });

    describe('the order of the checks', () => {
      it('reports the redirect problem when the redirect URIs and other metadata are both bad', async () => {
        const response = await registerRaw(h.url, {
          redirect_uris: ['javascript:alert(1)'],
          grant_types: ['client_credentials'],
        });
        expectOAuthError(response, 400, 'invalid_redirect_uri');
      });
    });

    describe('bodies that are not client metadata', () => {
      it('fails with 400 invalid_client_metadata on malformed JSON', async () => {
        const response = await registerRaw(h.url, '{"redirect_uris": ["https://client.example.com/cb"');
        expectOAuthError(response, 400, 'invalid_client_metadata');
      });

      for (const [what, body] of [
        ['an empty body', ''],
        ['a body of spaces', '   '],
        ['a body of a line break', '\r\n'],
      ]) {
        it(`fails with 400 invalid_client_metadata on ${what} (malformed JSON)`, async () => {
          expectOAuthError(await registerRaw(h.url, body), 400, 'invalid_client_metadata');
        });

        it(`fails with 400 invalid_client_metadata on ${what} in a PUT to the client configuration`, async () => {
          const client = await registerClient(h.url);
          expectOAuthError(await manage(h.url, client).put(body), 400, 'invalid_client_metadata');
          expect((await manage(h.url, client).get()).status).to.equal(200);
        });
      }

      it('fails with 415 on a form body', async () => {
        const response = await request(`${h.url}/oauth2/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'redirect_uris=https%3A%2F%2Fclient.example.com%2Fcb',
        });
        expectOAuthErrorBody(response, 415);
      });

      it('fails with 415 on JSON sent as text/plain', async () => {
        const response = await registerRaw(h.url, minimalMetadata(), { 'Content-Type': 'text/plain' });
        expectOAuthErrorBody(response, 415);
      });

      it('fails with 413 on a body over 64 KiB', async () => {
        const uris = Array.from({ length: 40 }, (_, i) => `https://big.example.com/${i}/${'x'.repeat(2000)}`);
        const response = await registerRaw(h.url, { redirect_uris: uris });
        expectOAuthErrorBody(response, 413);
      });
    });
  },
);
