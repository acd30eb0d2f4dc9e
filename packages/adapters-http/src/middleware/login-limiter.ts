import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

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
  private readonly perIp: RateLimiterMemory | undefined;
  private readonly failuresPerEmail: RateLimiterMemory | undefined;
  private readonly knownPairs = new Map<string, true>();

  constructor(perMinute: number) {
    if (perMinute > 0) {
      this.perIp = new RateLimiterMemory({ keyPrefix: 'login-ip', points: perMinute, duration: 60 });
      this.failuresPerEmail = new RateLimiterMemory({
        keyPrefix: 'login-email',
        points: perMinute * 10,
        duration: 60,
      });
    }
  }

  /** Spends one password check from the IP's budget, then consults the account's failure budget. */
  async beforePasswordCheck(ip: string, email: string | undefined): Promise<LimitDecision> {
    if (this.perIp === undefined || this.failuresPerEmail === undefined) return { allowed: true, delayMs: 0 };
    try {
      await this.perIp.consume(ip);
    } catch (rejection) {
      return { allowed: false, retryAfterSeconds: retryAfter(rejection) };
    }
    if (email === undefined) return { allowed: true, delayMs: 0 };
    const failures = await this.failuresPerEmail.get(email.toLowerCase());
    if (failures === null || failures.remainingPoints > 0) return { allowed: true, delayMs: 0 };
    if (this.knownPairs.has(pairKey(email, ip))) return { allowed: true, delayMs: KNOWN_IP_DELAY_MS };
    return { allowed: false, retryAfterSeconds: Math.ceil(failures.msBeforeNext / 1000) };
  }

  async afterFailure(email: string): Promise<void> {
    if (this.failuresPerEmail === undefined) return;
    await this.failuresPerEmail.penalty(email.toLowerCase(), 1);
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

const retryAfter = (rejection: unknown): number =>
  rejection instanceof RateLimiterRes ? Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) : 60;
