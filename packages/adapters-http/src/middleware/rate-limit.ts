import { createHash } from 'node:crypto';
import {
  ApiErrors,
  isStorageUnavailable,
  oauthError,
  type ApiError,
  type Clock,
  type OAuthError,
  type RateLimitCounters,
} from '@latchkey/domain';

/** How many a key has spent in its current window, and how long until that window ends. */
export interface WindowState {
  readonly spent: number;
  readonly msBeforeReset: number;
}

/** The outcome of spending from a budget. */
export type Spend =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Keys remembered at most; past it, ended windows are forgotten, then the oldest. */
const MAX_KEYS = 100_000;

export const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows per key, read off the domain's clock, so that a test moves time
 * instead of waiting for it. Every limit of docs/http-api.md#configuration is "per minute"; a
 * window starts at a key's first spend. Memory is bounded by `MAX_KEYS`.
 */
export class FixedWindowBudget {
  readonly #windows = new Map<string, { spent: number; resetAt: number }>();

  constructor(
    private readonly clock: Clock,
    /** What a key may spend per window; 0 or less means no limit. */
    readonly perWindow: number,
  ) {}

  get enabled(): boolean {
    return this.perWindow > 0;
  }

  /** The key's current window, or `undefined` when it has none running. */
  peek(key: string): WindowState | undefined {
    const now = this.clock.now().getTime();
    const window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) return undefined;
    return { spent: window.spent, msBeforeReset: window.resetAt - now };
  }

  /** Adds `points` to the key's window (opening one if none runs) and returns its state. */
  add(key: string, points = 1): WindowState {
    const now = this.clock.now().getTime();
    const window = this.#windows.get(key);
    if (window !== undefined && window.resetAt > now) {
      window.spent += points;
      return { spent: window.spent, msBeforeReset: window.resetAt - now };
    }
    if (window !== undefined) this.#windows.delete(key);
    else if (this.#windows.size >= MAX_KEYS) this.#forget(now);
    this.#windows.set(key, { spent: points, resetAt: now + WINDOW_MS });
    return { spent: points, msBeforeReset: WINDOW_MS };
  }

  /** Spends one from the key's budget: allowed while the window holds no more than `perWindow`. */
  spend(key: string): Spend {
    if (!this.enabled) return { allowed: true };
    const state = this.add(key);
    return state.spent <= this.perWindow
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: retryAfterSeconds(state.msBeforeReset) };
  }

  /** Drops ended windows; if none had ended, the oldest tenth (a flood of new keys). */
  #forget(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
    if (this.#windows.size < MAX_KEYS) return;
    let drop = Math.ceil(MAX_KEYS / 10);
    for (const key of this.#windows.keys()) {
      if (drop-- <= 0) break;
      this.#windows.delete(key);
    }
  }
}

/** `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3). */
export const retryAfterSeconds = (msBeforeReset: number): number =>
  Math.max(1, Math.ceil(msBeforeReset / 1000));

/**
 * A per-key budget of `perWindow` a window, counted in this process (`FixedWindowBudget`) or in
 * counters every instance of the deployment shares (`SharedBudget`). A shared one rejects when
 * its store fails; see `limiterFailure`.
 */
export interface Budget {
  /** Whether the budget limits anything (`perWindow` > 0). */
  readonly enabled: boolean;
  readonly perWindow: number;
  /** Spends one: allowed while the window holds no more than `perWindow`. */
  spend(key: string): Promise<Spend>;
  /** The key's current window, or `undefined` when it has none running. */
  peek(key: string): Promise<WindowState | undefined>;
  /** Adds `points` to the key's window (opening one if none runs) and returns its state. */
  add(key: string, points?: number): Promise<WindowState>;
}

/** `budget` as a `Budget`: the same decisions, answered as promises. */
export const localBudget = (budget: FixedWindowBudget): Budget => ({
  enabled: budget.enabled,
  perWindow: budget.perWindow,
  spend: (key) => Promise.resolve(budget.spend(key)),
  peek: (key) => Promise.resolve(budget.peek(key)),
  add: (key, points) => Promise.resolve(budget.add(key, points)),
});

/**
 * A key of a shared budget: its namespace, then the SHA-256 of what it counts (an address, an
 * email), so that the shared table holds no personal data in the clear.
 */
export const sharedKey = (namespace: string, key: string): string =>
  `${namespace}:${createHash('sha256').update(key).digest('base64url')}`;

/**
 * A budget in `RateLimitCounters` that every instance shares (docs/security.md#rate-limits): the
 * same fixed windows as `FixedWindowBudget`, read off the same domain clock, one statement per
 * spend. `namespace` keeps the limits' keys apart in the one table.
 */
export class SharedBudget implements Budget {
  constructor(
    private readonly counters: RateLimitCounters,
    private readonly clock: Clock,
    private readonly namespace: string,
    readonly perWindow: number,
    private readonly windowMs = WINDOW_MS,
  ) {}

  get enabled(): boolean {
    return this.perWindow > 0;
  }

  async spend(key: string): Promise<Spend> {
    if (!this.enabled) return { allowed: true };
    const state = await this.add(key);
    return state.spent <= this.perWindow
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: retryAfterSeconds(state.msBeforeReset) };
  }

  peek(key: string): Promise<WindowState | undefined> {
    return this.counters.peek(sharedKey(this.namespace, key), this.clock.now());
  }

  add(key: string, points = 1): Promise<WindowState> {
    return this.counters.add(sharedKey(this.namespace, key), points, this.windowMs, this.clock.now());
  }
}

/**
 * Makes the budget of one limit: `namespace` names the limit, `perWindow` is its size, `windowMs`
 * its window (one minute unless given; only shared budgets take another).
 */
export type BudgetFactory = (namespace: string, perWindow: number, windowMs?: number) => Budget;

/**
 * Shared budgets over `counters` when the deployment has them (PostgreSQL on a server), else
 * budgets in this process.
 */
export const budgetFactory =
  (clock: Clock, counters: RateLimitCounters | undefined): BudgetFactory =>
  (namespace, perWindow, windowMs) =>
    counters === undefined
      ? localBudget(new FixedWindowBudget(clock, perWindow))
      : new SharedBudget(counters, clock, namespace, perWindow, windowMs);

/**
 * What a limiter whose store failed answers, in the API format: the request is refused, never let
 * through unchecked (docs/security.md#rate-limits) — 503 when the database is unreachable, as
 * the request itself would have been, else 500.
 */
export const limiterFailure = (error: unknown): ApiError =>
  isStorageUnavailable(error) ? ApiErrors.unavailable(error) : ApiErrors.internal(error);

/** `limiterFailure` in the OAuth format (RFC 6749 §5.2). */
export const oauthLimiterFailure = (error: unknown): OAuthError =>
  isStorageUnavailable(error)
    ? oauthError('temporarily_unavailable', 'The service is temporarily unavailable.', {
        status: 503,
        cause: error,
      })
    : oauthError('server_error', 'An internal error occurred.', { cause: error });
