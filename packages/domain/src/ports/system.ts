/** The time, so that expiry can be tested with a controllable clock. */
export interface Clock {
  now(): Date;
}

/** Cryptographically secure randomness; credentials are minted from it. */
export interface Random {
  bytes(length: number): Uint8Array;
  uuid(): string;
  /**
   * A UUIDv7 (RFC 9562 §5.7): each one made by this process sorts after the one before it, as
   * bytes and as lowercase text, even within one millisecond. Orders records that share a
   * timestamp (audit entries: newest first).
   */
  timeOrderedUuid(): string;
}

/** Password hashing (scrypt). Used for passwords only: high-entropy secrets use SHA-256. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `false` for a wrong password and for a malformed hash; never throws for either. */
  verify(hash: string, password: string): Promise<boolean>;
  /** A valid hash of a random password, for equal-time checks of unknown accounts. */
  readonly dummyHash: string;
}

/** Reports whether the database answers; for `/readyz`. */
export interface HealthCheck {
  ping(): Promise<boolean>;
}
