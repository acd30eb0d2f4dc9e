import { expect } from 'chai';
import { request } from '../support/server.js';
import {
  auditEntries,
  createClient,
  exchange,
  expectTokens,
  obtainCode,
  obtainTokens,
  refresh,
  revoke,
  describeOnEachStorage,
  userIdOf,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

describeOnEachStorage('the audit log of grant revocations (docs/http-api.md#audit-log)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const grantRevocations = () => auditEntries(h, '?resource_type=oauth2_grant&action=revoke');

  /** Asserts that `act` adds exactly one `revoke oauth2_grant` entry, and returns it. */
  const expectOneRevocation = async (act: () => Promise<unknown>, status: number) => {
    const before = await grantRevocations();
    await act();
    const after = await grantRevocations();
    expect(after.count, after.text).to.equal(before.count + 1);
    const entry = after.entries[0];
    expect(entry).to.include({ action: 'revoke', resource_type: 'oauth2_grant', status });
    expect(entry?.resource_id).to.be.a('string').and.not.equal('');
    for (const secret of ['lk_at_', 'lk_rt_', 'lk_code_', 'lk_secret_', 'lk_sess_'])
      expect(after.text).to.not.include(secret);
    return entry;
  };

  it('records revoking a refresh token at /oauth2/revoke', async () => {
    const tokens = await obtainTokens(h, client);
    await expectOneRevocation(() => revoke(h.url, client, tokens.refresh_token), 200);
  });

  it('records DELETE /oauth2/tokens, with the user as actor', async () => {
    await obtainTokens(h, client);
    const entry = await expectOneRevocation(
      () =>
        request(`${h.url}/oauth2/tokens?client_id=${client.id}`, {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${h.session}` },
        }),
      204,
    );
    expect(entry?.actor_id).to.equal(await userIdOf(h.url, h.session));
  });

  it('records one entry per grant that DELETE /oauth2/tokens revokes, and none when nothing is left', async () => {
    await obtainTokens(h, client);
    await obtainTokens(h, client);
    const before = await grantRevocations();
    const revokeAll = () =>
      request(`${h.url}/oauth2/tokens?client_id=${client.id}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${h.session}` },
      });
    expect((await revokeAll()).status).to.equal(204);
    const after = await grantRevocations();
    expect(after.count).to.equal(before.count + 2);
    const [first, second] = after.entries;
    expect(first?.resource_id).to.not.equal(second?.resource_id);
    expect((await revokeAll()).status).to.equal(204);
    expect((await grantRevocations()).count).to.equal(after.count);
  });

  it('records the revocation caused by a replayed code', async () => {
    const code = await obtainCode(h, client);
    expectTokens(await exchange(h.url, client, code));
    await expectOneRevocation(() => exchange(h.url, client, code), 400);
  });

  it('records the revocation caused by a replayed refresh token', async () => {
    const first = await obtainTokens(h, client);
    expectTokens(await refresh(h.url, client, first.refresh_token));
    expectTokens(await refresh(h.url, client, first.refresh_token));
    await expectOneRevocation(() => refresh(h.url, client, first.refresh_token), 400);
  });

  it('records nothing for revoking a single access token', async () => {
    const tokens = await obtainTokens(h, client);
    const before = await grantRevocations();
    await revoke(h.url, client, tokens.access_token);
    expect((await grantRevocations()).count).to.equal(before.count);
  });
});
