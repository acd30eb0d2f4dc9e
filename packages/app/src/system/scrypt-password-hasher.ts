import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '@latchkey/domain';
import * as scryptModule from 'scrypt-kdf';

// scrypt-kdf 4 declares named exports but ships only a default export.
const Scrypt = (scryptModule as unknown as { default: typeof scryptModule }).default;

/** How many scrypt computations run at once; the others wait their turn. */
const CONCURRENT_HASHES = 2;

/**
 * Runs at most `limit` tasks at once, the rest in order of arrival. Each scrypt computation at
 * the production cost holds 32 MiB while it runs, so a burst of sign-ins (each address has a
 * budget of its own) must not hold one 32 MiB block per request (docs/deployment.md#memory).
 */
export class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<A>(task: () => Promise<A>): Promise<A> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}

/**
 * Passwords hashed with scrypt (scrypt-kdf's self-describing format, base64). `logN` is the cost:
 * 15 (32 MiB, ~100 ms) in production, low in tests. At most two computations run at once
 * (`Turns`).
 */
export class ScryptPasswordHasher implements PasswordHasher {
  readonly dummyHash: string;

  private readonly turns = new Turns(CONCURRENT_HASHES);

  private constructor(
    private readonly logN: number,
    dummyHash: string,
  ) {
    this.dummyHash = dummyHash;
  }

  /** Builds the hasher and its dummy hash (used for equal-time checks of unknown emails). */
  static async create(logN: number): Promise<ScryptPasswordHasher> {
    const dummy = await Scrypt.kdf(randomBytes(32).toString('base64url'), { logN, r: 8, p: 1 });
    return new ScryptPasswordHasher(logN, Buffer.from(dummy).toString('base64'));
  }

  async hash(password: string): Promise<string> {
    const key = await this.turns.run(() => Scrypt.kdf(password, { logN: this.logN, r: 8, p: 1 }));
    return Buffer.from(key).toString('base64');
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.turns.run(() => Scrypt.verify(Buffer.from(hash, 'base64'), password));
    } catch {
      // scrypt-kdf throws on a malformed hash: that is a failed check, not an outage.
      return false;
    }
  }
}
