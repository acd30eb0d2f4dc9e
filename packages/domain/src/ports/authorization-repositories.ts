import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientId, ClientSecretId } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import type { Grant, GrantId } from '../model/grant.js';
import type { UserId } from '../model/ids.js';

/**
 * Grants: one user's consent to one client and everything descended from it (CONTRACT §5).
 * Revoking a grant revokes its codes, access tokens and refresh tokens in the same call.
 */
export interface GrantRepository {
  insert(grant: Grant): Promise<void>;
  findById(id: GrantId): Promise<Grant | undefined>;
  /** Revokes the grant and every code and token descended from it; `false` if already revoked. */
  revoke(id: GrantId, at: Date): Promise<boolean>;
  /** Revokes every unrevoked grant of `userId` for `clientId`, with their codes and tokens. */
  revokeForUserAndClient(userId: UserId, clientId: ClientId, at: Date): Promise<GrantId[]>;
  /** Whether the user ever approved the client (a grant exists, live or not). */
  hasApproved(userId: UserId, clientId: ClientId): Promise<boolean>;
  /** Deletes grants that ended before `before` (their tokens go with them). */
  deleteExpired(before: Date): Promise<number>;
}

/** Consent requests awaiting the user's answer (CONTRACT §5 step 5). */
export interface PendingAuthorizationRepository {
  insert(pending: PendingAuthorization): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<PendingAuthorization | undefined>;
  /** Atomically removes and returns the request if it is still there: single use. */
  take(digest: CredentialDigest): Promise<PendingAuthorization | undefined>;
  deleteExpired(before: Date): Promise<number>;
}

/** Authorization codes, by digest. */
export interface AuthorizationCodeRepository {
  insert(code: AuthorizationCode): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<AuthorizationCode | undefined>;
  /**
   * Marks the code consumed in one atomic statement (`UPDATE … WHERE consumed_at IS NULL
   * RETURNING`): of concurrent callers exactly one gets `true`.
   */
  consume(id: string, at: Date): Promise<boolean>;
  deleteExpired(before: Date): Promise<number>;
}

/** Refresh tokens, by digest, with atomic rotation (CONTRACT §5). */
export interface RefreshTokenRepository {
  insert(token: RefreshToken): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined>;
  /** Marks an unrotated, unrevoked token rotated at `at`; exactly one concurrent caller gets `true`. */
  rotate(id: string, at: Date): Promise<boolean>;
  /**
   * Spends the single replay allowed within the grace window: `true` for exactly one caller, and
   * only if the token was rotated at or after `rotatedSince` and is not revoked.
   */
  useGrace(id: string, rotatedSince: Date): Promise<boolean>;
  /** Revokes every live refresh token obtained with a client secret (CONTRACT §4). */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number>;
  deleteExpired(before: Date): Promise<number>;
}
