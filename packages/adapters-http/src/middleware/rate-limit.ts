import type { Clock } from '@latchkey/domain';

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

const WINDOW_MS = 60_000;

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
