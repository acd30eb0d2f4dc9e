import type { ApiKey } from '../model/api-key.js';
import type { CredentialDigest } from '../model/credential.js';
import type { ApiKeyId, UserId } from '../model/ids.js';
import type { ClientSecretId } from '../model/client.js';

/** Which of a user's sessions `deleteSessions` ends. */
export type SessionSelection = { readonly only: ApiKeyId } | { readonly except: ApiKeyId };

/**
 * Session and access tokens, stored by SHA-256 digest only (docs/http-api.md#credentials-at-rest).
 */
export interface ApiKeyRepository {
  insert(key: ApiKey): Promise<void>;
  /** The key with this digest, whether or not it is expired or revoked. */
  findByDigest(digest: CredentialDigest): Promise<ApiKey | undefined>;
  /** Removes a key; `false` when it was already gone. */
  delete(id: ApiKeyId): Promise<boolean>;
  /** Marks a key revoked at `at`; `false` when it was already revoked or gone. */
  revoke(id: ApiKeyId, at: Date): Promise<boolean>;
  /** Revokes every live access token obtained with a client secret; returns how many (docs/http-api.md#apps). */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number>;
  /** Records that a session authenticated at `at` (docs/http-api.md#web-console); a no-op for an unknown id. */
  recordSessionUse(id: ApiKeyId, at: Date): Promise<void>;
  /** The user's unexpired session tokens at `now`, newest first (docs/http-api.md#web-console). */
  listSessions(userId: UserId, now: Date): Promise<ApiKey[]>;
  /**
   * Deletes sessions of `userId`: the one with id `only`, or every one but `except`; returns how
   * many. Never touches another user's keys or an access token.
   */
  deleteSessions(userId: UserId, which: SessionSelection): Promise<number>;
  /** Deletes keys that expired before `before`; returns how many. */
  deleteExpired(before: Date): Promise<number>;
}
