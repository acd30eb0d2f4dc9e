import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import type { WireSecret } from '../http/admin-api.js';
import { createClient, obtainTokens, startOAuthServer, type OAuthHarness } from './flow-helpers.js';

/** The secret listing's `last_used_at` for one secret, by id. */
const lastUsedAt = async (h: OAuthHarness, appId: string, secretId: string): Promise<string | undefined> => {
  const listed = (await h.api.secrets(appId)).body as WireSecret[];
  return listed.find((s) => s.id === secretId)?.last_used_at;
};

/** Lets the fire-and-forget bookkeeping write land. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('last_used_at of a client secret (docs/http-api.md#apps)', () => {
  let h: OAuthHarness;
  let clock: FixedClock;
  beforeEach(async () => {
    clock = new FixedClock(new Date());
    h = await startOAuthServer({}, { clock });
  });
  afterEach(() => h.server.stop());

  it('is recorded when the secret authenticates, and moves at most once a minute', async () => {
    const client = await createClient(h);
    const secretId = client.secretId ?? '';
    expect(await lastUsedAt(h, client.id, secretId)).to.equal(undefined);

    await obtainTokens(h, client);
    await settle();
    const first = await lastUsedAt(h, client.id, secretId);
    expect(first).to.equal(clock.now().toISOString());

    clock.advance(30);
    await obtainTokens(h, client);
    await settle();
    expect(await lastUsedAt(h, client.id, secretId)).to.equal(first);

    clock.advance(31);
    await obtainTokens(h, client);
    await settle();
    expect(await lastUsedAt(h, client.id, secretId)).to.equal(clock.now().toISOString());
  });
});
