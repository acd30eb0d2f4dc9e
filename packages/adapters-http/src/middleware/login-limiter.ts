import type { ApiError } from '@latchkey/domain';
import type { Ctx } from '../state.js';
import { writeApiError } from './errors.js';
import { limiterFailure, retryAfterSeconds, type Budget, type BudgetFactory } from './rate-limit.js';

export type LimitDecision =
  | { readonly allowed: true; readonly delayMs: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** How long a login from a known IP is held back while its account is under attack. */
const KNOWN_IP_DELAY_MS = 1000;
/** Bound on remembered (account, IP) pairs in one process, oldest forgotten first. */
const KNOWN_PAIRS_MAX = 50_000;
/** How long a shared (account, IP) pair stays known after the sign-in that recorded it. */
export const KNOWN_PAIR_MS = 30 * 86_400_000;

/** The (account, IP) pairs that signed in before: remembered in this process or shared. */
export interface KnownPairs {
  has(email: string, ip: string): Promise<boolean>;
  add(email: string, ip: string): Promise<void>;
}

const pairKey = (email: string, ip: string): string => `${email.toLowerCase()}\u0000${ip}`;

/** The pairs this process saw sign in, the most recent `KNOWN_PAIRS_MAX`. */
export const localKnownPairs = (): KnownPairs => {
  const pairs = new Map<string, true>();
  return {
    has: (email, ip) => Promise.resolve(pairs.has(pairKey(email, ip))),
    add: (email, ip) => {
      const key = pairKey(email, ip);
      pairs.delete(key);
      pairs.set(key, true);
      if (pairs.size > KNOWN_PAIRS_MAX) {
        const oldest = pairs.keys().next().value;
        if (oldest !== undefined) pairs.delete(oldest);
      }
      return Promise.resolve();
    },
  };
};

/**
 * Pairs in a budget every instance shares (docs/security.md#rate-limits): a pair is known for
 * `KNOWN_PAIR_MS` after the sign-in that recorded it, so an owner who signed in through any
 * instance is recognised by all of them.
 */
export const sharedKnownPairs = (budgets: BudgetFactory): KnownPairs => {
  const budget = budgets('login-known', 1, KNOWN_PAIR_MS);
  return {
    has: async (email, ip) => (await budget.peek(pairKey(email, ip))) !== undefined,
    add: async (email, ip) => {
      await budget.add(pairKey(email, ip));
    },
  };
};

/**
 * Login throttling (docs/http-api.md#users-and-sessions): every password check (`/api/v2/users/login`, `/login`,
 * `/setup`) spends from one per-IP budget; failed attempts per email are limited at 10x that rate
 * and only slow, never block, an IP that logged into that account before, so an attacker cannot
 * lock the owner out. With shared budgets (PostgreSQL on a server) the limits hold for the whole
 * deployment; a failing store makes every method reject, and the routes refuse the request.
 */
export class LoginLimiter {
  private readonly perIp: Budget;
  private readonly failuresPerEmail: Budget;

  constructor(
    perMinute: number,
    budgets: BudgetFactory,
    private readonly knownPairs: KnownPairs,
  ) {
    this.perIp = budgets('login-ip', perMinute);
    this.failuresPerEmail = budgets('login-failures', perMinute * 10);
  }

  /** Spends one password check from the IP's budget, then consults the account's failure budget. */
  async beforePasswordCheck(ip: string, email: string | undefined): Promise<LimitDecision> {
    if (!this.perIp.enabled) return { allowed: true, delayMs: 0 };
    const spent = await this.perIp.spend(ip);
    if (!spent.allowed) return spent;
    if (email === undefined) return { allowed: true, delayMs: 0 };
    const failures = await this.failuresPerEmail.peek(email.toLowerCase());
    if (failures === undefined || failures.spent < this.failuresPerEmail.perWindow)
      return { allowed: true, delayMs: 0 };
    if (await this.knownPairs.has(email, ip)) return { allowed: true, delayMs: KNOWN_IP_DELAY_MS };
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(failures.msBeforeReset) };
  }

  async afterFailure(email: string): Promise<void> {
    if (this.failuresPerEmail.enabled) await this.failuresPerEmail.add(email.toLowerCase());
  }

  /** Remembers that `ip` signed into `email`'s account (only while the limit is on). */
  async afterSuccess(email: string, ip: string): Promise<void> {
    if (this.perIp.enabled) await this.knownPairs.add(email, ip);
  }
}

/**
 * Spends the password check of this request (docs/security.md#rate-limits) and waits out the
 * delay of a known IP. `true` when the check may go ahead; otherwise the answer is given: the
 * limiter's outage as its error, or a refusal, which gets `Retry-After` and the metrics' label
 * here and its 429 body from `refuse` (the route's own: JSON or the form again).
 */
export const admitPasswordCheck = async (
  ctx: Ctx,
  limiter: LoginLimiter,
  email: string | undefined,
  refuse: (retryAfterSeconds: number) => void,
): Promise<boolean> => {
  let decision: LimitDecision;
  try {
    decision = await limiter.beforePasswordCheck(ctx.state.clientIp, email);
  } catch (error) {
    writeApiError(ctx, limiterFailure(error));
    return false;
  }
  if (!decision.allowed) {
    ctx.state.rateLimitedBy = 'login';
    ctx.set('Retry-After', String(decision.retryAfterSeconds));
    refuse(decision.retryAfterSeconds);
    return false;
  }
  if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  return true;
};

/**
 * Counts a failed password check; `undefined` once counted, else the error to answer with: a
 * failure the limiter could not count is refused as the limiter's outage rather than answered as
 * a plain wrong password (docs/security.md#rate-limits).
 */
export const recordFailure = async (limiter: LoginLimiter, email: string): Promise<ApiError | undefined> => {
  try {
    await limiter.afterFailure(email);
    return undefined;
  } catch (error) {
    return limiterFailure(error);
  }
};

/**
 * Remembers a successful sign-in's (account, IP) pair. The sign-in stands when that fails: it
 * only means this pair is not recognised later, which errs on the side of the limit; logged.
 */
export const recordSuccess = async (ctx: Ctx, limiter: LoginLimiter, email: string): Promise<void> => {
  try {
    await limiter.afterSuccess(email, ctx.state.clientIp);
  } catch (error) {
    ctx.state.log.warn({ err: error }, 'the login limiter could not record a sign-in');
  }
};
