import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '@latchkey/domain';
import * as scryptModule from 'scrypt-kdf';

// scrypt-kdf 4 declares named exports but ships only a default export.
const Scrypt = (scryptModule as unknown as { default: typeof scryptModule }).default;

/**
 * Passwords hashed with scrypt (scrypt-kdf's self-describing format, base64). `logN` is the cost:
 * 15 (32 MiB, ~100 ms) in production, low in tests.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  readonly dummyHash: string;

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
    const key = await Scrypt.kdf(password, { logN: this.logN, r: 8, p: 1 });
    return Buffer.from(key).toString('base64');
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await Scrypt.verify(Buffer.from(hash, 'base64'), password);
    } catch {
      // scrypt-kdf throws on a malformed hash: that is a failed check, not an outage.
      return false;
    }
  }
}
