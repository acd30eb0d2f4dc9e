import { expect } from 'chai';
import type { OAuthHarness } from '../oauth/flow-helpers.js';
import {
  expectRegistered,
  minimalMetadata,
  obtainTokens,
  registerClient,
  registerRaw,
  scopeValues,
  startDcrServer,
} from './helpers.js';
import { describeOnBothStorages } from '../support/server.js';

describeOnBothStorages(
  'the scope of a dynamically registered client (docs/http-api.md#registration, #bearer-tokens)',
  () => {
    context('with the default LATCHKEY_DCR_SCOPES (mcp user:read)', () => {
      let h: OAuthHarness;
      before(async () => {
        h = await startDcrServer();
      });
      after(() => h.server.stop());

      const registeredScope = async (scope: string | undefined): Promise<string | undefined> => {
        const body = scope === undefined ? minimalMetadata() : minimalMetadata({ scope });
        return expectRegistered(await registerRaw(h.url, body)).scope;
      };

      it('keeps both supported values', async () => {
        expect(scopeValues(await registeredScope('user:read mcp'))).to.deep.equal(['mcp', 'user:read']);
      });

      it('drops all and unknown values and shows what was kept ("mcp all foo" → "mcp")', async () => {
        expect(await registeredScope('mcp all foo')).to.equal('mcp');
      });

      it('drops the scope names of hosted connectors and keeps the supported ones', async () => {
        // openid and profile are granted to every client (docs/openid-connect.md#scopes).
        expect(await registeredScope('claudeai openid profile user:read')).to.equal(
          'openid profile user:read',
        );
      });

      for (const [when, scope] of [
        ['only all is asked for', 'all'],
        ['only unknown values are asked for', 'foo bar:baz'],
        ['scope is empty', ''],
        ['scope is omitted', undefined],
      ] as const) {
        it(`registers no scope when ${when}`, async () => {
          const body = scope === undefined ? minimalMetadata() : minimalMetadata({ scope });
          const registration = expectRegistered(await registerRaw(h.url, body));
          expect(registration).to.not.have.property('scope');
        });
      }

      it('drops all again at authorize: asking for "all user:read" grants user:read', async () => {
        const client = await registerClient(h.url, minimalMetadata({ scope: 'mcp user:read' }));
        const tokens = await obtainTokens(h, client, { scope: 'all user:read' });
        expect(scopeValues(tokens.scope)).to.deep.equal(['user:read']);
      });

      it('never grants all to a client without a registered scope', async () => {
        const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
        const tokens = await obtainTokens(h, client, { scope: 'all' });
        expect(scopeValues(tokens.scope)).to.not.include('all');
        expect(scopeValues(tokens.scope)).to.deep.equal(['mcp', 'user:read']);
      });
    });

    context('with LATCHKEY_DCR_SCOPES=mcp', () => {
      let h: OAuthHarness;
      before(async () => {
        h = await startDcrServer({ LATCHKEY_DCR_SCOPES: 'mcp' });
      });
      after(() => h.server.stop());

      it('drops user:read at registration and keeps mcp', async () => {
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ scope: 'mcp user:read' })),
        );
        expect(registration.scope).to.equal('mcp');
      });

      it('registers no scope when only user:read is asked for', async () => {
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ scope: 'user:read' })),
        );
        expect(registration).to.not.have.property('scope');
      });

      it('grants only mcp at authorize, even when the request asks for user:read', async () => {
        const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
        const tokens = await obtainTokens(h, client, { scope: 'mcp user:read' });
        expect(scopeValues(tokens.scope)).to.deep.equal(['mcp']);
      });

      it('grants only mcp when the request names no scope and the default has user:read', async () => {
        const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
        const tokens = await obtainTokens(h, client);
        expect(scopeValues(tokens.scope)).to.deep.equal(['mcp']);
      });
    });

    context('with an extra scope allowed for registered clients', () => {
      let h: OAuthHarness;
      before(async () => {
        h = await startDcrServer({
          LATCHKEY_EXTRA_SCOPES: 'files:read files:write',
          LATCHKEY_DCR_SCOPES: 'mcp files:read',
        });
      });
      after(() => h.server.stop());

      it('keeps the extra scope it allows and drops the one it does not', async () => {
        const registration = expectRegistered(
          await registerRaw(h.url, minimalMetadata({ scope: 'files:read files:write user:read mcp' })),
        );
        expect(scopeValues(registration.scope)).to.deep.equal(['files:read', 'mcp']);
      });
    });
  },
);
