import { FixedWindowBudget } from '@latchkey/adapters-http';
import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';

describe('a per-minute budget on the domain clock (docs/http-api.md#configuration)', () => {
  let clock: FixedClock;
  beforeEach(() => {
    clock = new FixedClock(new Date('2026-03-01T12:00:00Z'));
  });

  it('allows the budget, refuses the next with the seconds left in the window, and refills after it', () => {
    const budget = new FixedWindowBudget(clock, 2);
    expect(budget.spend('a')).to.deep.equal({ allowed: true });
    clock.advance(20);
    expect(budget.spend('a')).to.deep.equal({ allowed: true });
    expect(budget.spend('a')).to.deep.equal({ allowed: false, retryAfterSeconds: 40 });
    clock.advance(39.5);
    expect(budget.spend('a')).to.deep.equal({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(0.5);
    expect(budget.spend('a')).to.deep.equal({ allowed: true });
  });

  it('counts each key apart', () => {
    const budget = new FixedWindowBudget(clock, 1);
    expect(budget.spend('a').allowed).to.equal(true);
    expect(budget.spend('b').allowed).to.equal(true);
    expect(budget.spend('a').allowed).to.equal(false);
  });

  it('never refuses when the budget is 0 (the limit is off)', () => {
    const budget = new FixedWindowBudget(clock, 0);
    for (let i = 0; i < 100; i += 1) expect(budget.spend('a').allowed).to.equal(true);
    expect(budget.enabled).to.equal(false);
  });

  it('reports a running window and nothing once it has ended', () => {
    const budget = new FixedWindowBudget(clock, 5);
    expect(budget.peek('a')).to.equal(undefined);
    budget.add('a', 3);
    clock.advance(15);
    expect(budget.peek('a')).to.deep.equal({ spent: 3, msBeforeReset: 45_000 });
    clock.advance(45);
    expect(budget.peek('a')).to.equal(undefined);
  });

  it('stays bounded under a flood of new keys: the oldest windows are forgotten first', () => {
    const budget = new FixedWindowBudget(clock, 1);
    expect(budget.spend('first').allowed).to.equal(true);
    expect(budget.spend('first').allowed).to.equal(false);
    for (let i = 0; i < 100_000; i += 1) budget.spend(`flood-${i}`);
    expect(budget.peek('first')).to.equal(undefined);
    expect(budget.peek('flood-99999')).to.deep.equal({ spent: 1, msBeforeReset: 60_000 });
  });
});
