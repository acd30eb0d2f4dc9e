import type { RateLimitCounters } from '@latchkey/domain';
import { InMemoryRateLimitCounters } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

const MINUTE = 60_000;
const T0 = new Date('2026-03-01T12:00:00.000Z');
const later = (ms: number): Date => new Date(T0.getTime() + ms);

interface Target {
  readonly name: string;
  open(): Promise<{ counters: RateLimitCounters; reset(): Promise<void>; close(): Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'in-memory',
    open: () => {
      let counters = new InMemoryRateLimitCounters();
      return Promise.resolve({
        get counters() {
          return counters;
        },
        reset: () => {
          counters = new InMemoryRateLimitCounters();
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      });
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const pg: PostgresHarness = await withPostgres();
      return { counters: pg.storage.rateLimits, reset: () => pg.truncate(), close: () => pg.cleanup() };
    },
  },
];

describe('the RateLimitCounters contract (docs/security.md#rate-limits)', () => {
  for (const target of TARGETS) {
    context(`with the ${target.name} adapter`, () => {
      let opened: Awaited<ReturnType<Target['open']>> | undefined;
      const counters = (): RateLimitCounters => {
        if (opened === undefined) throw new Error('not open');
        return opened.counters;
      };
      before(async () => {
        opened = await target.open();
      });
      beforeEach(() => opened?.reset());
      after(() => opened?.close());

      it('opens a window at the first spend and adds to it until it ends, on the clock of the caller', async () => {
        expect(await counters().add('k', 1, MINUTE, T0)).to.deep.equal({ spent: 1, msBeforeReset: MINUTE });
        expect(await counters().add('k', 2, MINUTE, later(20_000))).to.deep.equal({
          spent: 3,
          msBeforeReset: 40_000,
        });
        expect(await counters().peek('k', later(59_999))).to.deep.equal({ spent: 3, msBeforeReset: 1 });
        expect(await counters().peek('k', later(MINUTE))).to.equal(undefined);
        expect(await counters().add('k', 1, MINUTE, later(MINUTE))).to.deep.equal({
          spent: 1,
          msBeforeReset: MINUTE,
        });
      });

      it('keeps keys apart and has nothing for a key never spent', async () => {
        await counters().add('a', 5, MINUTE, T0);
        expect(await counters().peek('b', T0)).to.equal(undefined);
        expect(await counters().add('b', 1, MINUTE, T0)).to.deep.equal({ spent: 1, msBeforeReset: MINUTE });
        expect((await counters().peek('a', T0))?.spent).to.equal(5);
      });

      it('takes the window length of the spend that opens it', async () => {
        await counters().add('long', 1, 30 * 86_400_000, T0);
        expect(await counters().peek('long', later(29 * 86_400_000))).to.deep.equal({
          spent: 1,
          msBeforeReset: 86_400_000,
        });
      });

      it('forgets ended windows only, and says how many', async () => {
        await counters().add('ended', 1, 1000, T0);
        await counters().add('running', 1, MINUTE, T0);
        expect(await counters().deleteExpired(later(1000))).to.equal(1);
        expect(await counters().peek('running', later(1000))).to.deep.equal({
          spent: 1,
          msBeforeReset: MINUTE - 1000,
        });
        expect(await counters().deleteExpired(later(1000))).to.equal(0);
      });

      it('counts every one of concurrent spends of one key exactly once', async () => {
        const spent = await Promise.all(
          Array.from({ length: 20 }, () => counters().add('hot', 1, MINUTE, T0)),
        );
        expect(spent.map((w) => w.spent).sort((x, y) => x - y)).to.deep.equal(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      });
    });
  }
});
