import type { Clock } from '@latchkey/domain';
import { FixedWindowBudget, retryAfterSeconds } from './rate-limit.js';

export type LimitDecision =
  | { readonly allowed: true; readonly delayMs: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** How long a login from a known IP is held back while its account is under attack. */
const KNOWN_IP_DELAY_MS = 1000;
/** Bound on remembered (account, IP) pairs, oldest forgotten first. */
const KNOWN_PAIRS_MAX = 50_000;

/**
 * Login throttling (docs/http-api.md#users-and-sessions): every password check (`/api/v2/users/login`, `/login`,
 * `/setup`) spends from one per-IP budget; failed attempts per email are limited at 10x that rate
 * and only slow, never block, an IP that logged into that account before, so an attacker cannot
 * lock the owner out.
 */
export class LoginLimiter {
  private readonly perIp: FixedWindowBudget;
  private readonly failuresPerEmail: FixedWindowBudget;
  private readonly knownPairs = new Map<string, true>();

  constructor(perMinute: number, clock: Clock) {
    this.perIp = new FixedWindowBudget(clock, perMinute);
    this.failuresPerEmail = new FixedWindowBudget(clock, perMinute * 10);
  }

  /** Spends one password check from the IP's budget, then consults the account's failure budget. */
  beforePasswordCheck(ip: string, email: string | undefined): Promise<LimitDecision> {
    return Promise.resolve(this.decide(ip, email));
  }

  private decide(ip: string, email: string | undefined): LimitDecision {
    if (!this.perIp.enabled) return { allowed: true, delayMs: 0 };
    const spent = this.perIp.spend(ip);
    if (!spent.allowed) return spent;
    if (email === undefined) return { allowed: true, delayMs: 0 };
    const failures = this.failuresPerEmail.peek(email.toLowerCase());
    if (failures === undefined || failures.spent < this.failuresPerEmail.perWindow)
      return { allowed: true, delayMs: 0 };
    if (this.knownPairs.has(pairKey(email, ip))) return { allowed: true, delayMs: KNOWN_IP_DELAY_MS };
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(failures.msBeforeReset) };
  }

  afterFailure(email: string): Promise<void> {
    if (this.failuresPerEmail.enabled) this.failuresPerEmail.add(email.toLowerCase());
    return Promise.resolve();
  }

  afterSuccess(email: string, ip: string): void {
    const key = pairKey(email, ip);
    this.knownPairs.delete(key);
    this.knownPairs.set(key, true);
    if (this.knownPairs.size > KNOWN_PAIRS_MAX) {
      const oldest = this.knownPairs.keys().next().value;
      if (oldest !== undefined) this.knownPairs.delete(oldest);
    }
  }
}

const pairKey = (email: string, ip: string): string => `${email.toLowerCase()}\u0000${ip}`;
