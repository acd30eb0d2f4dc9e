import { FixedWindowBudget, SharedBudget } from '@latchkey/adapters-http';
import { StorageUnavailableError, type RateLimitCounters } from '@latchkey/domain';
import { createInMemoryStorage, FixedClock, InMemoryRateLimitCounters } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { postJson, startTestServer, type TestServer } from '../support/server.js';

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

describe('a budget shared through RateLimitCounters (docs/security.md#rate-limits)', () => {
  let clock: FixedClock;
  beforeEach(() => {
    clock = new FixedClock(new Date('2026-03-01T12:00:00Z'));
  });

  it('decides as the budget in the process does, on the same clock', async () => {
    const budget = new SharedBudget(new InMemoryRateLimitCounters(), clock, 'test', 2);
    expect(await budget.spend('a')).to.deep.equal({ allowed: true });
    clock.advance(20);
    expect(await budget.spend('a')).to.deep.equal({ allowed: true });
    expect(await budget.spend('a')).to.deep.equal({ allowed: false, retryAfterSeconds: 40 });
    clock.advance(40);
    expect(await budget.spend('a')).to.deep.equal({ allowed: true });
  });

  it('counts the spends of every holder of the counters together', async () => {
    const counters = new InMemoryRateLimitCounters();
    const instances = [0, 1, 2].map(() => new SharedBudget(counters, clock, 'test', 4));
    const spent = await Promise.all(instances.flatMap((budget) => [budget.spend('a'), budget.spend('a')]));
    expect(spent.filter((s) => s.allowed)).to.have.length(4);
  });

  it('stores a digest of the key under its namespace, never the key itself', async () => {
    const seen: string[] = [];
    const counters = new InMemoryRateLimitCounters();
    const recording: RateLimitCounters = {
      add: (key, ...rest) => {
        seen.push(key);
        return counters.add(key, ...rest);
      },
      peek: (key, now) => counters.peek(key, now),
      deleteExpired: (now) => counters.deleteExpired(now),
    };
    await new SharedBudget(recording, clock, 'login-ip', 1).spend('192.0.2.1');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.match(/^login-ip:[A-Za-z0-9_-]{43}$/);
    expect(seen[0]).not.to.include('192.0.2.1');
  });
});

describe('a limiter whose shared store fails (docs/security.md#rate-limits)', () => {
  const failing: RateLimitCounters = {
    add: () => Promise.reject(new StorageUnavailableError({ systemCode: 'ECONNREFUSED' })),
    peek: () => Promise.reject(new StorageUnavailableError({ systemCode: 'ECONNREFUSED' })),
    deleteExpired: () => Promise.reject(new StorageUnavailableError({ systemCode: 'ECONNREFUSED' })),
  };
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(
      { LATCHKEY_RATE_LIMIT_LOGIN: '5', LATCHKEY_RATE_LIMIT_REGISTER: '5' },
      { storage: { ...createInMemoryStorage(), rateLimits: failing, close: () => Promise.resolve() } },
    );
  });
  afterEach(() => server.stop());

  it('refuses logins with 503 rather than checking passwords unlimited', async () => {
    const response = await postJson(`${server.url}/api/v2/users/login`, {
      email: 'someone@example.com',
      password: 'a password',
    });
    expect(response.status, response.text).to.equal(503);
  });

  it('refuses registrations with 503 temporarily_unavailable', async () => {
    const response = await postJson(`${server.url}/oauth2/register`, {
      redirect_uris: ['https://failing.example.com/cb'],
      token_endpoint_auth_method: 'none',
    });
    expect(response.status, response.text).to.equal(503);
    expect(response.body).to.include({ error: 'temporarily_unavailable' });
  });
});
