import type { UserId } from '../model/ids.js';
import type { User } from '../model/user.js';

export type InsertUserResult = 'inserted' | 'duplicate_email' | 'duplicate_username';

export interface StoredUser {
  readonly user: User;
  /** scrypt-kdf hash, base64. Never leaves the domain. */
  readonly passwordHash: string;
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

/**
 * Users and their password hashes. Emails are unique case-insensitively, usernames exactly.
 *
 * @see docs/http-api.md#users-and-sessions
 */
export interface UserRepository {
  insert(user: User, passwordHash: string): Promise<InsertUserResult>;
  /**
   * Inserts `user` only if no user exists yet. Serialised against concurrent calls: of
   * simultaneous callers exactly one gets `inserted`, the rest `not_first`.
   */
  insertFirst(user: User, passwordHash: string): Promise<InsertUserResult | 'not_first'>;
  findByEmail(email: string): Promise<StoredUser | undefined>;
  findById(id: UserId): Promise<User | undefined>;
  /** Replaces the user's password hash; `false` when there is no such user. */
  setPasswordHash(id: UserId, passwordHash: string): Promise<boolean>;
  /** Ordered by creation time, then id. */
  list(page: Page): Promise<User[]>;
  any(): Promise<boolean>;
}
