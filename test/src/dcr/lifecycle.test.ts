import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import type { WireApp } from '../http/admin-api.js';
import type { OAuthHarness } from '../oauth/flow-helpers.js';
import { request, describeOnBothStorages } from '../support/server.js';
import {
  appAudit,
  clientAuthentication,
  consentedCode,
  expectInvalidRegistrationToken,
  manage,
  minimalMetadata,
  obtainTokens,
  registerClient,
  startDcrServer,
  type Registered,
} from './helpers.js';

const HOUR = 3600;

/**
 * docs/http-api.md#registration: "A dynamically registered client that completed no token request within 24 h of
 * registration, or has had no live grant for LATCHKEY_DCR_IDLE_TTL, is deleted (audited as
 * delete)." The clock is the server's; the owner's session outlives the jumps.
 *
 * The purge runs on the app's maintenance timer, in real time, and judges by the server's clock.
 * These tests move that clock, then run the purge the timer runs, through the running server's
 * use cases, rather than wait for a tick; the last test shows the timer doing it on its own.
 */
describeOnBothStorages('abandoned registrations are deleted (docs/http-api.md#registration)', () => {
  let h: OAuthHarness;
  let clock: FixedClock;
  const start = async (env: Record<string, string> = {}) => {
    clock = new FixedClock(new Date());
    h = await startDcrServer({ LATCHKEY_SESSION_TTL: '30d', ...env }, { clock });
  };
  afterEach(() => h.server.stop());

  /** Moves the server's clock, then purges as the maintenance timer's next tick would. */
  const advance = async (seconds: number): Promise<void> => {
    clock.advance(seconds);
    const purged = await h.server.running.useCases.purgeAbandonedClients()();
    expect(purged._tag).to.equal('Right');
  };

  const listed = async (client: Registered): Promise<boolean> =>
    ((await h.api.list('?dynamically_registered=true')).body as WireApp[]).some(
      (a) => a.id === client.clientId,
    );

  const expectDeleted = async (client: Registered): Promise<void> => {
    expectInvalidRegistrationToken(await manage(h.url, client).get());
    expect(await listed(client)).to.equal(false);
    const { entries } = await appAudit(h, '&action=delete');
    expect(entries.map((e) => e.resource_id)).to.include(client.clientId);
  };

  const revoke = (client: Registered, token: string) => {
    const auth = clientAuthentication(client);
    return request(`${h.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth.headers },
      body: new URLSearchParams([...auth.form, ['token', token]]).toString(),
    });
  };

  context('when a client completed no token request', () => {
    beforeEach(() => start());

    it('is still there just under 24 hours after registration', async () => {
      const client = await registerClient(h.url, minimalMetadata());
      await advance(24 * HOUR - 60);
      expect((await manage(h.url, client).get()).status).to.equal(200);
    });

    it('is deleted, and the deletion audited, once 24 hours have passed', async () => {
      const client = await registerClient(h.url, minimalMetadata());
      await advance(24 * HOUR + 60);
      await expectDeleted(client);
    });

    it('is deleted after 24 hours even though the user consented, when the code was never redeemed', async () => {
      const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
      await consentedCode(h, client);
      await advance(24 * HOUR + 60);
      await expectDeleted(client);
    });

    it('is kept once it redeems a code late on its first day', async () => {
      const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
      await advance(23 * HOUR);
      await obtainTokens(h, client);
      await advance(2 * HOUR);
      expect((await manage(h.url, client).get()).status).to.equal(200);
      expect(await listed(client)).to.equal(true);
    });
  });

  context('when a client completed a token request (LATCHKEY_DCR_IDLE_TTL=2h)', () => {
    beforeEach(() => start({ LATCHKEY_DCR_IDLE_TTL: '2h' }));

    it('outlives the first 24 hours and the idle time while it holds a live grant', async () => {
      const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
      await obtainTokens(h, client);
      await advance(25 * HOUR);
      expect((await manage(h.url, client).get()).status).to.equal(200);
      expect(await listed(client)).to.equal(true);
    });

    it('is deleted once it has had no live grant for LATCHKEY_DCR_IDLE_TTL', async () => {
      const client = await registerClient(h.url, minimalMetadata({ token_endpoint_auth_method: 'none' }));
      const tokens = await obtainTokens(h, client);
      const revoked = await revoke(client, tokens.refresh_token ?? '');
      expect(revoked.status, revoked.text).to.equal(200);
      await advance(2 * HOUR + 60);
      await expectDeleted(client);
    });
  });

  context('when nobody runs the purge but the maintenance timer', () => {
    beforeEach(async () => {
      clock = new FixedClock(new Date());
      h = await startDcrServer({ LATCHKEY_SESSION_TTL: '30d' }, { clock, maintenanceTickMs: 20 });
    });

    it('is deleted, and the deletion audited, within a few ticks of its deadline', async () => {
      const client = await registerClient(h.url, minimalMetadata());
      clock.advance(24 * HOUR + 60);
      const deadline = Date.now() + 5_000;
      while ((await manage(h.url, client).get()).status === 200 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await expectDeleted(client);
    });
  });
});
