import type { RateLimitCounters, RateWindow } from '../ports/rate-limit-counters.js';

/**
 * `RateLimitCounters` in one process's memory, with the semantics of the PostgreSQL table: for
 * tests and tools that want the port without a database. A server on the in-memory store counts
 * its limits in the HTTP adapter instead, as it would with this.
 */
export class InMemoryRateLimitCounters implements RateLimitCounters {
  readonly #windows = new Map<string, { spent: number; resetAt: number }>();

  add(key: string, points: number, windowMs: number, now: Date): Promise<RateWindow> {
    const at = now.getTime();
    const running = this.#windows.get(key);
    const window =
      running !== undefined && running.resetAt > at
        ? { spent: running.spent + points, resetAt: running.resetAt }
        : { spent: points, resetAt: at + windowMs };
    this.#windows.set(key, window);
    return Promise.resolve({ spent: window.spent, msBeforeReset: window.resetAt - at });
  }

  peek(key: string, now: Date): Promise<RateWindow | undefined> {
    const at = now.getTime();
    const window = this.#windows.get(key);
    return Promise.resolve(
      window === undefined || window.resetAt <= at
        ? undefined
        : { spent: window.spent, msBeforeReset: window.resetAt - at },
    );
  }

  deleteExpired(now: Date): Promise<number> {
    const at = now.getTime();
    let count = 0;
    for (const [key, window] of this.#windows)
      if (window.resetAt <= at) {
        this.#windows.delete(key);
        count += 1;
      }
    return Promise.resolve(count);
  }
}
