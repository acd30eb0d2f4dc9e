import type { Logger } from 'pino';

/** During an outage, how often at most a request makes the server check for the database again. */
const RECHECK_INTERVAL_MS = 1000;

/**
 * Logs a database outage once when the first request is refused for it (503) and once when the
 * database answers again, with the number of requests refused in between, instead of an error
 * with a stack trace for every refused request. Each request's own line still has its status.
 *
 * The end of an outage is noticed by a readiness check that passes, `/readyz` or one that a
 * request made during the outage starts (at most one a second).
 */
export class OutageLog {
  #since: number | undefined;
  #refused = 0;
  #lastCheck = 0;
  #checking = false;

  constructor(
    private readonly logger: Logger,
    private readonly ping: () => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the database is taken to be unavailable; read after every request. */
  get ongoing(): boolean {
    return this.#since !== undefined;
  }

  /** A request was answered 503 because the database is unavailable. */
  refused(log: Logger, cause: unknown): void {
    this.#refused += 1;
    if (this.#since !== undefined) return;
    this.#since = this.now();
    this.#lastCheck = this.#since;
    log.error(
      { err: cause },
      'database unavailable; requests that need it are answered 503 until it is back',
    );
  }

  /** A readiness check passed: the outage, if any, is over. */
  available(): void {
    if (this.#since === undefined) return;
    const seconds = Math.round((this.now() - this.#since) / 100) / 10;
    this.logger.info({ refused: this.#refused, seconds }, 'database available again');
    this.#since = undefined;
    this.#refused = 0;
  }

  /** After a request during an outage: checks whether the database is back, if not checked lately. */
  recheck(): void {
    if (this.#since === undefined || this.#checking) return;
    const now = this.now();
    if (now - this.#lastCheck < RECHECK_INTERVAL_MS) return;
    this.#checking = true;
    this.#lastCheck = now;
    const settle = (up: boolean): void => {
      this.#checking = false;
      if (up) this.available();
    };
    this.ping().then(settle, () => {
      settle(false);
    });
  }
}
