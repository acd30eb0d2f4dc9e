import type { ClientId, ClientSecretId } from './client.js';
import type { CredentialDigest } from './credential.js';
import type { GrantId } from './grant.js';
import type { UserId } from './ids.js';

/**
 * The terms of one authorization request that the approval binds, so that the code carries
 * everything its request said and the token request is checked against it
 * (docs/http-api.md#authorize).
 */
export interface AuthorizationTerms {
  readonly userId: UserId;
  readonly clientId: ClientId;
  /** The redirect URI the client sent, or the single registered one when it sent none. */
  readonly redirectUri: string;
  /** Whether the client sent `redirect_uri` (then the token request must match it if it sends one). */
  readonly redirectUriSent: boolean;
  readonly scopes: readonly string[];
  /** Normalised RFC 8707 resource; the issuer when none was requested. */
  readonly resource: string;
  readonly resourceRequested: boolean;
  readonly codeChallenge: string;
  /** OpenID Connect Core §3.1.2.1: echoed in the ID token. */
  readonly nonce?: string;
  /** When the user signed in (the session's start): the ID token's `auth_time`. */
  readonly authTime?: Date;
}

/**
 * What the consent form carries (docs/http-api.md#authorize step 5): a server-issued, single-use request valid
 * for 10 minutes, binding everything the approval will use. The POST reads only these values.
 */
export interface PendingAuthorization extends AuthorizationTerms {
  /** Digest of the `request_id` in the form. */
  readonly digest: CredentialDigest;
  /** Digest of the form's CSRF token. */
  readonly csrfDigest: CredentialDigest;
  /** The session that saw the consent page; only it may answer. */
  readonly sessionId: string;
  readonly state?: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** An authorization code: single use, short-lived, bound to everything of its request (docs/http-api.md#authorize). */
export interface AuthorizationCode extends AuthorizationTerms {
  readonly id: string;
  readonly digest: CredentialDigest;
  readonly grantId: GrantId;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly consumedAt?: Date;
}

/** A refresh token; each use rotates it (docs/http-api.md#refresh-token-grant, RFC 9700 §4.14.2). */
export interface RefreshToken {
  readonly id: string;
  readonly digest: CredentialDigest;
  readonly grantId: GrantId;
  readonly clientId: ClientId;
  readonly userId: UserId;
  /** The client secret the token was obtained with, while that secret exists. */
  readonly secretId?: ClientSecretId;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** When it was exchanged for a new pair. */
  readonly rotatedAt?: Date;
  /** Whether its one replay within the grace window has been spent. */
  readonly graceUsed: boolean;
  readonly revokedAt?: Date;
}
