/** How much a key has spent in its current window, and how long until that window ends. */
export interface RateWindow {
  readonly spent: number;
  readonly msBeforeReset: number;
}

/**
 * Fixed-window counters that every instance of a deployment shares, so that a rate limit holds
 * for the deployment rather than per process (docs/security.md#rate-limits). A window opens at a
 * key's first spend and runs `windowMs`; times are the caller's (the domain clock), never the
 * store's own, so that a test moves time instead of waiting for it. Keys are opaque to the store:
 * the caller hashes whatever identifies a person (addresses, emails) before it gets here.
 *
 * A call that fails rejects (a `StorageError`); the caller decides what a failed limiter means.
 */
export interface RateLimitCounters {
  /**
   * Adds `points` to the window of `key` running at `now`, or opens a window of `windowMs` with
   * `points` when none runs (an ended one is replaced), atomically however many instances spend
   * at once; returns the window after the addition.
   */
  add(key: string, points: number, windowMs: number, now: Date): Promise<RateWindow>;
  /** The window of `key` running at `now`, or `undefined`. */
  peek(key: string, now: Date): Promise<RateWindow | undefined>;
  /** Forgets the windows that ended at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}
