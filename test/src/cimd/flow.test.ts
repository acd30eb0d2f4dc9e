import type { Overrides } from '@latchkey/app';
import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import type { WireApp } from '../http/admin-api.js';
import {
  auditEntries,
  authorizeParams,
  createClient,
  decide,
  describeOnEachStorage,
  exchange,
  expectErrorPage,
  expectOAuthError,
  expectTokens,
  introspect,
  makePkce,
  meStatus,
  obtainCode,
  obtainTokens,
  openConsent,
  postForm,
  redirectParams,
  refresh,
  revoke,
  type OAuthClient,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import {
  aDocument,
  DocumentServer,
  json,
  makeTestCertificates,
  type TestCertificates,
} from '../support/cimd.js';
import { callToolOk, connectWithToken } from '../mcp/helpers.js';
import { bearer, request } from '../support/server.js';

const PATH = '/oauth/client.json';
const REDIRECT = 'http://127.0.0.1:8123/callback';

/** A metadata document client as the flow helpers see it: its client_id is the document URL. */
const documentClient = (url: string, redirectUri = REDIRECT): OAuthClient => ({
  id: url,
  type: 'public',
  redirectUri,
  app: {} as WireApp,
});

describeOnEachStorage(
  'Client ID Metadata Documents (docs/http-api.md#client-id-metadata-documents)',
  (storage) => {
    let certificates: TestCertificates;
    let documents: DocumentServer;
    let h: OAuthHarness;
    let url: string;
    let client: OAuthClient;
    let clock: FixedClock;

    /** The document host `app.cimd.test` resolves to the local document server; the test CA is trusted. */
    const overrides = (): Overrides => ({
      clock,
      metadataDocumentFetch: {
        extraCaCertificates: [certificates.ca],
        resolve: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      },
    });
    const start = (env: Record<string, string> = {}) =>
      storage.start({ LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS: 'true', ...env }, overrides());

    before(async () => {
      certificates = await makeTestCertificates();
    });
    beforeEach(async () => {
      clock = new FixedClock(new Date());
      documents = await DocumentServer.start(certificates);
      url = documents.url(PATH, 'app.cimd.test');
      client = documentClient(url);
      documents.serve(PATH, json(aDocument(url, { scope: 'mcp user:read' })));
    });
    afterEach(async () => {
      await h.server.stop();
      await documents.stop();
    });

    context('when metadata documents are on (the default)', () => {
      beforeEach(async () => {
        h = await start();
      });

      it('advertises client_id_metadata_document_supported', async () => {
        const metadata = await request(`${h.url}/.well-known/oauth-authorization-server`);
        expect((metadata.body as Record<string, unknown>).client_id_metadata_document_supported).to.equal(
          true,
        );
      });

      it('never gets the client credentials grant (docs/http-api.md#client-credentials-grant)', async () => {
        const asked = (form: [string, string][]) => postForm(h.url, '/oauth2/tokens', form);
        expectOAuthError(
          await asked([
            ['grant_type', 'client_credentials'],
            ['client_id', url],
          ]),
          400,
          'unauthorized_client',
        );
        // A document that lists the grant is not a usable client at all.
        documents.serve(
          PATH,
          json(aDocument(url, { grant_types: ['authorization_code', 'client_credentials'] })),
        );
        clock.advance(25 * 3600);
        expectOAuthError(
          await asked([
            ['grant_type', 'client_credentials'],
            ['client_id', url],
          ]),
          401,
          'invalid_client',
        );
      });

      it('runs the whole flow: consent, code, tokens, refresh, RFC 7009 revocation', async () => {
        const tokens = await obtainTokens(h, client);
        expect(tokens.scope).to.equal('mcp user:read');
        expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
        const refreshed = expectTokens(await refresh(h.url, client, tokens.refresh_token));
        expect(refreshed.refresh_token).to.not.equal(tokens.refresh_token);
        const revoked = await revoke(h.url, client, refreshed.refresh_token);
        expect(revoked.status, revoked.text).to.equal(200);
        expectOAuthError(await refresh(h.url, client, refreshed.refresh_token), 400, 'invalid_grant');
        expect(documents.hitsOf(PATH), 'the cached document serves every step').to.equal(1);
      });

      it('shows the vouching host and the warnings on the consent page', async () => {
        const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
        expect(page.response.status, page.response.text).to.equal(200);
        expect(page.response.text).to.include('data-client-id-host="app.cimd.test"');
        expect(page.response.text).to.include('data-warning="unverified-domain"');
        expect(page.response.text).to.include('data-warning="loopback"');
        expect(page.response.text, 'the logo is never loaded').to.not.include('<img');
      });

      it('lets the user revoke its grants with DELETE /oauth2/tokens?client_id=<URL>', async () => {
        const tokens = await obtainTokens(h, client);
        const response = await request(`${h.url}/oauth2/tokens?client_id=${encodeURIComponent(url)}`, {
          method: 'DELETE',
          headers: bearer(h.session),
        });
        expect(response.status, response.text).to.equal(204);
        expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
        expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
      });

      it('lets the MCP tool revoke it by URL, and says that this ended the calling session', async () => {
        const tokens = await obtainTokens(h, client);
        const mcp = await connectWithToken(h.url, tokens.access_token);
        try {
          const result = await callToolOk(mcp, 'latchkey_revoke_app_access', { client_id: url });
          expect(result).to.deep.equal({ revoked: true, client_id: url, current_token_revoked: true });
        } finally {
          await mcp.close();
        }
        expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
        expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
      });

      it('audits the consent with the URL as client_id, and lists the client for the owner', async () => {
        await obtainTokens(h, client);
        const { entries } = await auditEntries(h, '?resource_type=oauth2_grant&action=create');
        expect(entries.map((e) => e.diff.client_id)).to.deep.equal([{ new: url }]);
        const apps = await h.api.list();
        const listed = (apps.body as Record<string, unknown>[]).find(
          (app) => app.client_id_metadata_document === url,
        );
        expect(listed, apps.text).to.deep.include({ client_type: 'public', dynamically_registered: false });
      });

      it('reports the URL as client_id to an introspect_any resource server', async () => {
        const tokens = await obtainTokens(h, client);
        const resourceServer = await createClient(h, { introspect_any: true });
        const response = await introspect(h.url, resourceServer, tokens.access_token);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.include({ active: true, client_id: url });
      });

      it('caps its scope like a registered client: never all', async () => {
        documents.serve(PATH, json(aDocument(url)));
        const code = await obtainCode(h, client, { params: { scope: 'all mcp' } });
        const tokens = expectTokens(await exchange(h.url, client, code));
        expect(tokens.scope).to.equal('mcp');
      });

      it('refuses a client secret at the token endpoint with invalid_client', async () => {
        const code = await obtainCode(h, client);
        const response = await postForm(h.url, '/oauth2/tokens', [
          ['grant_type', 'authorization_code'],
          ['code', code.code],
          ['code_verifier', code.pkce.verifier],
          ['redirect_uri', code.redirectUri],
          ['client_id', url],
          ['client_secret', 'made-up'],
        ]);
        expectOAuthError(response, 401, 'invalid_client');
      });

      it('shows the error page, never a redirect, for a redirect URI the document does not list', async () => {
        const page = await openConsent(
          h.url,
          h.session,
          authorizeParams(client, makePkce(), { redirect_uri: 'http://127.0.0.1:8123/other' }),
        );
        expectErrorPage(page.response);
      });

      it('accepts another port on the loopback redirect URI (RFC 8252 §7.3)', async () => {
        const elsewhere = 'http://127.0.0.1:9999/callback';
        const page = await openConsent(
          h.url,
          h.session,
          authorizeParams(client, makePkce(), { redirect_uri: elsewhere }),
        );
        const answer = await decide(h.url, page, 'allow');
        expect(redirectParams(h.url, answer, elsewhere).get('code')).to.be.a('string');
      });

      context('when the document cannot be used', () => {
        const broken: [string, () => void][] = [
          [
            'it is missing',
            () => {
              documents.serve(PATH, json({}, {}, 404));
            },
          ],
          [
            'its client_id is another URL',
            () => {
              documents.serve(PATH, json(aDocument(`${url}x`)));
            },
          ],
          [
            'it asks for a shared secret',
            () => {
              documents.serve(
                PATH,
                json(aDocument(url, { token_endpoint_auth_method: 'client_secret_basic' })),
              );
            },
          ],
          [
            'it is not JSON',
            () => {
              documents.serve(PATH, json(aDocument(url), { 'Content-Type': 'text/html' }));
            },
          ],
        ];
        for (const [why, breakIt] of broken) {
          it(`shows the error page at authorize when ${why}`, async () => {
            breakIt();
            const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
            expectErrorPage(page.response);
            const logged = h.server.logs
              .map((line) => JSON.parse(line) as Record<string, unknown>)
              .filter((entry) => entry.msg === 'client metadata document not usable');
            expect(logged.map((entry) => entry.clientId)).to.deep.equal([url]);
            expect(logged[0]?.level, 'a warning for the operator').to.equal(40);
          });
        }

        it('answers invalid_client (401) at the token endpoint once the cached document expires and is gone', async () => {
          const tokens = await obtainTokens(h, client);
          documents.serve(PATH, json({}, {}, 404));
          // The cached document (5 minutes when the response says nothing) still serves.
          const refreshed = expectTokens(await refresh(h.url, client, tokens.refresh_token));
          clock.advance(301);
          expectOAuthError(await refresh(h.url, client, refreshed.refresh_token), 401, 'invalid_client');
          expect(documents.hitsOf(PATH)).to.equal(2);
        });

        it('sees a changed document after the cache expires', async () => {
          documents.serve(PATH, json(aDocument(url), { 'Cache-Control': 'max-age=120' }));
          await obtainTokens(h, client);
          documents.serve(PATH, json(aDocument(url, { redirect_uris: ['http://127.0.0.1:8123/moved'] })));
          clock.advance(121);
          const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
          expectErrorPage(page.response);
          const moved = await obtainCode(h, documentClient(url, 'http://127.0.0.1:8123/moved'));
          expect(moved.code).to.match(/^lk_code_/);
        });
      });

      it('does not accept the stored id of a document client in place of its URL', async () => {
        await obtainTokens(h, client);
        const apps = await h.api.list();
        const stored = (apps.body as WireApp[]).find(
          (app) => (app as unknown as Record<string, unknown>).client_id_metadata_document === url,
        );
        expect(stored).to.not.equal(undefined);
        const page = await openConsent(
          h.url,
          h.session,
          authorizeParams(documentClient(stored?.id ?? ''), makePkce()),
        );
        expectErrorPage(page.response);
      });
    });

    it('refuses a document on a private address unless LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS is set', async () => {
      h = await storage.start({}, overrides());
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
      expectErrorPage(page.response);
      expect(documents.hitsOf(PATH)).to.equal(0);
    });

    it('refuses a blocked domain without fetching (LATCHKEY_CIMD_BLOCKED)', async () => {
      h = await start({ LATCHKEY_CIMD_BLOCKED: 'example.com, cimd.test' });
      const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
      expectErrorPage(page.response);
      expect(documents.hitsOf(PATH)).to.equal(0);
    });

    it('drops the unverified warning for a trusted domain (LATCHKEY_CIMD_TRUSTED_DOMAINS)', async () => {
      h = await start({ LATCHKEY_CIMD_TRUSTED_DOMAINS: 'example.com' });
      const untrusted = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
      expect(untrusted.response.text).to.include('data-warning="unverified-domain"');
      await h.server.stop();
      h = await start({ LATCHKEY_CIMD_TRUSTED_DOMAINS: 'example.com,cimd.test' });
      const trusted = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
      expect(trusted.response.status, trusted.response.text).to.equal(200);
      expect(trusted.response.text).to.include('data-client-id-host="app.cimd.test"');
      expect(trusted.response.text).to.not.include('data-warning="unverified-domain"');
      expect(trusted.response.text, 'the loopback note stays').to.include('data-warning="loopback"');
    });

    context('when metadata documents are off (LATCHKEY_CIMD_ENABLED=false)', () => {
      beforeEach(async () => {
        h = await start({ LATCHKEY_CIMD_ENABLED: 'false' });
      });

      it('does not advertise them, and a URL client_id is an unknown client', async () => {
        const metadata = await request(`${h.url}/.well-known/oauth-authorization-server`);
        expect(metadata.body).to.not.have.property('client_id_metadata_document_supported');
        const page = await openConsent(h.url, h.session, authorizeParams(client, makePkce()));
        expectErrorPage(page.response);
        const token = await postForm(h.url, '/oauth2/tokens', [
          ['grant_type', 'refresh_token'],
          ['refresh_token', 'lk_refresh_x'],
          ['client_id', url],
        ]);
        expectOAuthError(token, 401, 'invalid_client');
        expect(documents.hitsOf(PATH)).to.equal(0);
      });
    });
  },
);
