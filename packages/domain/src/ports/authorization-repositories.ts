import type { ApiKey } from '../model/api-key.js';
import type { AuthorizationCode, PendingAuthorization, RefreshToken } from '../model/authorization.js';
import type { ClientId, ClientSecretId } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import type { AuthorizationSummary, Grant, GrantId } from '../model/grant.js';
import type { UserId } from '../model/ids.js';

/**
 * Grants: one user's consent to one client and everything descended from it (docs/http-api.md#token).
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
  /**
   * One summary per client `userId` has a live grant for at `now`, in no particular order: the
   * scopes of those live grants (sorted, without repeats), the creation of the oldest stored grant
   * to that client, and the creation of the newest stored access token of the user for it.
   */
  summariesFor(userId: UserId, now: Date): Promise<AuthorizationSummary[]>;
  /** Deletes grants that ended before `before` (their tokens go with them). */
  deleteExpired(before: Date): Promise<number>;
}

/** Consent requests awaiting the user's answer (docs/http-api.md#authorize step 5). */
export interface PendingAuthorizationRepository {
  insert(pending: PendingAuthorization): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<PendingAuthorization | undefined>;
  /** Atomically removes and returns the request if it is still there: single use. */
  take(digest: CredentialDigest): Promise<PendingAuthorization | undefined>;
  /**
   * Deletes the session's requests beyond its `keep` newest (by `createdAt`); returns how many
   * were deleted.
   */
  deleteOldest(sessionId: PendingAuthorization['sessionId'], keep: number): Promise<number>;
  deleteExpired(before: Date): Promise<number>;
}

/** The tokens one successful token request mints, stored by the step that authorises them. */
export interface TokenRows {
  readonly accessToken: ApiKey;
  readonly refreshToken?: RefreshToken;
}

/** An authorization code and the grant it belongs to, read together. */
export interface CodeWithGrant {
  readonly code: AuthorizationCode;
  readonly grant: Grant;
}

/**
 * How a redemption ended: the code was consumed and the tokens stored (`redeemed`); its grant was
 * revoked (which consumes its codes too) or had expired (`grant_ended`, whatever the code's
 * state); the code was already consumed by an earlier or a concurrent exchange, or is unknown
 * (`consumed`). Only `redeemed` wrote.
 */
export type Redemption = 'redeemed' | 'consumed' | 'grant_ended';

/** Authorization codes, by digest. */
export interface AuthorizationCodeRepository {
  insert(code: AuthorizationCode): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<AuthorizationCode | undefined>;
  /** The code with this digest and its grant, in one read. */
  findWithGrant(digest: CredentialDigest): Promise<CodeWithGrant | undefined>;
  /**
   * Redeems the code `id` in one atomic step: if it is unconsumed and its grant is live at `at`,
   * marks it consumed at `at` and stores `tokens`; otherwise writes nothing. Of concurrent
   * callers at most one gets `redeemed` (RFC 6749 §4.1.2: a code is used once).
   */
  redeem(id: string, at: Date, tokens: TokenRows): Promise<Redemption>;
  deleteExpired(before: Date): Promise<number>;
}

/** A refresh token and the grant it belongs to, read together. */
export interface RefreshTokenWithGrant {
  readonly token: RefreshToken;
  readonly grant: Grant;
}

/**
 * How an exchange of a refresh token ended: rotated on its first use (`rotated`); accepted as
 * the single replay within the grace window (`grace`); refused because it was rotated before the
 * window, its replay is spent, or it is revoked (`reused`); refused because its grant was revoked
 * or had expired (`grant_ended`). Only `rotated` and `grace` wrote.
 */
export type RefreshExchange = 'rotated' | 'grace' | 'reused' | 'grant_ended';

/** Refresh tokens, by digest, with atomic rotation (docs/http-api.md#token). */
export interface RefreshTokenRepository {
  insert(token: RefreshToken): Promise<void>;
  findByDigest(digest: CredentialDigest): Promise<RefreshToken | undefined>;
  /** The refresh token with this digest and its grant, in one read. */
  findWithGrant(digest: CredentialDigest): Promise<RefreshTokenWithGrant | undefined>;
  /**
   * Exchanges the refresh token `id` for `tokens` in one atomic step, while neither it nor its
   * grant is revoked and the grant is live at `at`: an unrotated token is marked rotated at
   * `at`; a rotated one, when `graceSince` is given and it was rotated at or after it, spends its
   * single replay. Otherwise nothing is written. Of concurrent callers exactly one rotates and at
   * most one more gets the replay.
   */
  exchange(id: string, at: Date, graceSince: Date | undefined, tokens: TokenRows): Promise<RefreshExchange>;
  /** Revokes every live refresh token obtained with a client secret (docs/http-api.md#apps). */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number>;
  deleteExpired(before: Date): Promise<number>;
}
