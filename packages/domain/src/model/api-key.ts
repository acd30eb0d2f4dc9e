import type { ClientId, ClientSecretId } from './client.js';
import type { CredentialDigest } from './credential.js';
import type { GrantId } from './grant.js';
import type { ApiKeyId, UserId } from './ids.js';
import type { User } from './user.js';

/**
 * An API key: a session token (from login) or an access token (from the token endpoint).
 * Both authenticate `/api/*` within their scopes (docs/http-api.md#bearer-tokens).
 */
export type ApiKeyKind = 'session' | 'access';

export interface ApiKey {
  readonly id: ApiKeyId;
  readonly kind: ApiKeyKind;
  readonly digest: CredentialDigest;
  /**
   * The user the key acts for; absent only on an access token of the client credentials grant,
   * which acts for its client alone (docs/http-api.md#client-credentials-grant).
   */
  readonly userId?: UserId;
  readonly scopes: readonly string[];
  /** RFC 8707 resource the key is bound to; absent means the issuer. */
  readonly audience?: string;
  readonly clientId?: ClientId;
  readonly grantId?: GrantId;
  /** The client secret the token was obtained with, while that secret exists. */
  readonly secretId?: ClientSecretId;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt?: Date;
  /** Sessions: the `User-Agent` and client IP of the sign-in (docs/http-api.md#web-console). */
  readonly userAgent?: string;
  readonly ip?: string;
  /** Sessions: when last used to authenticate, recorded at most once a minute. */
  readonly lastUsedAt?: Date;
}

/** How stale a session's `lastUsedAt` may be before authenticating records it again. */
export const SESSION_USE_GRANULARITY_MS = 60_000;

/** Whether authenticating with `key` at `now` should record it as used. */
export const sessionUseToRecord = (key: ApiKey, now: Date): boolean =>
  key.kind === 'session' &&
  (key.lastUsedAt === undefined || now.getTime() - key.lastUsedAt.getTime() >= SESSION_USE_GRANULARITY_MS);

/** Who is calling, as established by `authenticate`. */
export interface Principal {
  readonly user: User;
  readonly apiKeyId: ApiKeyId;
  readonly kind: ApiKeyKind;
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly clientId?: ClientId;
  /** Session tokens: when the user signed in (the ID token's `auth_time`, docs/openid-connect.md). */
  readonly authenticatedAt?: Date;
}

/**
 * The operator acting through the command line (docs/cli.md#authorisation-and-audit) rather than a
 * signed-in user: whoever can open the storage already holds every right, so the system passes
 * every owner and scope check, and the audit log records its actions with no `actor_id`.
 */
export interface SystemActor {
  readonly kind: 'system';
}

export const SYSTEM_ACTOR: SystemActor = Object.freeze({ kind: 'system' });

/** Who performs an administrative use case: a signed-in principal, or the system. */
export type Actor = Principal | SystemActor;

export const isSystemActor = (actor: Actor): actor is SystemActor => actor.kind === 'system';

/** The user to record as an audit entry's actor and as an app's creator; none for the system. */
export const actorUserId = (actor: Actor): UserId | undefined =>
  isSystemActor(actor) ? undefined : actor.user.id;
