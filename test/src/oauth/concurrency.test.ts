import { expect } from 'chai';
import type { JsonResponse } from '../support/server.js';
import {
  createClient,
  exchange,
  expectTokens,
  obtainCode,
  obtainTokens,
  refresh,
  describeOnEachStorage,
} from './flow-helpers.js';

const statuses = (responses: JsonResponse[]): number[] => responses.map((r) => r.status).sort();

const errorsOf = (responses: JsonResponse[]): string[] =>
  responses
    .filter((r) => r.status !== 200)
    .map((r) => (r.body as { error?: string } | undefined)?.error ?? r.text);

describeOnEachStorage('simultaneous token requests (docs/http-api.md#token concurrency)', (storage) => {
  const start = async (env: Record<string, string>) => {
    const h = await storage.start(env);
    return { h, stop: () => h.server.stop() };
  };
  it('of 10 simultaneous exchanges of one code, exactly one succeeds', async () => {
    const { h, stop } = await start({});
    try {
      const client = await createClient(h);
      const code = await obtainCode(h, client);
      const responses = await Promise.all(Array.from({ length: 10 }, () => exchange(h.url, client, code)));
      expect(
        statuses(responses).filter((s) => s === 200),
        statuses(responses).join(),
      ).to.have.length(1);
      expect(new Set(errorsOf(responses))).to.deep.equal(new Set(['invalid_grant']));
    } finally {
      await stop();
    }
  });

  it('of 10 simultaneous refreshes of one token with no grace window, exactly one succeeds', async () => {
    const { h, stop } = await start({ LATCHKEY_REFRESH_REUSE_GRACE: '0' });
    try {
      const client = await createClient(h);
      const tokens = await obtainTokens(h, client);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(h.url, client, tokens.refresh_token)),
      );
      expect(
        statuses(responses).filter((s) => s === 200),
        statuses(responses).join(),
      ).to.have.length(1);
      expect(new Set(errorsOf(responses))).to.deep.equal(new Set(['invalid_grant']));
    } finally {
      await stop();
    }
  });

  it('of 10 simultaneous refreshes of one token within the grace window, at most two succeed', async () => {
    const { h, stop } = await start({});
    try {
      const client = await createClient(h);
      const tokens = await obtainTokens(h, client);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(h.url, client, tokens.refresh_token)),
      );
      const ok = statuses(responses).filter((s) => s === 200);
      expect(ok.length, statuses(responses).join()).to.be.within(1, 2);
      expect(new Set(errorsOf(responses))).to.deep.equal(new Set(['invalid_grant']));
    } finally {
      await stop();
    }
  });

  it('keeps exchanges of different codes independent', async () => {
    const { h, stop } = await start({});
    try {
      const client = await createClient(h);
      const codes = await Promise.all(Array.from({ length: 5 }, () => obtainCode(h, client)));
      const responses = await Promise.all(codes.map((code) => exchange(h.url, client, code)));
      for (const response of responses) expectTokens(response);
    } finally {
      await stop();
    }
  });
});
