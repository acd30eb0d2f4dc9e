import type { SigningKey } from '../model/signing-key.js';

/**
 * The signing keys every instance shares (docs/openid-connect.md#signing-keys). Few rows, read
 * whole and cached by the key ring; the private part is stored encrypted.
 */
export interface SigningKeyRepository {
  /** Every stored key, in no particular order. */
  list(): Promise<SigningKey[]>;
  /**
   * Stores `key` unless a key of its algorithm and generation exists already (another instance
   * added it first): `false` then, and nothing is written. One atomic statement.
   */
  insert(key: SigningKey): Promise<boolean>;
  /** Deletes the keys with these ids; returns how many were deleted. */
  delete(kids: readonly string[]): Promise<number>;
}
